"""The output formats of statements (the ``format`` query parameter).

``exact`` is the statement as stored; ``ids`` keeps only what identifies
agents, groups, activities and verbs; ``canonical`` keeps one language per
language map, by the request's Accept-Language.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from levelwise.app.xapi.statements._validate import IFIS


def ids_format(statement: dict[str, Any]) -> dict[str, Any]:
    """Reduce a stored statement to the ``format=ids`` form.

    Agents and Groups keep only their ``objectType`` and IFI (anonymous Groups
    keep their members, reduced the same way); Activities and Verbs keep only
    their ``id``.

    Args:
        statement: A valid statement's JSON (not changed).

    Returns:
        A new statement in the ``ids`` format.
    """
    return _reduce(statement, top=True)


def _reduce(statement: dict[str, Any], *, top: bool) -> dict[str, Any]:
    out = dict(statement)
    out["actor"] = _reduce_party(statement["actor"])
    out["verb"] = {"id": statement["verb"]["id"]}
    obj = statement["object"]
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        out["object"] = {"id": obj["id"]}
    elif kind in ("Agent", "Group"):
        out["object"] = _reduce_party(obj)
    elif kind == "SubStatement":
        out["object"] = _reduce(obj, top=False)
    if top and "authority" in statement:
        out["authority"] = _reduce_party(statement["authority"])
    context = statement.get("context")
    if context:
        ctx = dict(context)
        for key in ("instructor", "team"):
            if key in ctx:
                ctx[key] = _reduce_party(ctx[key])
        if "contextActivities" in ctx:
            ctx["contextActivities"] = {
                k: [{"id": a["id"]} for a in v]
                for k, v in ctx["contextActivities"].items()
            }
        for key, member in (("contextAgents", "agent"), ("contextGroups", "group")):
            if key in ctx:
                ctx[key] = [{**p, member: _reduce_party(p[member])} for p in ctx[key]]
        out["context"] = ctx
    return out


def _reduce_party(party: dict[str, Any]) -> dict[str, Any]:
    kind = party.get("objectType", "Agent")
    out: dict[str, Any] = {"objectType": kind}
    for ifi in IFIS:
        if ifi in party:
            out[ifi] = party[ifi]
            return out
    out["member"] = [_reduce_party(m) for m in party.get("member", ())]
    return out


def canonical(statement: dict[str, Any], languages: Sequence[str]) -> dict[str, Any]:
    """Keep one language per language map, by the Accept-Language preference order.

    A map keeps the first of ``languages`` it has (a tag also matches its more
    specific tags: ``en`` matches ``en-US``), else its first entry.

    Args:
        statement: A valid statement's JSON (not changed).
        languages: Language ranges in preference order (``["fr-CA", "fr", "*"]``).

    Returns:
        A new statement in the ``canonical`` format.
    """
    prefs = [lang.lower() for lang in languages]
    out = copy.deepcopy(statement)
    _canonical_walk(out, prefs)
    return out


_MAP_KEYS = frozenset({"display", "name", "description"})


def _canonical_walk(node: Any, prefs: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _canonical_walk(item, prefs)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "extensions":
            continue
        if key in _MAP_KEYS and isinstance(value, dict):
            node[key] = _pick_language(value, prefs)
        else:
            _canonical_walk(value, prefs)


def _pick_language(language_map: dict[str, Any], prefs: list[str]) -> dict[str, Any]:
    if not language_map:
        return language_map
    tags = {tag.lower(): tag for tag in language_map}
    for pref in prefs:
        if pref == "*":
            break
        if pref in tags:
            tag = tags[pref]
            return {tag: language_map[tag]}
        for low, tag in tags.items():
            if low.startswith(pref + "-"):
                return {tag: language_map[tag]}
    tag = next(iter(language_map))
    return {tag: language_map[tag]}
