"""Verifiable certificates: issue, list, revoke, publish and verify Open Badges.

A credential certifies one award (a stored ``level_reached``, ``level_placed``
or ``badge_earned`` outcome of the tenant's current program). Issuing writes,
once per award, an Open Badges 2.0 hosted Assertion and an Open Badges 3.0
credential signed with the tenant's Ed25519 key (made on first use and kept
in the credential store); both carry the same evidence narrative from the
award's receipt. No public document carries the learner's id or the award's
event id; the printable certificate names the learner only by the display
name the school set. Revoking sets the credential's bit in the tenant's status
list and makes its hosted assertion answer 410 Gone. Documents are built by
:mod:`levelwise.app.credentials.openbadges`.

A credential is written in one language of the program (asked for when it is
issued; default: the program's first): the achievement's name and the evidence
in the school's own names in that language, the fixed sentences in English or
Chinese. The OB 3.0 credential says which (the achievement's ``inLanguage``)
and lists the program's other languages as ``related`` editions of the
achievement, each a BadgeClass URL with ``?lang=``. The certificate reads the
language back from the signed credential, so nothing new is stored and the
credentials issued before languages existed stay as they were (English).
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from levelwise.app.credentials import openbadges as ob
from levelwise.app.credentials._names import (
    achievement_title,
    badge_title,
    credential_language,
    level_title,
)
from levelwise.app.credentials.certificate import certificate_svg
from levelwise.app.credentials.ports import (
    AWARD_KINDS,
    AwardKey,
    CredentialSession,
    CredentialStore,
    IssuerProfile,
    StoredCredential,
)
from levelwise.app.ports import Clock, EventLog, LogSession, StoredOutcome
from levelwise.config import DEFAULT_PUBLIC_URL
from levelwise.domain.program import LANGUAGE_TAG, Program
from levelwise.errors import (
    CredentialError,
    CredentialNotFoundError,
    CredentialsUnavailableError,
    LearnerNotFoundError,
    ProgramNotFoundError,
)

MAX_AWARDS = 10_000

Compile = Callable[[LogSession], Program]
"""The tenant's current program, compiled (the engine's catalog)."""

UNNAMED = Program(
    id="",
    label="",
    title="",
    dimensions=(),
    knowledge_points=(),
    units=(),
    levels=(),
    xp_rules=(),
)
"""What names awards without a compiled program: no languages, stored titles."""


@dataclass(frozen=True)
class Issued:
    """A credential and whether this request created it (False: already issued)."""

    credential: StoredCredential
    created: bool


@dataclass(frozen=True)
class Check:
    """One verification check: ``signature``, ``issuer_key``, ``expiry``, ..."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verification:
    """The answer of :meth:`Credentials.verify`.

    Attributes:
        valid: Whether every check passed.
        format: ``ob3-jwt`` or ``ob2-assertion`` (``unknown`` if unreadable).
        credential_id: The credential's URL/id as given, if readable.
        checks: Every check made, in order.
    """

    valid: bool
    format: str
    credential_id: str | None
    checks: tuple[Check, ...]


