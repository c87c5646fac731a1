"""The credentials API: issue, list, revoke (with a key) and the public routes."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from levelwise.adapters.memory.credentials import InMemoryCredentialStore
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.credentials.openbadges import ALG, bit_set
from levelwise.app.engine import Levelwise
from tests.api.conftest import FixedClock, assert_problem
from tests.support.factories import completed, homework

pytestmark = pytest.mark.anyio
BASE = "https://badges.example.org"


@pytest.fixture
def engine() -> Levelwise:
    return Levelwise(
        InMemoryEventLog(),
        FixedClock(),
        credentials=InMemoryCredentialStore(),
        public_url=BASE,
    )


async def reach_a1(client, headers, learner: str = "ana") -> None:
    events = [
        completed("u1", learner=learner, minutes=1),
        homework(10, learner=learner, minutes=2),
        homework(10, learner=learner, minutes=3),
    ]
    r = await client.post("/v1/events", json=events, headers=headers)
    assert r.status_code == 200, r.text


async def issue(client, headers, learner: str = "ana") -> dict:
    r = await client.post(
        f"/v1/learners/{learner}/credentials", json={}, headers=headers
    )
    assert r.status_code == 200, r.text
    [credential] = r.json()["credentials"]
    return credential


async def test_issue_list_and_fetch_the_hosted_documents(client, school_a):
    await reach_a1(client, school_a)
    credential = await issue(client, school_a)
    assert credential["created"] is True
    assert credential["title"] == "Breakthrough"
    again = await issue(client, school_a)
    assert again["id"] == credential["id"] and again["created"] is False
    listed = await client.get("/v1/learners/ana/credentials", headers=school_a)
    assert [c["id"] for c in listed.json()["credentials"]] == [credential["id"]]
    # Public: no API key.
    assertion = await client.get(f"/ob/v2/assertions/{credential['id']}")
    assert assertion.status_code == 200
    assert assertion.headers["content-type"] == "application/ld+json"
    doc = assertion.json()
    assert doc["type"] == "Assertion" and doc["verification"] == {"type": "hosted"}
    badge = await client.get(doc["badge"].removeprefix(BASE))
    assert badge.json()["type"] == "BadgeClass"
    issuer = await client.get(badge.json()["issuer"].removeprefix(BASE))
    assert issuer.json()["type"] == "Profile"
    assert issuer.json()["name"] == "school-a"


async def test_the_jwt_verifies_with_the_published_key_set(client, school_a):
    await reach_a1(client, school_a)
    credential = await issue(client, school_a)
    token = (await client.get(f"/ob/v3/credentials/{credential['id']}")).text
    jwks = (await client.get("/ob/v3/issuers/school-a/jwks.json")).json()
    assert all("d" not in k for k in jwks["keys"])
    claims = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=[ALG]).claims
    assert "OpenBadgeCredential" in claims["type"]
    r = await client.post(
        "/v1/verify", content=token, headers={"content-type": "application/vc+jwt"}
    )
    assert r.status_code == 200
    assert r.json()["valid"] is True and r.json()["reasons"] == []
    as_json = await client.post("/v1/verify", json=token)
    assert as_json.json()["valid"] is True


async def test_revocation_is_public_everywhere(client, school_a):
    await reach_a1(client, school_a)
    credential = await issue(client, school_a)
    cid = credential["id"]
    token = (await client.get(f"/ob/v3/credentials/{cid}")).text
    hosted = (await client.get(f"/ob/v2/assertions/{cid}")).json()
    r = await client.post(
        f"/v1/credentials/{cid}/revoke", json={"reason": "cheating"}, headers=school_a
    )
    assert r.status_code == 200 and r.json()["revoked"] is True
    gone = await client.get(f"/ob/v2/assertions/{cid}")
    assert gone.status_code == 410
    assert gone.json()["revoked"] is True
    assert gone.json()["revocationReason"] == "cheating"
    jwks = (await client.get("/ob/v3/issuers/school-a/jwks.json")).json()
    status = (await client.get("/ob/v3/status/school-a")).text
    claims = jwt.decode(status, KeySet.import_key_set(jwks), algorithms=[ALG]).claims
    assert bit_set(claims["credentialSubject"]["encodedList"], 0)  # the first
    for body in (token, hosted):
        verdict = (await client.post("/v1/verify", json=body)).json()
        assert verdict["valid"] is False
        assert [r.split(":")[0] for r in verdict["reasons"]] == ["revocation"]


async def test_another_school_cannot_revoke_or_certify(client, school_a, school_b):
    await reach_a1(client, school_a)
    credential = await issue(client, school_a)
    r = await client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason": "x"},
        headers=school_b,
    )
    assert_problem(r, 404, "credential-not-found")
    r = await client.post("/v1/learners/ana/credentials", json={}, headers=school_b)
    assert_problem(r, 409, "program-required")  # school B has no learners at all
    assert (
        await client.get(f"/ob/v2/assertions/{credential['id']}")
    ).status_code == 200
    assert_problem(
        await client.get("/ob/v3/issuers/school-b/jwks.json"),
        404,
        "credential-not-found",
    )


async def test_bad_requests_get_problems_and_change_nothing(client, school_a):
    await reach_a1(client, school_a)
    r = await client.post(
        "/v1/learners/ana/credentials", json={"event_id": "nope"}, headers=school_a
    )
    assert_problem(r, 404, "credential-not-found")
    r = await client.post(
        "/v1/learners/ana/credentials", json={"seq": -1}, headers=school_a
    )
    assert_problem(r, 422, "invalid-request")
    r = await client.post("/v1/learners/ana/credentials", json={})
    assert_problem(r, 401, "unauthenticated")
    listed = await client.get("/v1/learners/ana/credentials", headers=school_a)
    assert listed.json()["credentials"] == []
    r = await client.put(
        "/v1/credentials/issuer", json={"name": "S", "url": "ftp://x"}, headers=school_a
    )
    assert_problem(r, 422, "invalid-credential-request")
    assert_problem(
        await client.get("/ob/v2/assertions/abc123"), 404, "credential-not-found"
    )
    r = await client.post("/v1/verify", json=[1, 2])
    assert_problem(r, 422, "invalid-request")
    r = await client.post(
        "/v1/verify", content=b"x", headers={"content-type": "image/png"}
    )
    assert_problem(r, 415, "unsupported-media-type")


async def test_the_certificate_is_an_svg_with_the_verification_url(client, school_a):
    await reach_a1(client, school_a)
    credential = await issue(client, school_a)
    r = await client.get(f"/ob/certificates/{credential['id']}.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert credential["assertion_url"] in r.text
    assert r.text.count("<svg") == 2  # the page and its QR code


async def test_public_routes_show_no_learner_or_event_id(client, school_a):
    learner = "learner-SECRET-42"
    events = [
        completed("u1", learner=learner, minutes=1, id_="evt-SECRET-5"),
        homework(10, learner=learner, minutes=2, id_="evt-SECRET-6"),
        homework(10, learner=learner, minutes=3, id_="evt-SECRET-7"),
    ]
    r = await client.post("/v1/events", json=events, headers=school_a)
    assert r.status_code == 200, r.text
    credential = await issue(client, school_a, learner)
    cid = credential["id"]
    for path in (
        f"/ob/v2/assertions/{cid}",
        f"/ob/v3/credentials/{cid}",
        f"/ob/certificates/{cid}.svg",
    ):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert "SECRET" not in r.text, path
    # The JWT is base64url: decode its payload to look inside.
    token = (await client.get(f"/ob/v3/credentials/{cid}")).text
    jwks = (await client.get("/ob/v3/issuers/school-a/jwks.json")).json()
    claims = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=[ALG]).claims
    assert "SECRET" not in str(claims)
    svg = (await client.get(f"/ob/certificates/{cid}.svg")).text
    assert "a learner of school-a" in svg


async def test_public_documents_are_served_as_openapi_says(client, school_a):
    """Each public document's media type is the one its OpenAPI 200 declares."""
    await reach_a1(client, school_a)
    credential = await issue(client, school_a)
    paths = (await client.get("/openapi.json")).json()["paths"]
    ident = credential["id"]
    assertion = (await client.get(f"/ob/v2/assertions/{ident}")).json()
    slug = assertion["badge"].rsplit("/", 1)[1]
    served = {
        "/ob/v2/issuers/{tenant_id}": "/ob/v2/issuers/school-a",
        "/ob/v2/badges/{tenant_id}/{slug}": f"/ob/v2/badges/school-a/{slug}",
        "/ob/v2/assertions/{credential_id}": f"/ob/v2/assertions/{ident}",
        "/ob/v3/issuers/{tenant_id}/jwks.json": "/ob/v3/issuers/school-a/jwks.json",
        "/ob/v3/credentials/{credential_id}": f"/ob/v3/credentials/{ident}",
        "/ob/v3/status/{tenant_id}": "/ob/v3/status/school-a",
        "/ob/certificates/{credential_id}.svg": f"/ob/certificates/{ident}.svg",
    }
    seen = set()
    for template, url in served.items():
        response = await client.get(url)
        assert response.status_code == 200, (url, response.text)
        media = response.headers["content-type"].split(";")[0]
        documented = paths[template]["get"]["responses"]["200"]["content"]
        assert list(documented) == [media], template
        seen.add(media)
    assert seen == {
        "application/ld+json",
        "application/jwk-set+json",
        "application/vc+jwt",
        "image/svg+xml",
    }


