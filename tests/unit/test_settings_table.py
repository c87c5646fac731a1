"""The README's settings table is the one ``Settings`` generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from levelwise.config import (
    END,
    START,
    Settings,
    env_name,
    main,
    settings_table,
    with_settings_table,
)

README = Path(__file__).parents[2] / "README.md"
REGENERATE = "run `python -m levelwise.config README.md` to regenerate it"


def _section(text: str) -> str:
    """What lies between the settings markers (each on a line of its own)."""
    assert text.count(START) == 1, f"README needs one {START} line"
    assert text.count(END) == 1, f"README needs one {END} line"
    return text.split(f"{START}\n", 1)[1].split(END, 1)[0]


def test_readme_holds_exactly_the_generated_table():
    assert _section(README.read_text(encoding="utf-8")) == settings_table(), (
        f"the README's settings table is stale: {REGENERATE}"
    )


@pytest.mark.parametrize("field", list(Settings.model_fields))
def test_every_setting_is_in_the_readme_with_a_meaning(field):
    section = _section(README.read_text(encoding="utf-8"))
    assert f"| `{env_name(field)}` |" in section, REGENERATE
    assert Settings.model_fields[field].description, f"{field} has no description"


def test_the_table_has_a_row_per_setting_in_order():
    rows = settings_table().splitlines()[2:]
    assert [r.split(" | ")[0] for r in rows] == [
        f"| `{env_name(f)}`" for f in Settings.model_fields
    ]


def test_the_table_shows_unset_and_empty_defaults_in_words():
    lines = settings_table().splitlines()[2:]
    rows = {r.split(" | ")[0]: r.split(" | ")[1] for r in lines}
    assert rows["| `LEVELWISE_REDIS_URL`"] == "unset"
    assert rows["| `LEVELWISE_WEBHOOK_ALLOW_HOSTS`"] == "empty"
    assert rows["| `LEVELWISE_EVENT_EARLIEST`"] == "`2000-01-01`"


def test_the_variable_names_are_the_ones_settings_reads(monkeypatch):
    monkeypatch.setenv(env_name("port"), "9001")
    monkeypatch.setenv(env_name("webhook_allow_hosts"), "receiver")
    settings = Settings()
    assert (settings.port, settings.webhook_allow_hosts) == (9001, "receiver")


def test_a_stale_table_is_replaced_and_the_rest_kept():
    text = f"# Title\n\n{START}\n| old | table |\n{END}\n\nAfter.\n"
    assert with_settings_table(text) == (
        f"# Title\n\n{START}\n{settings_table()}{END}\n\nAfter.\n"
    )
    assert _section(with_settings_table(text)) == settings_table()


@pytest.mark.parametrize(
    "text",
    ["no markers\n", f"{START}\nonly a start\n", f"{END}\n{START}\nreversed\n"],
    ids=["none", "no-end", "end-first"],
)
def test_text_without_both_markers_is_refused(text):
    with pytest.raises(ValueError, match="settings:start"):
        with_settings_table(text)


def test_main_prints_the_table(capsys):
    main([])
    assert capsys.readouterr().out == settings_table()


def test_main_rewrites_the_files_named(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{START}\nstale\n{END}\n", encoding="utf-8")
    main([str(readme)])
    assert readme.read_text(encoding="utf-8") == (
        f"intro\n{START}\n{settings_table()}{END}\n"
    )