class Credentials:
    """The credential use cases of one engine.

    Args:
        store: Where keys and credentials live (None: credentials are off).
        log: The event log, to read awards.
        clock: Issue dates and expiry checks.
        public_url: The base of every hosted URL.
        programs: Compiles the tenant's current program, whose names (in
            each of its languages) credentials are written with; None: the
            titles the awards were stored with, and no language.
    """

    def __init__(
        self,
        store: CredentialStore | None,
        log: EventLog,
        clock: Clock,
        public_url: str = DEFAULT_PUBLIC_URL,
        programs: Compile | None = None,
    ) -> None:
        """Keep the stores; nothing is read yet."""
        self._store = store
        self.log = log
        self.clock = clock
        self.urls = ob.Urls(public_url)
        self._programs = programs

    @property
    def store(self) -> CredentialStore:
        """The credential store.

        Raises:
            CredentialsUnavailableError: The engine has none.
        """
        if self._store is None:
            msg = "this engine was started without a credential store"
            raise CredentialsUnavailableError(msg)
        return self._store

    # -- issuer -------------------------------------------------------------------

    def issuer(self, tenant: str) -> IssuerProfile:
        """The tenant's issuer profile (a default one until set)."""
        with self.store.read(tenant) as s:
            return self._issuer(s, tenant)

    def _issuer(self, s: CredentialSession, tenant: str) -> IssuerProfile:
        return s.issuer() or IssuerProfile(name=tenant, url=self.urls.base)

    def set_issuer(
        self, tenant: str, name: str, url: str, email: str = ""
    ) -> IssuerProfile:
        """Set how the tenant appears as an issuer in new credentials.

        Raises:
            CredentialError: The name is empty, the URL not http(s) or the email
                has no ``@``.
        """
        if not name.strip():
            raise CredentialError("the issuer name must not be empty")
        if not url.startswith(("http://", "https://")):
            raise CredentialError(f"the issuer url must be http(s), got {url!r}")
        if email and "@" not in email:
            raise CredentialError(f"the issuer email {email!r} has no '@'")
        profile = IssuerProfile(name=name.strip(), url=url, email=email)
        with self.store.session(tenant) as s:
            s.put_issuer(profile)
        return profile

    # -- issue ----------------------------------------------------------------------

    def issue(
        self,
        tenant: str,
        learner: str,
        event_id: str | None = None,
        seq: int | None = None,
        language: str | None = None,
    ) -> list[Issued]:
        """Issue credentials for one award, or for every award of the learner.

        Args:
            tenant: The school.
            learner: The learner (of this school).
            event_id: The award's event; None for every award of the learner's
                current program version not yet certified.
            seq: The award's position among that event's outcomes (None:
                every award of the event).
            language: The learner's language (BCP 47, ``zh-CN``); one the
                program lacks falls back to its first language, as does None.

        Returns:
            The awards' credentials, oldest award first; an award issued
            before gives its existing credential (``created`` False), in the
            language it was issued in.

        Raises:
            LearnerNotFoundError: The learner has no events in this school.
            CredentialNotFoundError: That event produced no such award.
            CredentialError: ``language`` is not a language tag.
        """
        if language is not None and not re.match(LANGUAGE_TAG, language):
            msg = f"{language!r} is not a language tag (en, zh-CN, pt-BR)"
            raise CredentialError(msg)
        program, awards = self._awards(tenant, learner)
        written_in = credential_language(program, language)
        if event_id is not None:
            awards = [
                a
                for a in awards
                if a.event_id == event_id and (seq is None or a.seq == seq)
            ]
            if not awards:
                where = "" if seq is None else f" (seq {seq})"
                msg = f"event {event_id!r}{where} gave {learner!r} no level or badge"
                raise CredentialNotFoundError(msg)
        done: list[Issued] = []
        with self.store.session(tenant) as s:
            for award in awards:
                key = AwardKey(
                    learner, award.event_id, award.seq, award.program_version
                )
                found = s.find(key)
                if found is not None:
                    done.append(Issued(found, created=False))
                    continue
                made = self._issue(s, tenant, award, key, program, written_in)
                done.append(Issued(made, created=True))
        return done

    def _awards(self, tenant: str, learner: str) -> tuple[Program, list[StoredOutcome]]:
        with self.log.read(tenant) as s:
            stored = s.program(None)
            if stored is None:
                raise ProgramNotFoundError("no program is set for this school")
            if not s.snapshots([learner]):
                msg = f"learner {learner!r} has no events in this school"
                raise LearnerNotFoundError(msg)
            rows = s.outcomes(learner, stored.version, AWARD_KINDS, MAX_AWARDS)
            program = self._program(s)
        return program, sorted(rows, key=lambda r: (r.at, r.event_id, r.seq))

    def _program(self, s: LogSession) -> Program:
        """The current program's names (:data:`UNNAMED` without a compiler)."""
        return UNNAMED if self._programs is None else self._programs(s)

    def _issue(
        self,
        s: CredentialSession,
        tenant: str,
        award: StoredOutcome,
        key: AwardKey,
        program: Program,
        language: str | None,
    ) -> StoredCredential:
        now = self.clock.now_iso()
        issued_on = _utc(now)
        signing = s.signing_key()
        if signing is None:
            signing = ob.new_key(f"{tenant}-{uuid.uuid4().hex[:8]}", now)
            s.add_key(signing)
        body: dict[str, Any] = json.loads(award.body)
        kind = award.kind
        stored = str(body.get("title") or "")
        if kind == "badge_earned":
            name = str(body.get("badge", ""))
            tier = str(body.get("tier") or "")
            slug = f"badge-{name}" + (f"-{tier}" if tier else "")
            title = badge_title(program, name, tier, stored, language)
        else:
            level = str(body.get("level", ""))
            slug = f"level-{level}"
            title = level_title(program, level, stored, language) or slug
        cid = uuid.uuid4().hex
        salt = secrets.token_hex(16)
        awarded_on = _utc(award.at)
        evidence = ob.narrative(kind, body, awarded_on, title, language)
        index = s.next_status_index()
        hosted = ob.assertion(
            credential_id=cid,
            tenant=tenant,
            learner=key.learner,
            slug=slug,
            salt=salt,
            issued_on=issued_on,
            evidence=evidence,
            urls=self.urls,
            language=language,
        )
        vc = ob.open_badge_credential(
            credential_id=cid,
            tenant=tenant,
            issuer=self._issuer(s, tenant),
            learner=key.learner,
            slug=slug,
            kind=kind,
            title=title,
            salt=salt,
            issued_on=issued_on,
            awarded_on=awarded_on,
            evidence=evidence,
            status_index=index,
            urls=self.urls,
            language=language,
            editions=program.languages,
        )
        credential = StoredCredential(
            credential_id=cid,
            tenant=tenant,
            award=key,
            kind=kind,
            achievement=slug,
            title=title,
            awarded_at=awarded_on,
            issued_at=issued_on,
            status_index=index,
            assertion=json.dumps(hosted, sort_keys=True),
            jwt=ob.sign(vc, signing),
        )
        s.add(credential)
        return credential

    # -- list and revoke ------------------------------------------------------------

    def list(self, tenant: str, learner: str) -> list[StoredCredential]:
        """A learner's credentials, oldest issue first."""
        with self.store.read(tenant) as s:
            return s.credentials(learner)

    @staticmethod
    def language_of(credential: StoredCredential) -> str | None:
        """The language a credential is written in (None: not named)."""
        return ob.achievement_language(credential.jwt)

    def revoke(self, tenant: str, credential_id: str, reason: str) -> StoredCredential:
        """Revoke a credential of the tenant (again: no change).

        Raises:
            CredentialNotFoundError: No such credential in this school.
            CredentialError: The reason is empty.
        """
        if not reason.strip():
            raise CredentialError("give a reason for the revocation")
        with self.store.session(tenant) as s:
            self._own(s, credential_id)
            s.revoke(credential_id, _utc(self.clock.now_iso()), reason.strip())
            return self._own(s, credential_id)

    def _own(self, s: CredentialSession, credential_id: str) -> StoredCredential:
        found = s.credential(credential_id)
        if found is None:
            raise CredentialNotFoundError(f"no credential {credential_id!r} here")
        return found

    # -- public documents -----------------------------------------------------------

    @contextmanager
    def _public(self, tenant: str) -> Iterator[CredentialSession]:
        with self.store.read(tenant) as s:
            if not s.keys():
                raise CredentialNotFoundError(f"{tenant!r} has issued no credentials")
            yield s

    def credential(self, credential_id: str) -> StoredCredential:
        """Any tenant's credential by its public id.

        Raises:
            CredentialNotFoundError: It does not exist.
        """
        tenant = self.store.tenant_of(credential_id)
        if tenant is None:
            raise CredentialNotFoundError(f"no credential {credential_id!r}")
        with self.store.read(tenant) as s:
            return self._own(s, credential_id)

    def profile(self, tenant: str) -> dict[str, Any]:
        """The tenant's OB 2.0 issuer Profile."""
        with self._public(tenant) as s:
            return ob.profile(tenant, self._issuer(s, tenant), self.urls)

    def badge_class(
        self, tenant: str, slug: str, language: str | None = None
    ) -> dict[str, Any]:
        """The OB 2.0 BadgeClass of an achievement the tenant has certified.

        Args:
            tenant: The school.
            slug: The achievement (``level-a1``, ``badge-reader-bronze``).
            language: The edition asked for (``?lang=``); its name comes from
                the school's current program, in that language or the
                program's first. An achievement the program no longer has
                keeps the name it was last certified with.
        """
        with self._public(tenant) as s:
            found = s.achievement(slug)
        if found is None:
            raise CredentialNotFoundError(f"{tenant!r} has no badge {slug!r}")
        with self.log.read(tenant) as r:
            program = self._program(r) if r.program(None) is not None else UNNAMED
        written_in = credential_language(program, language)
        title = achievement_title(program, slug, written_in) or found.title
        edition = written_in if language is not None else None
        return ob.badge_class(tenant, slug, found.kind, title, self.urls, edition)

    def hosted_assertion(self, credential_id: str) -> tuple[dict[str, Any], bool]:
        """The hosted Assertion and whether it is revoked.

        A revoked one is only ``id``, ``revoked`` and ``revocationReason``, as
        OB 2.0 asks for a 410 answer.
        """
        found = self.credential(credential_id)
        if found.revoked:
            doc = {
                "@context": ob.OB2_CONTEXT,
                "type": "Assertion",
                "id": self.urls.assertion(credential_id),
                "revoked": True,
                "revocationReason": found.revocation_reason,
            }
            return doc, True
        return json.loads(found.assertion), False

    def jwks(self, tenant: str) -> dict[str, Any]:
        """The tenant's public keys as a JWK set."""
        with self._public(tenant) as s:
            return ob.jwk_set(s.keys())

    def status_list(self, tenant: str) -> str:
        """The tenant's revocation status list credential, signed (compact JWS)."""
        with self._public(tenant) as s:
            revoked = s.revoked_indexes()
            key = s.signing_key()
        assert key is not None  # noqa: S101 - _public checked there are keys
        doc = ob.status_list(tenant, revoked, _utc(self.clock.now_iso()), self.urls)
        return ob.sign(doc, key)

    def certificate(self, credential_id: str) -> str:
        """The printable SVG certificate of a credential.

        Drawn on each request: it names the learner by the display name the
        school set (``profile.updated``) as it is now, or no one; never by id.
        """
        found = self.credential(credential_id)
        with self.store.read(found.tenant) as s:
            issuer = self._issuer(s, found.tenant)
        return certificate_svg(
            name=self._display_name(found.tenant, found.award.learner),
            title=found.title,
            awarded_on=found.awarded_at[:10],
            issuer=issuer.name,
            verify_url=self.urls.assertion(credential_id),
            revoked=found.revoked,
            language=self.language_of(found),
        )

    def _display_name(self, tenant: str, learner: str) -> str | None:
        with self.log.read(tenant) as s:
            snapshot = s.snapshots([learner]).get(learner)
        return (
            None if snapshot is None else snapshot.learner_state().profile.display_name
        )

    # -- verify ---------------------------------------------------------------------

    def verify(self, document: str | dict[str, Any]) -> Verification:
        """Check a credential: a 3.0 JWT (text) or a 2.0 assertion (object).

        Checks, as they apply: ``format``, ``issuer_key``, ``signature``,
        ``hosted`` (a 2.0 assertion matches the one hosted here), ``expiry``
        and ``revocation``. Nothing is written.
        """
        if isinstance(document, dict):
            return self._verify_assertion(document)
        return self._verify_jwt(document.strip())

    def _verify_jwt(self, token: str) -> Verification:
        parsed = ob.unverified(token)
        if parsed is None:
            bad = Check("format", False, "not a compact JWS (header.payload.signature)")
            return Verification(False, "unknown", None, (bad,))
        header, payload = parsed
        cid = payload.get("id") if isinstance(payload.get("id"), str) else None
        checks = [Check("format", True, "a JWT-secured credential")]
        issuer = payload.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        tenant = _tail(issuer_id, "/ob/v2/issuers/")
        keys = []
        if tenant is not None:
            with self.store.read(tenant) as s:
                keys = [k for k in s.keys() if k.kid == header.get("kid")]
        if not keys:
            detail = f"no published key {header.get('kid')!r} of issuer {issuer_id!r}"
            checks.append(Check("issuer_key", False, detail))
        else:
            checks.append(Check("issuer_key", True, f"key {keys[0].kid}"))
        if ob.signature_ok(token, keys):
            checks.append(Check("signature", True, f"{ob.ALG} signature is valid"))
        else:
            checks.append(Check("signature", False, "the signature does not verify"))
        checks.append(self._expiry(payload.get("validFrom"), payload.get("validUntil")))
        checks.append(self._jwt_revocation(tenant, payload.get("credentialStatus")))
        return _result("ob3-jwt", cid, checks)

    def _jwt_revocation(self, tenant: str | None, status: object) -> Check:
        if not isinstance(status, dict) or tenant is None:
            return Check("revocation", False, "no credentialStatus of this issuer")
        if status.get("statusListCredential") != self.urls.status(tenant):
            return Check("revocation", False, "the status list is not this issuer's")
        index = str(status.get("statusListIndex", ""))
        if not index.isdigit():
            return Check("revocation", False, "statusListIndex is not a number")
        with self.store.read(tenant) as s:
            revoked = set(s.revoked_indexes())
        if int(index) in revoked:
            return Check("revocation", False, "the credential was revoked")
        return Check("revocation", True, "not revoked")

    def _expiry(self, valid_from: object, valid_until: object) -> Check:
        now = ob.parse_time(self.clock.now_iso())
        assert now is not None  # noqa: S101 - clocks answer ISO times with a zone
        start = ob.parse_time(valid_from)
        if valid_from is not None and start is None:
            return Check("expiry", False, "validFrom is not a date-time with a zone")
        if start is not None and start > now:
            return Check("expiry", False, f"not valid before {valid_from}")
        end = ob.parse_time(valid_until)
        if valid_until is not None and (end is None or end <= now):
            return Check("expiry", False, f"expired at {valid_until}")
        return Check("expiry", True, "within its validity period")

    def _verify_assertion(self, doc: dict[str, Any]) -> Verification:
        ident = doc.get("id")
        types = doc.get("type")
        if not isinstance(ident, str) or "Assertion" not in (
            types if isinstance(types, list) else [types]
        ):
            bad = Check("format", False, "an OB 2.0 Assertion needs an id and type")
            return Verification(False, "unknown", None, (bad,))
        checks = [Check("format", True, "an Open Badges 2.0 Assertion")]
        cid = _tail(ident, "/ob/v2/assertions/")
        tenant = self.store.tenant_of(cid) if cid else None
        found = None
        if cid is not None and tenant is not None:
            with self.store.read(tenant) as s:
                found = s.credential(cid)
        if found is None:
            checks.append(Check("hosted", False, "no such assertion is hosted here"))
            return _result("ob2-assertion", ident, checks)
        hosted = json.loads(found.assertion)
        same = all(doc.get(k) == hosted[k] for k in ("recipient", "badge", "issuedOn"))
        detail = (
            "matches the hosted assertion" if same else "differs from the hosted one"
        )
        checks.append(Check("hosted", same, detail))
        checks.append(self._expiry(None, doc.get("expires")))
        if found.revoked:
            why = f"revoked: {found.revocation_reason}"
            checks.append(Check("revocation", False, why))
        else:
            checks.append(Check("revocation", True, "not revoked"))
        return _result("ob2-assertion", ident, checks)


def _result(fmt: str, cid: str | None, checks: list[Check]) -> Verification:
    return Verification(all(c.ok for c in checks), fmt, cid, tuple(checks))


def _tail(url: object, marker: str) -> str | None:
    if not isinstance(url, str) or marker not in url:
        return None
    tail = url.rsplit(marker, 1)[1]
    return unquote(tail) if tail and "/" not in tail else None


def _utc(iso: str) -> str:
    """An ISO time as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
