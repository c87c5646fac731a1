"""The learner page speaks plain words: no expression, no prior shown as progress.

Requirements and receipts read as sentences in the page's language, with the
school's names from the program's language maps; the exact expressions are
for teachers, behind a ``<details>`` that is closed by default.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from levelwise.app.engine import Levelwise
from tests.support.factories import SMALL_PROGRAM, answered, watched
from tests.web.conftest import token
from tests.web.pagehtml import find, one, visible_text

pytestmark = pytest.mark.anyio

PLAIN_PROGRAM = SMALL_PROGRAM.replace(
    "      - xp >= 100\n      - units_completed includes [u1]\n",
    "      - xp >= 100 and watch_minutes >= 120\n"
    "      - homework_average >= 0.6\n"
    "      - dimension.vocabulary >= 0.3\n"
    "      - units_completed includes [u1, u3]\n",
).replace("  - id: vocabulary\n", "  - id: vocabulary\n    title: Vocabulary\n") + (
    "team_tasks:\n"
    "  - {id: practice_week, team: cohort, window: week, on: practice.completed,"
    " goal: 40, reward: {xp: 50}}\n"
)
RAW = (">=", "includes [", "if(", "dimension.", "units_completed", "seconds / 60")
"""What an expression or formula looks like: never in the text a learner sees."""
NAMES = (
    ("program", (("zh-CN", "小小英语"),)),
    ("dimension:vocabulary", (("zh-CN", "词汇"),)),
    ("level:a1", (("zh-CN", "突破级"),)),
    ("unit:u1", (("zh-CN", "打招呼"),)),
    ("unit:u3", (("zh-CN", "直播俱乐部"),)),
    ("rule:watching", (("zh-CN", "看录播课"),)),
)


def learner_text(html: str) -> str:
    """What a learner reads: the page without the teachers' details."""
    return visible_text(
        re.sub(r'<details class="for-teachers".*?</details>', " ", html, flags=re.S)
    )


async def page(client, learner: str = "ana", lang: str = "en") -> str:
    r = await client.get(
        f"/pages/learner/{learner}", params={"t": token(learner=learner), "lang": lang}
    )
    assert r.status_code == 200, r.text
    return r.text


@pytest.fixture
def plain(engine: Levelwise) -> Levelwise:
    """The school with and-gates, an average, an ability and key units."""
    engine.put_program("s", PLAIN_PROGRAM)
    return engine


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
async def test_no_expression_or_formula_shows_by_default(client, plain, lang):
    html = await page(client, lang=lang)
    text = learner_text(html)

    assert [raw for raw in RAW if raw in text] == []
    teachers = one(html, data_field="teacher-gates").text
    assert "dimension.vocabulary >= 0.3" in teachers
    assert "units_completed includes [u1, u3]" in teachers
    formulas = one(html, data_field="teacher-receipts").text
    assert "seconds / 60" in formulas


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            [
                "Earn 100 XP",
                "Watch 120 minutes of lessons: 20 so far",
                "Answer Vocabulary questions well",
                "Complete u1 and u3: 1 of 2 done",
            ],
        ),
        (
            "zh-CN",
            [
                "获得100经验值",
                "观看120分钟录播课：目前20",
                "Vocabulary题目答得好",
                "完成U1和U3：已完成1/2",
            ],
        ),
    ],
)
async def test_requirements_read_as_sentences(client, plain, lang, words):
    text = learner_text(await page(client, lang=lang))

    for sentence in words:
        # The goal is the row's heading, the progress the line under it.
        for half in re.split("[:：]", sentence):
            assert half.strip().lower() in text.lower()


async def test_a_new_learner_shows_no_ability_as_progress(client, plain):
    plain.ingest("s", [watched(60, learner="cy")])
    html = await page(client, learner="cy")

    (row,) = find(html, data_gate="dimension.vocabulary >= 0.3")
    assert float(row.attrs["data-progress"]) > 0  # the prior, which the page hides
    assert row.attrs["data-scale"] == "none"
    assert "No answers yet" in row.text
    assert one(html, data_gate="dimension.vocabulary >= 0.3", data_scale="none")
    ability = one(html, data_group="ability")
    bars = [e for e in find(html) if e.tag == "progress"]
    assert all(
        b.attrs["aria-label"] != "Answer Vocabulary questions well" for b in bars
    )
    assert "★" not in one(html, data_field="scale").text
    tree = one(html, class_="growth-tree")
    assert tree.attrs["data-blossoms"] == "0"
    assert "Answer Vocabulary questions well" in ability.text


