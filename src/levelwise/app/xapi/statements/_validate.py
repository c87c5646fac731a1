"""Strict validation of xAPI statements (2.0.0, 1.0.3) and their index fields.

The rules follow the xAPI specification as an LRS must enforce them
(https://github.com/adlnet/xAPI-Spec, IEEE 9274.1.1 for 2.0.0): every property is
checked for presence, type and format, unknown properties are refused, and the
first problem is reported with its JSON path (``actor.mbox: ...``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from levelwise.app.xapi.datatypes import (
    is_duration,
    is_iri,
    is_irl,
    is_language_tag,
    is_mailto,
    is_sha1,
    is_uuid,
    parse_timestamp,
    utc_text,
)
from levelwise.app.xapi.ports import VOIDED, ifi_key
from levelwise.errors import StatementError

VERSIONS = ("2.0.0", "1.0.3")

_STATEMENT_KEYS = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
        "objectType",
    }
)
# A SubStatement has no id, stored, version or authority (Data 2.4.4.3).
_SUB_KEYS = frozenset(
    {
        "objectType",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "attachments",
    }
)
IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
"""The inverse functional identifiers of an Agent or Group, in the spec's order."""
_AGENT_KEYS = frozenset({"objectType", "name", *IFIS})
_GROUP_KEYS = frozenset({"objectType", "name", "member", *IFIS})
_VERB_KEYS = frozenset({"id", "display"})
_ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
_DEFINITION_KEYS = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        "choices",
        "scale",
        "source",
        "target",
        "steps",
    }
)
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
# The component lists each interaction type may carry (Data 2.4.4.1, interactions).
_INTERACTIONS: dict[str, frozenset[str]] = {
    "true-false": frozenset(),
    "choice": frozenset({"choices"}),
    "fill-in": frozenset(),
    "long-fill-in": frozenset(),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "numeric": frozenset(),
    "other": frozenset(),
}
_RESULT_KEYS = frozenset(
    {"score", "success", "completion", "response", "duration", "extensions"}
)
_SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
_CONTEXT_KEYS_103 = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
_CONTEXT_KEYS_200 = _CONTEXT_KEYS_103 | {"contextAgents", "contextGroups"}
_CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")
_ATTACHMENT_KEYS = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)


@dataclass(frozen=True, slots=True)
class Statement:
    """A valid statement: its normalised JSON and the fields an index needs.

    Attributes:
        data: The statement as sent, normalised (context activities as arrays).
        id: The statement id in lower case, or None when the LRS must assign one.
        verb_id: The verb's IRI.
        actor_ifis: IFI keys (see ``ifi_key``) of the actor, and of a group's members.
        object_activity_id: The object's activity id when the object is an Activity.
        object_agent_ifis: IFI keys of the object when it is an Agent or Group.
        related_activities: Activity ids for the ``related_activities`` filter:
            the object, the context activities, and those of a SubStatement.
        related_agents: IFI keys for the ``related_agents`` filter: actor, object,
            authority, instructor, team (and context agents and groups in 2.0),
            and those of a SubStatement.
        registration: The context registration UUID in lower case, if any.
        timestamp: The timestamp converted to UTC (``...Z``), if one was sent.
        voids: The id (lower case) of the statement this one voids, if it voids.
    """

    data: dict[str, Any]
    id: str | None
    verb_id: str
    actor_ifis: tuple[str, ...]
    object_activity_id: str | None
    object_agent_ifis: tuple[str, ...]
    related_activities: tuple[str, ...]
    related_agents: tuple[str, ...]
    registration: str | None
    timestamp: str | None
    voids: str | None


def validate_statement(data: object, version: str) -> Statement:
    """Check one statement against the xAPI specification and index it.

    Args:
        data: The decoded JSON of one statement.
        version: The negotiated xAPI version, ``"2.0.0"`` or ``"1.0.3"``.

    Returns:
        The statement with its normalised JSON and index fields.

    Raises:
        StatementError: The first rule broken, with its JSON path (status 400).
        ValueError: ``version`` is not one this LRS speaks.
    """
    if version not in VERSIONS:
        raise ValueError(f"unsupported xAPI version {version!r}")
    checker = _Checker(version == "2.0.0")
    statement = checker.statement(data)
    return checker.index(statement)


