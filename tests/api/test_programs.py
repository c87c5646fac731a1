"""/v1/programs: read, validate, upload a new version and replay."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from levelwise.api.deps import MAX_PROGRAM_BYTES
from tests.api.conftest import assert_problem
from tests.support.factories import SMALL_PROGRAM, completed, watched

pytestmark = pytest.mark.anyio

YAML = {"content-type": "application/yaml"}


async def test_current_program_has_summary_and_source(client, school_a):
    response = await client.get("/v1/programs/current", headers=school_a)

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["version"], body["title"]) == (
        "tiny-english",
        1,
        "Tiny English",
    )
    assert body["dimensions"] == ["vocabulary", "speaking"]
    assert [lvl["id"] for lvl in body["levels"]] == ["starter", "a1", "a2"]
    assert body["levels"][1]["gates"] == ["xp >= 100", "units_completed includes [u1]"]
    assert body["source"] == SMALL_PROGRAM


@pytest.mark.parametrize("media", ["application/yaml", "text/yaml", "text/plain", None])
async def test_put_reads_the_yaml_text(client, school_b, media):
    headers = {**school_b, **({"content-type": media} if media else {})}

    response = await client.put("/v1/programs", content=SMALL_PROGRAM, headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["version"]) == ("tiny-english", 1)
    assert body["replay"] == {
        "version": 1,
        "learners": 0,
        "events": 0,
        "levels_changed": 0,
    }


async def test_put_reads_json_with_a_filename(client, school_b):
    payload = {"source": "program: x\n", "filename": "school-b.yaml"}

    response = await client.put("/v1/programs", json=payload, headers=school_b)

    body = assert_problem(response, 422, "invalid-program")
    assert {e["file"] for e in body["errors"]} == {"school-b.yaml"}


async def test_an_invalid_program_is_422_with_line_numbers(client, school_a):
    broken = SMALL_PROGRAM.replace("  - id: a2\n", "  - idd: a2\n")

    response = await client.put(
        "/v1/programs", content=broken, headers={**school_a, **YAML}
    )

    body = assert_problem(response, 422, "invalid-program")
    lines = broken.splitlines()
    assert body["errors"]
    for error in body["errors"]:
        assert set(error) == {"file", "line", "message", "hint"}
        assert error["file"] == "program.yaml"
    assert any(
        lines[e["line"] - 1].strip() == "- idd: a2" for e in body["errors"] if e["line"]
    )
    current = await client.get("/v1/programs/current", headers=school_a)
    assert current.json()["version"] == 1


async def test_an_impossible_date_is_422_with_its_line(client, school_b):
    text = SMALL_PROGRAM + (
        "badges:\n  - id: winter\n    on: lesson.watched\n    end: 2025-02-30\n"
    )

    response = await client.put(
        "/v1/programs", content=text, headers={**school_b, **YAML}
    )

    body = assert_problem(response, 422, "invalid-program")
    assert body["errors"] == [
        {
            "file": "program.yaml",
            "line": len(SMALL_PROGRAM.splitlines()) + 4,
            "message": "badges.0.end: input should be a valid date or datetime, "
            "day value is outside expected range",
            "hint": "write dates as YYYY-MM-DD",
        }
    ]


async def test_warnings_come_back_with_the_stored_program(client, school_b):
    text = SMALL_PROGRAM.replace(
        "    prerequisites: [greetings]\n",
        "    prerequisites: [greetings]\n"
        "  - id: colours\n    dimensions: [vocabulary]\n",
    )

    response = await client.put(
        "/v1/programs", content=text, headers={**school_b, **YAML}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 1
    assert body["warnings"] == [
        {
            "file": "program.yaml",
            "line": text.splitlines().index("  - id: colours") + 1,
            "message": "no scored unit measures knowledge point 'colours', so "
            "plans cannot raise its mastery",
            "hint": "add it to the knowledge_points of an exercise, quiz, practice, "
            "homework or live_class unit",
        }
    ]
    again = await client.put("/v1/programs", content=text, headers={**school_b, **YAML})
    assert again.json()["replay"] is None
    assert again.json()["warnings"] == body["warnings"]


async def test_a_changed_program_replays_learners_into_new_levels(client, school_a):
    events = [watched(600, minutes=1), completed("u1", minutes=2)]
    await client.post("/v1/events", json=events, headers=school_a)
    easier = SMALL_PROGRAM.replace("xp >= 100", "xp >= 25")

    response = await client.put(
        "/v1/programs", content=easier, headers={**school_a, **YAML}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["version"], body["changed"]) == (2, True)
    assert body["levels"][1]["gates"][0] == "xp >= 25"
    assert body["replay"] == {
        "version": 2,
        "learners": 1,
        "events": 2,
        "levels_changed": 1,
    }
    learner = (await client.get("/v1/learners/ana", headers=school_a)).json()
    assert (learner["level"]["id"], learner["program_version"]) == ("a1", 2)
    receipts = (await client.get("/v1/learners/ana/receipts", headers=school_a)).json()
    assert {r["program_version"] for r in receipts["receipts"]} == {2}
    assert receipts["receipts"][0]["kind"] == "level_reached"
    old = await client.get("/v1/learners/ana/receipts?version=1", headers=school_a)
    assert {r["program_version"] for r in old.json()["receipts"]} == {1}
    assert "level_reached" not in {r["kind"] for r in old.json()["receipts"]}


async def test_uploading_the_same_program_again_says_nothing_changed(client, school_a):
    response = await client.put("/v1/programs", content=SMALL_PROGRAM, headers=school_a)

    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["changed"], body["replay"]) == (1, False, None)


async def test_an_empty_program_is_422_invalid_request(client, school_a):
    response = await client.put(
        "/v1/programs", content=b"", headers={**school_a, **YAML}
    )

    body = assert_problem(response, 422, "invalid-request")
    assert body["errors"][0]["loc"] == ["body", "source"]


async def test_a_program_that_is_not_utf8_is_422(client, school_a):
    response = await client.put(
        "/v1/programs", content=b"\xff\xfe", headers={**school_a, **YAML}
    )

    assert_problem(response, 422, "invalid-request")


async def test_a_program_in_another_media_type_is_415(client, school_a):
    headers = {**school_a, "content-type": "application/x-www-form-urlencoded"}

    response = await client.put("/v1/programs", content=SMALL_PROGRAM, headers=headers)

    body = assert_problem(response, 415, "unsupported-media-type")
    assert "application/yaml" in body["detail"]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_program_over_1_mb_is_413(client, school_a, declared):
    big = b"#" * (MAX_PROGRAM_BYTES + 1)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    content = big if declared else chunks()
    response = await client.put(
        "/v1/programs", content=content, headers={**school_a, **YAML}
    )

    assert_problem(response, 413, "body-too-large")