async def test_answers_move_the_ability_onto_the_scale(client, plain):
    plain.ingest(
        "s",
        [
            answered(True, kp=kp, learner="cy", minutes=m)
            for m, kp in enumerate(["greetings", "numbers"] * 6)
        ],
    )
    html = await page(client, learner="cy")

    row = one(html, data_field="scale")
    assert int(row.attrs["data-stars"]) >= 1
    assert "skills strong enough" in one(html, data_group="ability").text


async def test_an_average_of_no_homework_is_not_shown_as_a_score(client, plain):
    plain.ingest("s", [watched(60, learner="cy")])
    html = await page(client, learner="cy")

    row = one(html, data_gate="homework_average >= 0.6")
    progress = [
        e for e in find(html, class_="gate-progress muted") if "homework" in e.text
    ]
    assert [e.text for e in progress] == ["no homework yet"]
    assert "0%" not in row.text.replace("60%", "")
    assert not [
        e
        for e in find(html)
        if e.tag == "progress" and "homework" in e.attrs["aria-label"].lower()
    ]


async def test_receipts_name_the_rule_and_never_its_formula(client, plain):
    text = learner_text(await page(client))

    assert "+20 XP: Watching" in text
    assert "seconds" not in text


async def test_the_chinese_page_shows_the_schools_chinese_names(client, plain):
    stored = plain.program

    def translated(tenant: str):
        return dataclasses.replace(
            stored(tenant), names=NAMES, languages=("en", "zh-CN")
        )

    plain.program = translated  # type: ignore[method-assign]
    zh = learner_text(await page(client, lang="zh-CN"))
    en = learner_text(await page(client, lang="en"))

    for name in (
        "小小英语",
        "词汇题目答得好",
        "突破级",
        "完成打招呼和直播俱乐部",
        "看录播课",
    ):
        assert name in zh
    assert "Vocabulary" not in zh
    assert "Answer Vocabulary questions well" in en
    assert "词汇" not in en


async def test_the_tree_names_its_branches_and_the_next_flower(client, plain):
    html = await page(client)

    names = re.findall(r'<text class="tree-label"[^>]*>([^<]+)</text>', html)
    assert names == ["Vocabulary", "speaking"]  # titles as the school wrote them
    assert (
        one(html, data_field="next-flower").text == "2 more units to your next flower"
    )
    zh = await page(client, lang="zh-CN")
    assert one(zh, data_field="next-flower").text == "再完成 2 个单元，就会开出下一朵花"


class OneTask:
    """Team tasks with one class task the learner gave 6 of 31 to."""

    before = None
    """The window before, if the fake should have one."""

    def learner_tasks(self, tenant, learner, language=None):
        from levelwise.app.teams.service import TaskProgress

        title = "全班本周完成40次AI练习" if language == "zh-CN" else "40 AI practices"
        return [
            TaskProgress(
                "practice_week",
                title,
                False,
                "7b",
                "2026-W02",
                31.0,
                40.0,
                6.0,
                12,
                False,
                None,
                50,
                previous=self.before,
            )
        ]


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "40 AI practices · Your class: 31 of 40, you gave 6"),
        ("zh-CN", "全班本周完成40次AI练习 · 你的班级：31/40，你贡献了 6"),
    ],
)
async def test_team_tasks_show_the_class_and_the_learners_part(
    client, plain, lang, line
):
    assert 'data-section="teams"' not in await page(client)  # no task, no card

    plain.teams = OneTask()  # type: ignore[assignment]
    html = await page(client, lang=lang)

    card = one(html, data_task="practice_week")
    assert line in card.text
    assert card.attrs["data-done"] == "false"
    (bar,) = [
        e for e in find(html) if e.tag == "progress" and e.attrs.get("value") == "0.775"
    ]
    assert bar.attrs["max"] == "1"


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en", "Last week: 46 of 40, done, +50 XP each"),
        ("zh-CN", "上周：46/40，已完成，每人 +50 经验值"),
    ],
)
async def test_last_weeks_task_shows_how_it_ended(client, plain, lang, line):
    from dataclasses import replace

    from levelwise.app.teams.service import TaskProgress

    tasks = OneTask()
    now = tasks.learner_tasks("s", "ana")[0]
    tasks.before = replace(now, window="2026-W01", total=46.0, met=True)
    plain.teams = tasks  # type: ignore[assignment]

    card = one(await page(client, lang=lang), data_task="practice_week")

    assert line in card.text
    assert isinstance(tasks.before, TaskProgress)
    # Nothing given in the window before: no line about it.
    tasks.before = replace(now, window="2026-W01", total=0.0)
    card = one(await page(client, lang=lang), data_task="practice_week")
    assert ("Last week" if lang == "en" else "上周") not in card.text