async def test_a_credential_is_issued_in_the_learners_language(
    client, engine, school_a
):
    from tests.support.factories import BILINGUAL_PROGRAM

    engine.put_program("school-a", BILINGUAL_PROGRAM.replace('"1"', '"2"'))
    await reach_a1(client, school_a)
    r = await client.post(
        "/v1/learners/ana/credentials", json={"language": "zh-CN"}, headers=school_a
    )
    assert r.status_code == 200, r.text
    [level] = [c for c in r.json()["credentials"] if c["kind"] == "level_reached"]
    assert level["title"] == "突破级" and level["language"] == "zh-CN"
    assertion = (await client.get(f"/ob/v2/assertions/{level['id']}")).json()
    assert assertion["badge"].endswith("/level-a1?lang=zh-CN")
    badge = await client.get(assertion["badge"].removeprefix(BASE))
    assert badge.status_code == 200, badge.text
    assert badge.json()["name"] == "突破级"
    assert badge.json()["id"] == assertion["badge"]
    english = await client.get("/ob/v2/badges/school-a/level-a1?lang=en")
    assert english.json()["name"] == "Breakthrough"
    svg = (await client.get(f"/ob/certificates/{level['id']}.svg")).text
    assert "成就证书" in svg and "突破级" in svg


async def test_a_bad_language_is_a_problem_and_issues_nothing(client, school_a):
    await reach_a1(client, school_a)
    r = await client.post(
        "/v1/learners/ana/credentials", json={"language": "<zh>"}, headers=school_a
    )
    assert_problem(r, 422, "invalid-request")
    r = await client.get("/ob/v2/badges/school-a/level-a1?lang=%3Czh%3E")
    assert_problem(r, 422, "invalid-request")
    listed = await client.get("/v1/learners/ana/credentials", headers=school_a)
    assert listed.json()["credentials"] == []
