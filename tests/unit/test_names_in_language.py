"""The school's names in the learner's language: certificates and receipt lines.

Credentials are written in one program language (asked for, else the first);
the OB 3.0 credential names it and still matches the published schema; the
certificate's fixed sentences follow it; receipt lines name rules, team tasks,
levels and badges as the school does, keeping the exact formula.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from levelwise.adapters.memory.credentials import InMemoryCredentialStore
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.credentials import openbadges as ob
from levelwise.app.credentials.ports import StoredCredential
from levelwise.app.credentials.service import Credentials, Issued
from levelwise.app.engine import Levelwise
from levelwise.app.programs.loader import load_program
from levelwise.cli.options import receipt_line, school_names
from levelwise.domain.outcomes import Receipt
from levelwise.errors import CredentialError
from tests.support.factories import (
    BILINGUAL_PROGRAM,
    SMALL_PROGRAM,
    completed,
    homework,
)

DATA = Path(__file__).resolve().parent.parent / "data"
BASE = "https://badges.example.org"


class Clock:
    def now_iso(self) -> str:
        return "2026-02-01T10:00:00+00:00"


def school(source: str = BILINGUAL_PROGRAM) -> tuple[Levelwise, Credentials]:
    """An engine where ana reached a1 and earned the finisher badge, and the
    credential service reading the engine's compiled programs."""
    clock = Clock()
    lw = Levelwise(InMemoryEventLog(), clock, public_url=BASE)
    lw.put_program("school", source)
    report = lw.ingest(
        "school",
        [completed("u1", minutes=1), homework(10, minutes=2), homework(10, minutes=3)],
    )
    assert any("a1" in r.levels for r in report.results), report
    creds = Credentials(
        InMemoryCredentialStore(), lw.log, clock, BASE, programs=lw.catalog.program
    )
    return lw, creds


def claims(creds: Credentials, token: str) -> dict[str, Any]:
    parsed = ob.unverified(token)
    assert parsed is not None
    return parsed[1]


def by_kind(issued: list[Issued], kind: str) -> StoredCredential:
    [found] = [i.credential for i in issued if i.credential.kind == kind]
    return found


SCHEMA = json.loads((DATA / "ob_v3p0_achievementcredential.schema.json").read_text())


def test_a_credential_issued_in_chinese_names_the_award_as_the_school_does():
    _, creds = school()
    issued = creds.issue("school", "ana", language="zh-CN")
    level = by_kind(issued, "level_reached")
    assert level.title == "突破级"
    vc = claims(creds, level.jwt)
    jsonschema.validate(vc, SCHEMA)  # still an OB 3.0 AchievementCredential
    achievement = vc["credentialSubject"]["achievement"]
    assert achievement["name"] == "突破级"
    assert achievement["inLanguage"] == "zh-CN"
    assert "达到等级“突破级”" in achievement["criteria"]["narrative"]
    assert "Breakthrough" not in json.dumps(vc, ensure_ascii=False)
    # The English edition is related (OB 3.0 Related), at its own URL.
    assert achievement["id"] == f"{BASE}/ob/v2/badges/school/level-a1?lang=zh-CN"
    assert achievement["related"] == [
        {
            "id": f"{BASE}/ob/v2/badges/school/level-a1?lang=en",
            "type": ["Related"],
            "inLanguage": "en",
        }
    ]
    assert vc["evidence"][0]["narrative"].startswith("于 2026-01-05")
    assert creds.verify(level.jwt).valid


def test_a_tiered_badge_is_named_with_its_tier_in_the_language():
    _, creds = school()
    zh = by_kind(creds.issue("school", "ana", language="zh-CN"), "badge_earned")
    assert zh.title == "完成者（铜牌）"
    assert zh.achievement == "badge-finisher-bronze"
    jsonschema.validate(claims(creds, zh.jwt), SCHEMA)
    _, creds = school()
    en = by_kind(creds.issue("school", "ana", language="en"), "badge_earned")
    assert en.title == "Finisher (Bronze)"


@pytest.mark.parametrize(
    ("asked", "written_in", "name"),
    [
        (None, "en", "Breakthrough"),  # default: the program's first language
        ("fr", "en", "Breakthrough"),  # a language the program lacks
        ("zh", "zh-CN", "突破级"),  # the primary language finds zh-CN
        ("ZH-cn", "zh-CN", "突破级"),  # tags are matched without case
    ],
    ids=["default", "missing", "primary", "case"],
)
def test_the_language_falls_back_to_the_programs_first(asked, written_in, name):
    _, creds = school()
    level = by_kind(creds.issue("school", "ana", language=asked), "level_reached")
    assert level.title == name
    vc = claims(creds, level.jwt)
    jsonschema.validate(vc, SCHEMA)
    assert vc["credentialSubject"]["achievement"]["inLanguage"] == written_in
    assert creds.language_of(level) == written_in


def test_the_certificate_speaks_the_credentials_language():
    _, creds = school()
    level = by_kind(creds.issue("school", "ana", language="zh-CN"), "level_reached")
    svg = creds.certificate(level.credential_id)
    assert 'xml:lang="zh-CN"' in svg
    for text in (
        "成就证书",
        "兹证明 school 的一位学员",
        "已获得",
        "突破级",
        "验证网址",
    ):
        assert text in svg, text
    assert "Certificate of achievement" not in svg
    creds.revoke("school", level.credential_id, "error")
    assert "已撤销" in creds.certificate(level.credential_id)


