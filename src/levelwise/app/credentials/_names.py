"""The school's names of an award in a credential's language.

A credential is written in one of the program's languages (``languages:`` in
the program file): the one asked for, matched as :meth:`Program.text` matches
tags (the exact tag, then its primary language), else the program's first
language, which every name has. A program that declares no languages names
things in its titles only, and its credentials carry no language.
"""

from __future__ import annotations

from levelwise.app.credentials._words import words
from levelwise.domain.program import Badge, Program


def credential_language(program: Program, requested: str | None) -> str | None:
    """The program language a credential is written in.

    Args:
        program: The school's program.
        requested: The language asked for (None: the program's first).

    Returns:
        One of ``program.languages``: the requested tag, else the first with
        its primary language, else the first language; None when the program
        declares no languages.
    """
    if not program.languages:
        return None
    if requested is None:
        return program.languages[0]
    lowered = {tag.lower(): tag for tag in program.languages}
    if requested.lower() in lowered:
        return lowered[requested.lower()]
    primary = requested.split("-")[0].lower()
    for tag in program.languages:
        if tag.split("-")[0].lower() == primary:
            return tag
    return program.languages[0]


def level_title(
    program: Program, level: str, default: str, language: str | None
) -> str:
    """A level's name in ``language`` (``default``: its stored title)."""
    return program.text(f"level:{level}", language, default or level)


def badge_title(
    program: Program, badge: str, tier: str, default: str, language: str | None
) -> str:
    """A badge's name in ``language``, with its tier's name when it has one.

    Args:
        program: The school's program.
        badge: The badge's id.
        tier: The tier's id, or ``""``.
        default: The badge's stored title.
        language: The credential's language.
    """
    name = program.text(f"badge:{badge}", language, default or badge)
    if not tier:
        return name
    own = next(
        (
            t.title
            for b in program.badges
            if b.id == badge
            for t in b.tiers
            if t.tier == tier
        ),
        "",
    )
    shown = program.text(f"tier:{badge}:{tier}", language, own or tier)
    return words(language).tier.format(badge=name, tier=shown)


def achievement_title(program: Program, slug: str, language: str | None) -> str | None:
    """The name of the achievement ``slug`` (``level-a1``, ``badge-b-bronze``).

    Returns:
        Its name in ``language``, or None when the program has no such level,
        badge or tier (any more).
    """
    for level in program.levels:
        if slug == f"level-{level.id}":
            return level_title(program, level.id, level.title, language)
    for badge in program.badges:
        found = _badge_slug(badge, slug)
        if found is not None:
            return badge_title(program, badge.id, found, badge.title, language)
    return None


def _badge_slug(badge: Badge, slug: str) -> str | None:
    """The tier ``slug`` names of ``badge`` (``""``: the badge itself), or None."""
    if slug == f"badge-{badge.id}":
        return ""
    for tier in badge.tiers:
        if slug == f"badge-{badge.id}-{tier.tier}":
            return tier.tier
    return None
