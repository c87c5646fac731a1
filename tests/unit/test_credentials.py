"""Credentials: OB 2.0 documents, OB 3.0 JWTs, revocation and verification."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jsonschema
import pytest
import segno
from joserfc import jwt
from joserfc.jwk import KeySet
from pyld import jsonld

from levelwise.adapters.memory.credentials import InMemoryCredentialStore
from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.app.credentials import openbadges as ob
from levelwise.app.engine import Levelwise
from levelwise.errors import (
    CredentialError,
    CredentialNotFoundError,
    LearnerNotFoundError,
)
from tests.support.factories import SMALL_PROGRAM, completed, event, homework

DATA = Path(__file__).resolve().parent.parent / "data"
BASE = "https://badges.example.org"


class Clock:
    """A clock tests can move."""

    def __init__(self, now: str = "2026-02-01T10:00:00+00:00") -> None:
        self.now = now

    def now_iso(self) -> str:
        return self.now


def make_engine(clock: Clock | None = None) -> Levelwise:
    clock = clock or Clock()
    lw = Levelwise(
        InMemoryEventLog(),
        clock,
        credentials=InMemoryCredentialStore(),
        public_url=BASE,
    )
    for school in ("school", "other"):
        lw.put_program(school, SMALL_PROGRAM)
    return lw


def reach_a1(lw: Levelwise, tenant: str = "school", learner: str = "ana") -> str:
    """Bring a learner to level a1; return the event that did it."""
    report = lw.ingest(
        tenant,
        [
            completed("u1", learner=learner, minutes=1),
            homework(10, learner=learner, minutes=2),
            homework(10, learner=learner, minutes=3),
        ],
    )
    reached = [r for r in report.results if "a1" in r.levels]
    assert reached, report
    assert reached[0].id is not None
    return reached[0].id


@pytest.fixture
def lw() -> Levelwise:
    return make_engine()


def _ob2_loader(url: str, options: object = None) -> dict[str, object]:
    assert url == ob.OB2_CONTEXT, url
    document = json.loads((DATA / "openbadges_v2_context.json").read_text())
    return {"contextUrl": None, "documentUrl": url, "document": document}


def _expands_fully(doc: dict[str, object]) -> list[dict[str, object]]:
    """Expand with the published OB v2 context; every term must survive."""
    expanded = jsonld.expand(doc, {"documentLoader": _ob2_loader})
    compacted = jsonld.compact(
        expanded, ob.OB2_CONTEXT, {"documentLoader": _ob2_loader}
    )
    assert set(compacted) == set(doc), "a property is not defined by the OB context"
    return expanded  # type: ignore[no-any-return]


def test_an_ob2_assertion_is_valid_json_ld_with_the_required_fields(lw):
    event_id = reach_a1(lw)
    [issued] = lw.credentials.issue("school", "ana", event_id)
    doc, revoked = lw.credentials.hosted_assertion(issued.credential.credential_id)
    assert not revoked
    expanded = _expands_fully(doc)
    assert expanded[0]["@type"] == ["https://w3id.org/openbadges#Assertion"]
    # Required by OB 2.0: id, type, recipient, badge, verification, issuedOn.
    assert doc["id"] == f"{BASE}/ob/v2/assertions/{issued.credential.credential_id}"
    assert doc["verification"] == {"type": "hosted"}
    assert doc["issuedOn"] == "2026-02-01T10:00:00Z"
    recipient = doc["recipient"]
    assert recipient["hashed"] is True
    identity = ob.recipient_identity("school", "ana")
    assert recipient["identity"] == ob.identity_hash(identity, recipient["salt"])
    assert "ana" not in json.dumps(doc)
    assert "a1" in doc["evidence"][0]["narrative"]
    assert event_id not in doc["evidence"][0]["narrative"]


def test_salts_differ_per_assertion(lw):
    reach_a1(lw, learner="ana")
    reach_a1(lw, learner="bo")
    [a] = lw.credentials.issue("school", "ana")
    [b] = lw.credentials.issue("school", "bo")
    salt = [json.loads(x.credential.assertion)["recipient"]["salt"] for x in (a, b)]
    assert salt[0] != salt[1]


def test_profile_and_badge_class_are_valid_json_ld(lw):
    reach_a1(lw)
    lw.credentials.set_issuer("school", "Tiny School", "https://tiny.example", "a@b.c")
    [issued] = lw.credentials.issue("school", "ana")
    profile = lw.credentials.profile("school")
    badge = lw.credentials.badge_class("school", issued.credential.achievement)
    assert _expands_fully(profile)[0]["@type"] == [
        "https://w3id.org/openbadges#Profile"
    ]
    assert _expands_fully(badge)[0]["@type"] == [
        "https://w3id.org/openbadges#BadgeClass"
    ]
    assert profile["name"] == "Tiny School"
    assert profile["email"] == "a@b.c"
    assert badge["issuer"] == profile["id"]
    assert badge["name"] == "Breakthrough"
    assert badge["image"].startswith("data:image/svg+xml;base64,")
    assert json.loads(issued.credential.assertion)["badge"] == badge["id"]


def test_ob3_credential_matches_the_published_schema_and_round_trips(lw):
    reach_a1(lw)
    [issued] = lw.credentials.issue("school", "ana")
    token = issued.credential.jwt
    keys = KeySet.import_key_set(lw.credentials.jwks("school"))
    decoded = jwt.decode(token, keys, algorithms=[ob.ALG])
    assert decoded.header["typ"] == "vc+jwt"
    schema = json.loads(
        (DATA / "ob_v3p0_achievementcredential.schema.json").read_text()
    )
    jsonschema.validate(decoded.claims, schema)
    claims = decoded.claims
    assert claims["issuer"]["id"] == f"{BASE}/ob/v2/issuers/school"
    assert claims["credentialSubject"]["achievement"]["name"] == "Breakthrough"
    assert (
        claims["credentialStatus"]["statusListCredential"]
        == f"{BASE}/ob/v3/status/school"
    )
    result = lw.credentials.verify(token)
    assert result.valid, result.checks
    assert {c.name for c in result.checks} >= {
        "signature",
        "issuer_key",
        "expiry",
        "revocation",
    }


def test_private_keys_are_never_published(lw):
    reach_a1(lw)
    lw.credentials.issue("school", "ana")
    [key] = lw.credentials.jwks("school")["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519"
    assert "d" not in key


def _tamper(token: str) -> str:
    header, _, signature = token.split(".")
    parsed = ob.unverified(token)
    assert parsed is not None
    claims = parsed[1]
    claims["credentialSubject"]["achievement"]["name"] = "Mastery"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode()
    return f"{header}.{forged.rstrip('=')}.{signature}"


def test_a_tampered_payload_does_not_verify(lw):
    reach_a1(lw)
    [issued] = lw.credentials.issue("school", "ana")
    result = lw.credentials.verify(_tamper(issued.credential.jwt))
    assert not result.valid
    failed = {c.name for c in result.checks if not c.ok}
    assert failed == {"signature"}


def test_a_credential_signed_with_another_tenants_key_does_not_verify(lw):
    reach_a1(lw, tenant="school")
    reach_a1(lw, tenant="other")
    [mine] = lw.credentials.issue("school", "ana")
    lw.credentials.issue("other", "ana")
    claims = ob.unverified(mine.credential.jwt)[1]
    with lw.credentials.store.read("other") as s:
        other_key = s.signing_key()
    forged = ob.sign(claims, other_key)
    result = lw.credentials.verify(forged)
    assert not result.valid
    assert {c.name for c in result.checks if not c.ok} >= {"issuer_key", "signature"}


def test_revocation_shows_in_the_status_list_verify_and_hosted_assertion(lw):
    reach_a1(lw)
    [issued] = lw.credentials.issue("school", "ana")
    cid = issued.credential.credential_id
    index = issued.credential.status_index
    before = jwt.decode(
        lw.credentials.status_list("school"),
        KeySet.import_key_set(lw.credentials.jwks("school")),
        algorithms=[ob.ALG],
    ).claims
    assert not ob.bit_set(before["credentialSubject"]["encodedList"], index)
    lw.credentials.revoke("school", cid, "awarded in error")
    after = jwt.decode(
        lw.credentials.status_list("school"),
        KeySet.import_key_set(lw.credentials.jwks("school")),
        algorithms=[ob.ALG],
    ).claims
    assert ob.bit_set(after["credentialSubject"]["encodedList"], index)
    result = lw.credentials.verify(issued.credential.jwt)
    assert not result.valid
    assert [c.name for c in result.checks if not c.ok] == ["revocation"]
    doc, revoked = lw.credentials.hosted_assertion(cid)
    assert revoked and doc["revoked"] is True
    assert doc["revocationReason"] == "awarded in error"
    ob2 = lw.credentials.verify(json.loads(issued.credential.assertion))
    assert not ob2.valid
    assert [c.name for c in ob2.checks if not c.ok] == ["revocation"]


def test_issuing_is_idempotent_per_award(lw):
    event_id = reach_a1(lw)
    [first] = lw.credentials.issue("school", "ana", event_id)
    [again] = lw.credentials.issue("school", "ana", event_id)
    [all_] = lw.credentials.issue("school", "ana")
    assert first.created and not again.created and not all_.created
    assert first.credential == again.credential == all_.credential
    assert lw.credentials.list("school", "ana") == [first.credential]


def test_a_learner_of_another_tenant_cannot_be_certified(lw):
    reach_a1(lw, tenant="other", learner="zoe")
    with pytest.raises(LearnerNotFoundError):
        lw.credentials.issue("school", "zoe")
    with lw.credentials.store.read("school") as s:
        assert s.keys() == []
    assert lw.credentials.list("school", "zoe") == []


def test_an_event_without_an_award_is_refused(lw):
    reach_a1(lw)
    with pytest.raises(CredentialNotFoundError):
        lw.credentials.issue("school", "ana", "no-such-event")
    assert lw.credentials.list("school", "ana") == []


def test_bad_issuer_profiles_are_refused_and_change_nothing(lw):
    for name, url, email in (
        ("", "https://x", ""),
        ("S", "ftp://x", ""),
        ("S", "https://x", "nope"),
    ):
        with pytest.raises(CredentialError):
            lw.credentials.set_issuer("school", name, url, email)
    assert lw.credentials.issuer("school").name == "school"


def test_expired_and_not_yet_valid_credentials_do_not_verify():
    clock = Clock()
    lw = make_engine(clock)
    reach_a1(lw)
    [issued] = lw.credentials.issue("school", "ana")
    claims = ob.unverified(issued.credential.jwt)[1]
    with lw.credentials.store.read("school") as s:
        key = s.signing_key()
    expired = ob.sign({**claims, "validUntil": "2026-01-15T00:00:00Z"}, key)
    result = lw.credentials.verify(expired)
    assert [c.name for c in result.checks if not c.ok] == ["expiry"]
    clock.now = "2026-01-01T00:00:00+00:00"
    early = lw.credentials.verify(issued.credential.jwt)
    assert [c.name for c in early.checks if not c.ok] == ["expiry"]


def test_garbage_and_foreign_assertions_are_invalid(lw):
    assert lw.credentials.verify("not a jwt").format == "unknown"
    assert not lw.credentials.verify("not a jwt").valid
    foreign = {"id": "https://elsewhere.example/a/1", "type": "Assertion"}
    result = lw.credentials.verify(foreign)
    assert not result.valid
    assert [c.name for c in result.checks if not c.ok] == ["hosted"]


def test_an_altered_ob2_assertion_does_not_match_the_hosted_one(lw):
    reach_a1(lw)
    [issued] = lw.credentials.issue("school", "ana")
    doc = json.loads(issued.credential.assertion)
    assert lw.credentials.verify(doc).valid
    doc["badge"] = f"{BASE}/ob/v2/badges/school/level-a2"
    result = lw.credentials.verify(doc)
    assert [c.name for c in result.checks if not c.ok] == ["hosted"]


def test_the_certificate_has_the_verification_url_and_its_qr_code(lw):
    reach_a1(lw)
    [issued] = lw.credentials.issue("school", "ana")
    cid = issued.credential.credential_id
    svg = lw.credentials.certificate(cid)
    url = f"{BASE}/ob/v2/assertions/{cid}"
    assert url in svg
    assert "Breakthrough" in svg
    expected = segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#111")
    path = expected.split(' d="', 1)[1].split('"', 1)[0]
    assert f'd="{path}"' in svg


SECRET_LEARNER = "learner-SECRET-42"


def reach_a1_with_secret_ids(lw: Levelwise, **profile: str) -> None:
    """Bring ``SECRET_LEARNER`` to a1 with event ids ``evt-SECRET-<n>``."""
    events = [
        completed("u1", learner=SECRET_LEARNER, minutes=1, id_="evt-SECRET-5"),
        homework(10, learner=SECRET_LEARNER, minutes=2, id_="evt-SECRET-6"),
        homework(10, learner=SECRET_LEARNER, minutes=3, id_="evt-SECRET-7"),
    ]
    if profile:
        events.insert(
            0,
            event(
                "profile.updated",
                learner=SECRET_LEARNER,
                id_="evt-SECRET-1",
                **profile,
            ),
        )
    report = lw.ingest("school", events)
    assert any("a1" in r.levels for r in report.results), report


def _public_documents(lw: Levelwise, cid: str) -> dict[str, str]:
    found = lw.credentials.credential(cid)
    hosted, _ = lw.credentials.hosted_assertion(cid)
    payload = ob.unverified(found.jwt)
    assert payload is not None
    return {
        "certificate": lw.credentials.certificate(cid),
        "assertion": json.dumps(hosted),
        "jwt": found.jwt,
        "jwt payload": json.dumps(payload[1]),
        "narrative": hosted["evidence"][0]["narrative"],
    }


@pytest.mark.parametrize("profile", [{}, {"display_name": "Ana Lima"}])
def test_public_documents_carry_neither_the_learner_nor_the_event_id(lw, profile):
    reach_a1_with_secret_ids(lw, **profile)
    [issued] = lw.credentials.issue("school", SECRET_LEARNER)
    assert issued.credential.award.event_id.startswith("evt-SECRET-")
    documents = _public_documents(lw, issued.credential.credential_id)
    for name, text in documents.items():
        assert "SECRET" not in text, name
    assert "Breakthrough" in documents["narrative"]
    assert "2026-01-05" in documents["narrative"]


def test_the_certificate_names_the_learner_only_by_the_display_name(lw):
    reach_a1_with_secret_ids(lw, display_name="Ana <Lima> & Co")
    [issued] = lw.credentials.issue("school", SECRET_LEARNER)
    svg = lw.credentials.certificate(issued.credential.credential_id)
    assert "This certifies that" in svg
    assert "Ana &lt;Lima&gt; &amp; Co" in svg
    assert "a learner of" not in svg


def test_without_a_display_name_the_certificate_names_no_one(lw):
    reach_a1_with_secret_ids(lw)
    lw.credentials.set_issuer("school", "Sunrise School", "https://sunrise.example")
    [issued] = lw.credentials.issue("school", SECRET_LEARNER)
    svg = lw.credentials.certificate(issued.credential.credential_id)
    assert "This certifies that a learner of Sunrise School" in svg
    assert "has achieved" in svg and "Breakthrough" in svg
    assert SECRET_LEARNER not in svg


def test_a_display_name_set_after_issue_shows_on_the_certificate(lw):
    reach_a1_with_secret_ids(lw)
    [issued] = lw.credentials.issue("school", SECRET_LEARNER)
    lw.ingest(
        "school",
        [event("profile.updated", learner=SECRET_LEARNER, minutes=9,
               display_name="Ana Lima")],
    )  # fmt: skip
    svg = lw.credentials.certificate(issued.credential.credential_id)
    assert "Ana Lima" in svg and "a learner of" not in svg


def test_status_bits_are_counted_from_the_left():
    encoded = ob.encoded_list([0, 9])
    assert ob.bit_set(encoded, 0) and ob.bit_set(encoded, 9)
    assert not ob.bit_set(encoded, 1) and not ob.bit_set(encoded, 8)
    assert not ob.bit_set(encoded, 10 * ob.STATUS_BITS)