def test_an_award_issued_before_keeps_its_language():
    _, creds = school()
    first = by_kind(creds.issue("school", "ana", language="zh-CN"), "level_reached")
    again = creds.issue("school", "ana", language="en")
    assert not any(i.created for i in again)
    assert by_kind(again, "level_reached") == first


def test_a_bad_language_tag_is_refused_and_issues_nothing():
    _, creds = school()
    with pytest.raises(CredentialError, match="not a language tag"):
        creds.issue("school", "ana", language="zh_CN!")
    assert creds.list("school", "ana") == []


def test_the_badge_class_edition_follows_lang():
    _, creds = school()
    level = by_kind(creds.issue("school", "ana", language="zh-CN"), "level_reached")
    hosted = json.loads(level.assertion)
    zh = creds.badge_class("school", "level-a1", "zh-CN")
    assert hosted["badge"] == zh["id"]  # the assertion points at its edition
    assert zh["name"] == "突破级"
    assert "满足课程中该等级的全部要求" in zh["criteria"]["narrative"]
    en = creds.badge_class("school", "level-a1")
    assert en["name"] == "Breakthrough"
    assert en["id"] == f"{BASE}/ob/v2/badges/school/level-a1"
    assert creds.badge_class("school", "level-a1", "fr")["name"] == "Breakthrough"


def test_a_program_without_languages_names_no_language():
    _, creds = school(SMALL_PROGRAM)
    level = by_kind(creds.issue("school", "ana", language="zh-CN"), "level_reached")
    assert level.title == "Breakthrough"
    vc = claims(creds, level.jwt)
    jsonschema.validate(vc, SCHEMA)
    achievement = vc["credentialSubject"]["achievement"]
    assert "inLanguage" not in achievement and "related" not in achievement
    assert achievement["id"] == f"{BASE}/ob/v2/badges/school/level-a1"
    assert "Certificate of achievement" in creds.certificate(level.credential_id)


def test_credentials_issued_before_languages_stay_valid_and_english():
    lw, creds = school(SMALL_PROGRAM)
    level = by_kind(creds.issue("school", "ana"), "level_reached")
    lw.put_program("school", BILINGUAL_PROGRAM.replace('"1"', '"2"'))
    assert creds.verify(level.jwt).valid
    assert creds.language_of(level) is None
    svg = creds.certificate(level.credential_id)
    assert "Certificate of achievement" in svg and "Breakthrough" in svg


def test_without_a_program_compiler_the_stored_titles_are_used():
    lw, _ = school()
    creds = Credentials(InMemoryCredentialStore(), lw.log, Clock(), BASE)
    level = by_kind(creds.issue("school", "ana", language="zh-CN"), "level_reached")
    assert level.title == "Breakthrough"
    assert creds.language_of(level) is None


@pytest.mark.parametrize(
    ("tag", "shown"),
    [("zh-CN", "zh-CN"), ("zh-hant-tw", "zh-Hant-TW"), ("EN", "en"), (None, None)],
)
def test_language_tags_are_cased_as_ob3_writes_them(tag, shown):
    assert ob.ob3_language(tag) == shown


def test_a_tag_ob3_cannot_hold_is_left_out():
    assert ob.ob3_language("de-1996") is None


# -- receipt lines -----------------------------------------------------------------


def test_receipt_lines_name_rules_tasks_levels_and_badges_in_the_language():
    lw, _ = school()
    program = lw.program("school")
    zh = school_names(program, "zh-CN")
    rows = lw.receipts("school", "ana", limit=50)
    lines = [receipt_line(r, zh) for r in rows]
    [homework_line, *_] = [x for x in lines if "完成作业" in x]
    # The rule's title, then the exact formula as recorded.
    assert "XP: 完成作业 (50 * score / max_score = 50 with " in homework_line
    assert any("reached 突破级 (a1): " in x for x in lines)
    assert any("earned the badge 完成者 (铜牌)" in x for x in lines)
    plain = [receipt_line(r) for r in rows]
    assert any("XP: homework (50 * score / max_score" in x for x in plain)
    assert any("reached Breakthrough (a1)" in x for x in plain)


def test_a_team_reward_receipt_names_its_task():
    program = load_program(BILINGUAL_PROGRAM)
    receipt = Receipt(
        rule="task:class_lessons",
        formula="team task reward",
        inputs=(),
        base=50,
        factor=1.0,
        repeat=0,
        daily_cap=None,
        earned_today=0,
        capped=False,
        xp=50,
    )
    row = {
        "at": "2026-01-05T09:00:00+00:00",
        "kind": "xp",
        "receipt": {**asdict(receipt), "text": receipt.text},
    }
    assert receipt_line(row, school_names(program, "zh-CN")).endswith(
        "+50 XP: 全班完成2节课 (50)"
    )
    assert receipt_line(row, school_names(program, "fr")).endswith(
        "+50 XP: Our class: 2 lessons (50)"
    )
    assert receipt_line(row) == f"2026-01-05 09:00 {receipt.text}"