def validate_agent(data: object, version: str, path: str = "agent") -> str:
    """Check an Agent or identified Group (a request parameter) and give its IFI key.

    Raises:
        StatementError: It breaks the specification, or names no IFI (an
            anonymous Group cannot be a parameter).
    """
    checker = _Checker(version == "2.0.0")
    key = checker.party(data, path)
    if key is None:
        raise StatementError(f"{path}: must be identified by an IFI")
    return key


class _Checker:
    """Walks one statement; remembers what the index needs along the way."""

    def __init__(self, v2: bool) -> None:
        self.v2 = v2
        self.activities: list[str] = []
        self.agents: list[str] = []

    # ---- statements -------------------------------------------------------

    def statement(self, data: object) -> dict[str, Any]:
        obj = _object(data, "statement")
        self._keys(obj, _STATEMENT_KEYS, "")
        if "objectType" in obj:
            raise StatementError("objectType: a Statement has no objectType")
        self._required(obj, ("actor", "verb", "object"), "")
        out = dict(obj)
        if "id" in obj:
            self._uuid(obj["id"], "id")
        self._body(obj, out, "")
        if "stored" in obj:
            self._timestamp(obj["stored"], "stored")
        if "authority" in obj:
            self._authority(obj["authority"])
        if "version" in obj:
            self._version(obj["version"])
        return out

    def _body(self, obj: dict[str, Any], out: dict[str, Any], path: str) -> None:
        """Check what Statements and SubStatements share; normalise into ``out``."""
        self._actor(obj["actor"], f"{path}actor")
        verb = self._verb(obj["verb"], f"{path}verb")
        kind, out["object"] = self._statement_object(
            obj["object"], f"{path}object", sub=bool(path)
        )
        # Data 2.3.2: a voiding statement's object is the StatementRef it voids.
        if not path and verb == VOIDED and kind != "StatementRef":
            raise StatementError(
                f"{path}object: a voiding statement's object must be a StatementRef"
            )
        if "result" in obj:
            self._result(obj["result"], f"{path}result")
        if "context" in obj:
            out["context"] = self._context(obj["context"], f"{path}context", kind)
        if "timestamp" in obj:
            self._timestamp(obj["timestamp"], f"{path}timestamp")
        if "attachments" in obj:
            self._attachments(obj["attachments"], f"{path}attachments")

    def _statement_object(
        self, value: object, path: str, *, sub: bool
    ) -> tuple[str, dict[str, Any]]:
        obj = _object(value, path)
        kind = obj.get("objectType", "Activity")
        if kind == "Activity":
            self._activity(obj, path)
        elif kind in ("Agent", "Group"):
            self._agent_or_group(obj, path)
        elif kind == "StatementRef":
            self._keys(obj, frozenset({"objectType", "id"}), path)
            self._required(obj, ("id",), path)
            self._uuid(obj["id"], f"{path}.id")
        elif kind == "SubStatement":
            if sub:
                raise StatementError(
                    f"{path}.objectType: a SubStatement cannot hold a SubStatement"
                )
            self._keys(obj, _SUB_KEYS, path)
            self._required(obj, ("actor", "verb", "object"), path)
            out = dict(obj)
            self._body(obj, out, f"{path}.")
            return str(kind), out
        else:
            raise StatementError(
                f"{path}.objectType: must be Activity, Agent, Group,"
                " StatementRef or SubStatement"
            )
        return str(kind), obj

    # ---- actors -----------------------------------------------------------

    def party(self, value: object, path: str) -> str | None:
        """Check an Agent or Group on its own; its IFI key (None: anonymous)."""
        return self._agent_or_group(value, path)

    def _actor(self, value: object, path: str) -> None:
        self._agent_or_group(value, path)

    def _agent_or_group(self, value: object, path: str) -> str | None:
        obj = _object(value, path)
        kind = obj.get("objectType", "Agent")
        if kind == "Agent":
            key = self._agent(obj, path)
            self.agents.append(key)
            return key
        if kind != "Group":
            raise StatementError(f"{path}.objectType: must be Agent or Group")
        self._keys(obj, _GROUP_KEYS, path)
        self._name(obj, path)
        group_key = self._ifi(obj, path)
        if "member" in obj:
            members = _array(obj["member"], f"{path}.member")
            for i, member in enumerate(members):
                m = _object(member, f"{path}.member[{i}]")
                if m.get("objectType", "Agent") != "Agent":
                    raise StatementError(
                        f"{path}.member[{i}].objectType: a member must be an Agent"
                    )
                member_key = self._agent(m, f"{path}.member[{i}]")
                self.agents.append(member_key)
        if group_key is None and not obj.get("member"):
            raise StatementError(
                f"{path}.member: an anonymous Group must list its members"
            )
        if group_key is not None:
            self.agents.append(group_key)
        return group_key

    def _agent(self, obj: dict[str, Any], path: str) -> str:
        self._keys(obj, _AGENT_KEYS, path)
        self._name(obj, path)
        key = self._ifi(obj, path)
        if key is None:
            raise StatementError(
                f"{path}: an Agent needs one of mbox, mbox_sha1sum, openid, account"
            )
        return key

    def _name(self, obj: dict[str, Any], path: str) -> None:
        if "name" in obj:
            _string(obj["name"], f"{path}.name")

    def _ifi(self, obj: dict[str, Any], path: str) -> str | None:
        present = [k for k in IFIS if k in obj]
        if len(present) > 1:
            raise StatementError(
                f"{path}: exactly one of mbox, mbox_sha1sum, openid, account"
            )
        if not present:
            return None
        ifi = present[0]
        where = f"{path}.{ifi}"
        value = obj[ifi]
        if ifi == "mbox":
            if not is_mailto(_string(value, where)):
                raise StatementError(f"{where}: must be a mailto: IRI with an address")
        elif ifi == "mbox_sha1sum":
            if not is_sha1(_string(value, where)):
                raise StatementError(f"{where}: must be 40 hex digits")
        elif ifi == "openid":
            if not is_iri(_string(value, where)):
                raise StatementError(f"{where}: must be a URI")
        else:
            account = _object(value, where)
            self._keys(account, frozenset({"homePage", "name"}), where)
            self._required(account, ("homePage", "name"), where)
            if not is_irl(_string(account["homePage"], f"{where}.homePage")):
                raise StatementError(f"{where}.homePage: must be an IRL")
            _string(account["name"], f"{where}.name")
        return ifi_key(obj)

    def _authority(self, value: object) -> None:
        obj = _object(value, "authority")
        if obj.get("objectType") == "Group":
            # Data 2.4.9: a Group authority is an anonymous OAuth pair of two Agents.
            if any(k in obj for k in IFIS):
                raise StatementError("authority: a Group authority must be anonymous")
            members = obj.get("member")
            if not isinstance(members, list) or len(members) != 2:
                raise StatementError(
                    "authority.member: a Group authority has exactly two Agents"
                )
        self._agent_or_group(obj, "authority")

    # ---- verbs and activities ---------------------------------------------

    def _verb(self, value: object, path: str) -> str:
        obj = _object(value, path)
        self._keys(obj, _VERB_KEYS, path)
        self._required(obj, ("id",), path)
        verb_id = self._iri(obj["id"], f"{path}.id")
        if "display" in obj:
            self._language_map(obj["display"], f"{path}.display")
        return verb_id

    def _activity(self, obj: dict[str, Any], path: str) -> None:
        self._keys(obj, _ACTIVITY_KEYS, path)
        self._required(obj, ("id",), path)
        self.activities.append(self._iri(obj["id"], f"{path}.id"))
        if "definition" in obj:
            self._definition(obj["definition"], f"{path}.definition")

    def _definition(self, value: object, path: str) -> None:
        obj = _object(value, path)
        self._keys(obj, _DEFINITION_KEYS, path)
        for key in ("name", "description"):
            if key in obj:
                self._language_map(obj[key], f"{path}.{key}")
        if "type" in obj:
            self._iri(obj["type"], f"{path}.type")
        if "moreInfo" in obj and not is_irl(
            _string(obj["moreInfo"], f"{path}.moreInfo")
        ):
            raise StatementError(f"{path}.moreInfo: must be an IRL")
        if "extensions" in obj:
            self._extensions(obj["extensions"], f"{path}.extensions")
        interaction = obj.get("interactionType")
        lists = [k for k in _COMPONENT_LISTS if k in obj]
        if "interactionType" in obj:
            allowed = _INTERACTIONS.get(_string(interaction, f"{path}.interactionType"))
            if allowed is None:
                raise StatementError(
                    f"{path}.interactionType: must be one of {', '.join(_INTERACTIONS)}"
                )
            for key in lists:
                if key not in allowed:
                    raise StatementError(
                        f"{path}.{key}: not used with interactionType {interaction}"
                    )
        elif lists or "correctResponsesPattern" in obj:
            first = lists[0] if lists else "correctResponsesPattern"
            raise StatementError(
                f"{path}.{first}: only allowed with an interactionType"
            )
        if "correctResponsesPattern" in obj:
            patterns = _array(
                obj["correctResponsesPattern"], f"{path}.correctResponsesPattern"
            )
            for i, pattern in enumerate(patterns):
                _string(pattern, f"{path}.correctResponsesPattern[{i}]")
        for key in lists:
            self._components(obj[key], f"{path}.{key}")

    def _components(self, value: object, path: str) -> None:
        seen: set[str] = set()
        for i, item in enumerate(_array(value, path)):
            where = f"{path}[{i}]"
            component = _object(item, where)
            self._keys(component, frozenset({"id", "description"}), where)
            self._required(component, ("id",), where)
            ident = _string(component["id"], f"{where}.id")
            if ident in seen:
                raise StatementError(f"{where}.id: component ids must be distinct")
            seen.add(ident)
            if "description" in component:
                self._language_map(component["description"], f"{where}.description")

    # ---- results and contexts -------------------------------------------

    def _result(self, value: object, path: str) -> None:
        obj = _object(value, path)
        self._keys(obj, _RESULT_KEYS, path)
        if "score" in obj:
            self._score(obj["score"], f"{path}.score")
        for key in ("success", "completion"):
            if key in obj and not isinstance(obj[key], bool):
                raise StatementError(f"{path}.{key}: must be true or false")
        if "response" in obj:
            _string(obj["response"], f"{path}.response")
        if "duration" in obj and not is_duration(
            _string(obj["duration"], f"{path}.duration")
        ):
            raise StatementError(f"{path}.duration: must be an ISO 8601 duration")
        if "extensions" in obj:
            self._extensions(obj["extensions"], f"{path}.extensions")

    def _score(self, value: object, path: str) -> None:
        obj = _object(value, path)
        self._keys(obj, _SCORE_KEYS, path)
        nums = {k: _number(obj[k], f"{path}.{k}") for k in _SCORE_KEYS if k in obj}
        if "scaled" in nums and not -1 <= nums["scaled"] <= 1:
            raise StatementError(f"{path}.scaled: must be between -1 and 1")
        low, high = nums.get("min"), nums.get("max")
        if low is not None and high is not None and low > high:
            raise StatementError(f"{path}.min: must not exceed max")
        raw = nums.get("raw")
        if raw is not None and low is not None and raw < low:
            raise StatementError(f"{path}.raw: must not be below min")
        if raw is not None and high is not None and raw > high:
            raise StatementError(f"{path}.raw: must not exceed max")

    def _context(self, value: object, path: str, object_kind: str) -> dict[str, Any]:
        obj = _object(value, path)
        self._keys(obj, _CONTEXT_KEYS_200 if self.v2 else _CONTEXT_KEYS_103, path)
        out = dict(obj)
        if "registration" in obj:
            self._uuid(obj["registration"], f"{path}.registration")
        if "instructor" in obj:
            self._agent_or_group(obj["instructor"], f"{path}.instructor")
        if "team" in obj:
            team = _object(obj["team"], f"{path}.team")
            if team.get("objectType") != "Group":
                raise StatementError(f"{path}.team.objectType: team must be a Group")
            self._agent_or_group(team, f"{path}.team")
        if "contextActivities" in obj:
            out["contextActivities"] = self._context_activities(
                obj["contextActivities"], f"{path}.contextActivities"
            )
        for key in ("revision", "platform"):
            if key in obj:
                _string(obj[key], f"{path}.{key}")
                # Data 2.4.6: revision and platform only describe an Activity object.
                if object_kind != "Activity":
                    raise StatementError(
                        f"{path}.{key}: only allowed when the object is an Activity"
                    )
        if "language" in obj and not is_language_tag(
            _string(obj["language"], f"{path}.language")
        ):
            raise StatementError(f"{path}.language: must be an RFC 5646 language tag")
        if "statement" in obj:
            ref = _object(obj["statement"], f"{path}.statement")
            self._keys(ref, frozenset({"objectType", "id"}), f"{path}.statement")
            self._required(ref, ("objectType", "id"), f"{path}.statement")
            if ref["objectType"] != "StatementRef":
                raise StatementError(
                    f"{path}.statement.objectType: must be StatementRef"
                )
            self._uuid(ref["id"], f"{path}.statement.id")
        if "extensions" in obj:
            self._extensions(obj["extensions"], f"{path}.extensions")
        for key, kind, member in (
            ("contextAgents", "contextAgent", "agent"),
            ("contextGroups", "contextGroup", "group"),
        ):
            if key in obj:
                self._context_parties(obj[key], f"{path}.{key}", kind, member)
        return out

    def _context_activities(self, value: object, path: str) -> dict[str, list[Any]]:
        obj = _object(value, path)
        self._keys(obj, frozenset(_CONTEXT_ACTIVITY_KEYS), path)
        out: dict[str, list[Any]] = {}
        for key, item in obj.items():
            items = item if isinstance(item, list) else [item]
            for i, activity in enumerate(items):
                where = f"{path}.{key}[{i}]"
                act = _object(activity, where)
                if act.get("objectType", "Activity") != "Activity":
                    raise StatementError(f"{where}.objectType: must be Activity")
                self._activity(act, where)
            out[key] = items
        return out

    def _context_parties(
        self, value: object, path: str, kind: str, member: str
    ) -> None:
        for i, item in enumerate(_array(value, path)):
            where = f"{path}[{i}]"
            obj = _object(item, where)
            self._keys(obj, frozenset({"objectType", member, "relevantTypes"}), where)
            self._required(obj, ("objectType", member), where)
            if obj["objectType"] != kind:
                raise StatementError(f"{where}.objectType: must be {kind}")
            party = _object(obj[member], f"{where}.{member}")
            if member == "group" and party.get("objectType") != "Group":
                raise StatementError(f"{where}.group.objectType: must be Group")
            if member == "agent" and party.get("objectType", "Agent") != "Agent":
                raise StatementError(f"{where}.agent.objectType: must be Agent")
            self._agent_or_group(party, f"{where}.{member}")
            if "relevantTypes" in obj:
                types = _array(obj["relevantTypes"], f"{where}.relevantTypes")
                if not types:
                    raise StatementError(f"{where}.relevantTypes: must not be empty")
                for j, iri in enumerate(types):
                    self._iri(iri, f"{where}.relevantTypes[{j}]")

    # ---- attachments, versions and shared types --------------------------

    def _attachments(self, value: object, path: str) -> None:
        for i, item in enumerate(_array(value, path)):
            where = f"{path}[{i}]"
            obj = _object(item, where)
            self._keys(obj, _ATTACHMENT_KEYS, where)
            self._required(
                obj, ("usageType", "display", "contentType", "length", "sha2"), where
            )
            self._iri(obj["usageType"], f"{where}.usageType")
            self._language_map(obj["display"], f"{where}.display")
            if "description" in obj:
                self._language_map(obj["description"], f"{where}.description")
            _string(obj["contentType"], f"{where}.contentType")
            length = obj["length"]
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise StatementError(f"{where}.length: must be a non-negative integer")
            _string(obj["sha2"], f"{where}.sha2")
            if "fileUrl" in obj and not is_irl(
                _string(obj["fileUrl"], f"{where}.fileUrl")
            ):
                raise StatementError(f"{where}.fileUrl: must be an IRL")

    def _version(self, value: object) -> None:
        text = _string(value, "version")
        parts = text.split(".")
        majors = ("1", "2") if self.v2 else ("1",)
        ok = (
            len(parts) in (2, 3)
            and parts[0] in majors
            and parts[1] == "0"
            and (len(parts) == 2 or parts[2].isdigit())
        )
        if not ok:
            allowed = "1.0.x or 2.0.x" if self.v2 else "1.0.x"
            raise StatementError(f"version: must be {allowed}, not {text!r}")

    def _timestamp(self, value: object, path: str) -> str:
        moment = parse_timestamp(_string(value, path), zone_required=self.v2)
        if moment is None:
            zone = " with a time zone offset" if self.v2 else ""
            raise StatementError(f"{path}: must be an ISO 8601 timestamp{zone}")
        return utc_text(moment)

    def _uuid(self, value: object, path: str) -> str:
        text = _string(value, path)
        if not is_uuid(text):
            raise StatementError(f"{path}: must be a UUID")
        return text.lower()

    def _iri(self, value: object, path: str) -> str:
        text = _string(value, path)
        if not is_iri(text):
            raise StatementError(f"{path}: must be an IRI")
        return text

    def _language_map(self, value: object, path: str) -> None:
        for tag, text in _object(value, path).items():
            if not is_language_tag(tag):
                raise StatementError(f"{path}: {tag!r} is not an RFC 5646 language tag")
            _string(text, f"{path}.{tag}")

    def _extensions(self, value: object, path: str) -> None:
        for key in _object(value, path):
            if not is_iri(key):
                raise StatementError(f"{path}: extension key {key!r} must be an IRI")

    def _keys(self, obj: dict[str, Any], allowed: frozenset[str], path: str) -> None:
        for key in obj:
            if key not in allowed:
                where = f"{path}.{key}" if path else key
                raise StatementError(f"{where}: unknown property")

    def _required(self, obj: dict[str, Any], keys: Iterable[str], path: str) -> None:
        for key in keys:
            if key not in obj:
                where = f"{path}.{key}" if path else key
                raise StatementError(f"{where}: required")

    # ---- index ------------------------------------------------------------

    def index(self, data: dict[str, Any]) -> Statement:
        obj = data["object"]
        kind = obj.get("objectType", "Activity")
        actor_ifis = _party_keys(data["actor"])
        timestamp = (
            self._timestamp(data["timestamp"], "timestamp")
            if "timestamp" in data
            else None
        )
        context = data.get("context") or {}
        registration = context.get("registration")
        voids = obj["id"].lower() if data["verb"]["id"] == VOIDED else None
        return Statement(
            data=data,
            id=data["id"].lower() if "id" in data else None,
            verb_id=data["verb"]["id"],
            actor_ifis=actor_ifis,
            object_activity_id=obj["id"] if kind == "Activity" else None,
            object_agent_ifis=_party_keys(obj) if kind in ("Agent", "Group") else (),
            related_activities=tuple(dict.fromkeys(self.activities)),
            related_agents=tuple(dict.fromkeys(self.agents)),
            registration=registration.lower() if registration else None,
            timestamp=timestamp,
            voids=voids,
        )


def _party_keys(party: dict[str, Any]) -> tuple[str, ...]:
    """Return the IFI keys of an Agent, or of a Group and its members."""
    keys = [ifi_key(party)]
    keys.extend(ifi_key(m) for m in party.get("member", ()))
    return tuple(dict.fromkeys(k for k in keys if k is not None))


def _object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StatementError(f"{path or 'statement'}: must be a JSON object")
    return value


def _array(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise StatementError(f"{path}: must be an array")
    return value


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise StatementError(f"{path}: must be a string")
    return value


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StatementError(f"{path}: must be a number")
    return float(value)
