"""Settings: every ``LEVELWISE_*`` variable in one place, read when asked for.

Nothing reads the environment at import time: ``levelwise.bootstrap`` builds one
``Settings()`` per process (or takes the one it is given) and hands each part to
the object that needs it.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///levelwise.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_EVENT_MAX_SKEW_SECONDS = 600
DEFAULT_EVENT_EARLIEST = date(2000, 1, 1)


class Settings(BaseSettings):
    """Where the store is, how the server listens, and how it speaks for itself.

    Each field's meaning is its ``description``; :func:`settings_table` renders
    them, with the variables and defaults, as the README's settings table.
    """

    model_config = SettingsConfigDict(env_prefix="LEVELWISE_")

    db: str = Field(
        default=DEFAULT_DB,
        description="SQLAlchemy URL of the store (`sqlite:///file.db`, "
        "`postgresql+psycopg://user@host/db`) or `memory`; `--db` overrides it.",
    )
    host: str = Field(default="127.0.0.1", description="Address the API binds to.")
    port: int = Field(default=8000, description="Port the API listens on.")
    redis_url: str | None = Field(
        default=None,
        description="Redis for leaderboards (`redis://host:6379/0`); unset: boards "
        "live in the store's database.",
    )
    public_url: str = Field(
        default=DEFAULT_PUBLIC_URL,
        description="The public base URL of the API: every hosted badge, "
        "assertion, key set and status list URL starts with it, so it must be the "
        "address verifiers reach.",
    )
    page_secret: SecretStr | None = Field(
        default=None,
        description="The key that signs page links; unset: a random key per "
        "process, so links stop working when the server restarts.",
    )
    page_frame_ancestors: str = Field(
        default="'self'",
        description="The CSP `frame-ancestors` sources of embedded learner "
        "widgets, e.g. `'self' https://school.example`. Other pages are never "
        "framed.",
    )
    webhook_allow_hosts: str = Field(
        default="",
        description="Comma-separated hosts webhooks may reach although they are "
        "not public, e.g. `127.0.0.1,receiver`; matched against the URL's host as "
        "written (allowing an address does not allow the names that resolve to "
        "it). Empty: webhooks reach public addresses only.",
    )
    event_max_skew_seconds: int = Field(
        default=DEFAULT_EVENT_MAX_SKEW_SECONDS,
        ge=0,
        description="How far ahead of the server's clock an event's `occurred_at` "
        "may be; later ones are rejected.",
    )
    event_earliest: date = Field(
        default=DEFAULT_EVENT_EARLIEST,
        description="The first day events are accepted for, the same for every "
        "school for now; earlier ones are rejected.",
    )
    xapi_default_version: Literal["2.0.0", "1.0.3"] = Field(
        default="2.0.0",
        description="The xAPI version the record store names in its answer to a "
        "request that names none (such a request is refused with 400); clients "
        "that speak 1.0.3 only may prefer `1.0.3`.",
    )
    xapi_feed: Literal["inline", "worker"] = Field(
        default="inline",
        description="When statements become learning events: `inline` folds a "
        "request's statements before it is answered; `worker` answers once they "
        "are stored and `levelwise serve` starts a feed process that drains them "
        "into the log in large batches on another core (much faster on busy "
        "record stores; levels move a moment later).",
    )
    practice_model_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible chat endpoint for the AI "
        "speaking partner (`http://127.0.0.1:8080/v1` for llama.cpp, vLLM or "
        "Ollama); unset: the scripted partner plays the program's scenarios.",
    )
    practice_model: str = Field(
        default="local",
        description="The model's name on that endpoint.",
    )
    practice_model_key: SecretStr | None = Field(
        default=None, description="The endpoint's API key, if it needs one."
    )
    practice_model_timeout: float = Field(
        default=3.0,
        gt=0,
        description="Seconds to wait for the model's first token before the "
        "scripted partner takes over the session (and says so).",
    )
    practice_speech: bool = Field(
        default=True,
        description="Voice sessions with the offline back ends: pocketsphinx "
        "(speech to text), espeak-ng (text to speech) and WebRTC's VAD; false: "
        "text sessions only.",
    )
    practice_voice: str = Field(
        default="en-us", description="The espeak-ng voice of the partner."
    )
    practice_end_silence_ms: int = Field(
        default=500,
        ge=90,
        le=5000,
        description="Silence that ends a learner's spoken turn, in milliseconds.",
    )
    practice_speculate_ms: int = Field(
        default=0,
        ge=0,
        le=5000,
        description="Silence after which a language model starts on the turn "
        "heard so far (its reply held until the turn ends, dropped if the "
        "learner goes on); 0: never. Worth 200 with a speech-to-text that "
        "decodes outside the server's process (pocketsphinx in it holds the "
        "interpreter lock, which delays the turn's end instead).",
    )
    practice_stream_speech: bool = Field(
        default=False,
        description="Decode speech while the learner speaks (a streaming "
        "speech-to-text); off: pocketsphinx holds the interpreter lock while "
        "it decodes, which would stall the server's other sessions.",
    )
    quality_good_ms: float = Field(
        default=150.0,
        gt=0,
        description="Live-class audio one-way delay graded good up to this many "
        "milliseconds (ITU-T G.114's transparent range).",
    )
    quality_acceptable_ms: float = Field(
        default=300.0,
        gt=0,
        description="Audio delay graded acceptable up to this (the seed's 300 ms).",
    )
    quality_degraded_ms: float = Field(
        default=800.0,
        gt=0,
        description="Audio and video delay graded degraded up to this; broken "
        "beyond (people talk over each other).",
    )
    quality_video_acceptable_ms: float = Field(
        default=400.0,
        gt=0,
        description="Video delay graded acceptable up to this (the seed's 400 ms).",
    )
    quality_send_ms: float = Field(
        default=40.0,
        ge=0,
        description="The send-side constant added to every delay estimate: codec "
        "frame, look-ahead, capture and render buffers (docs/quality.md).",
    )
    quality_alert_after_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a class stays in the broken band before the "
        "`live.quality_degraded` alert.",
    )
    quality_drop_after_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds without a sample from a participant that count as a "
        "network drop.",
    )
    quality_retention_hours: float = Field(
        default=48.0,
        gt=0,
        description="Hours raw graded intervals are kept (`levelwise quality "
        "purge`); the 10 s and per-class roll-ups stay.",
    )
    agora_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Each school's Agora notification secret, as JSON "
        '(`{"school-a": "<secret>"}`): Agora Console shows it when notifications '
        "of the Conversational AI Engine are enabled; webhooks of a school "
        "without one are refused.",
    )
    practice_pause_threshold: float = Field(
        default=0.25,
        gt=0,
        le=5,
        description="Seconds of silence inside a turn that count as a pause "
        "(fluency measures).",
    )


def env_name(field: str) -> str:
    """The environment variable that sets ``Settings`` field ``field``.

    Args:
        field: A field name of :class:`Settings`, e.g. ``db``.

    Returns:
        The variable, e.g. ``LEVELWISE_DB``.
    """
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


def _shown(value: object) -> str:
    if value is None:
        return "unset"
    if value == "":
        return "empty"
    return f"`{value}`"


def settings_table() -> str:
    """Every setting as a Markdown table: variable, default and meaning.

    The README's settings section is this table (``python -m levelwise.config
    README.md`` rewrites it; a unit test checks it is current).

    Returns:
        The table, one row per :class:`Settings` field in declaration order,
        ending in a newline.

    Examples:
        >>> print(settings_table().splitlines()[2].split(" | ")[:2])
        ['| `LEVELWISE_DB`', '`sqlite:///levelwise.db`']
    """
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{env_name(name)}` | {_shown(field.default)} | {meaning} |")
    return "\n".join(rows) + "\n"


START = "<!-- settings:start -->"
"""The marker line before the settings table in the README."""
END = "<!-- settings:end -->"
"""The marker line after it."""


def with_settings_table(text: str) -> str:
    """``text`` with the lines between the settings markers replaced by the table.

    Args:
        text: A Markdown document holding :data:`START` and then :data:`END`,
            each on a line of its own.

    Returns:
        The document with :func:`settings_table` between the markers.

    Raises:
        ValueError: A marker is missing, or the end comes before the start.
    """
    head, start, rest = text.partition(f"{START}\n")
    _, end, tail = rest.partition(END)
    if not start or not end:
        msg = f"the text needs {START} and then {END}, each on its own line"
        raise ValueError(msg)
    return f"{head}{START}\n{settings_table()}{END}{tail}"


def main(argv: list[str] | None = None) -> None:
    """Print the settings table, or rewrite it in the files named.

    ``python -m levelwise.config`` prints the table; ``python -m
    levelwise.config README.md`` rewrites the README's settings section.

    Args:
        argv: The files to rewrite (default: the command line's arguments).
    """
    files = sys.argv[1:] if argv is None else argv
    if not files:
        sys.stdout.write(settings_table())
    for name in files:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        path.write_text(with_settings_table(text), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
