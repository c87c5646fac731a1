"""Weekly leagues as pure functions: tiers, groups of similar pace, week close.

Every week, the learners who earned XP compete in groups of about
:data:`GROUP_SIZE` within their tier. Groups are formed from learners of
similar pace (last week's XP), so a group is a fair race. At week end the top
of each group moves up a tier and the bottom moves down; nobody is demoted
from the lowest tier or promoted from the highest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from levelwise.app.recognition.boards import ranked
from levelwise.app.recognition.ports import Entry, Standing

TIERS = (
    "bronze",
    "silver",
    "gold",
    "sapphire",
    "ruby",
    "emerald",
    "amethyst",
    "pearl",
    "obsidian",
    "diamond",
)
"""League tiers, lowest first."""
GROUP_SIZE = 30
"""The largest group; groups of a tier are as even as possible under it."""
PROMOTE = 7
"""How many of a full group move up."""
DEMOTE = 5
"""How many of a full group move down."""

Zone = Literal["promotion", "stay", "demotion"]


@dataclass(frozen=True)
class Contender:
    """A learner taking part in a week's league.

    Attributes:
        learner: The learner.
        tier: Index into :data:`TIERS`.
        pace: Last week's XP: groups are formed by it.
        week: This week's score (``xp`` and when it was reached).
    """

    learner: str
    tier: int
    pace: int
    week: Entry


@dataclass(frozen=True)
class Group:
    """A league group of one tier, with its standings this week.

    Attributes:
        tier: Index into :data:`TIERS`.
        number: 1-based number of the group within its tier.
        standings: The members, ranked by this week's XP.
    """

    tier: int
    number: int
    standings: tuple[Standing, ...]

    @property
    def tier_name(self) -> str:
        """The tier's name."""
        return TIERS[self.tier]


@dataclass(frozen=True)
class Move:
    """Where a learner goes when the week closes.

    Attributes:
        learner: The learner.
        rank: Rank in the group.
        xp: The week's XP.
        zone: ``promotion``, ``stay`` or ``demotion``.
        from_tier: Tier index this week.
        to_tier: Tier index next week.
        group: The group number within the tier.
    """

    learner: str
    rank: int
    xp: int
    zone: Zone
    from_tier: int
    to_tier: int
    group: int


def zones(size: int) -> tuple[int, int]:
    """How many of a group of ``size`` are promoted and demoted.

    A full group promotes :data:`PROMOTE` and demotes :data:`DEMOTE`; a smaller
    one proportionally fewer (rounded down), so the zones never overlap.

    Returns:
        ``(promoted, demoted)``.
    """
    scale = min(size, GROUP_SIZE)
    return PROMOTE * scale // GROUP_SIZE, DEMOTE * scale // GROUP_SIZE


def group_sizes(n: int, size: int = GROUP_SIZE) -> list[int]:
    """Split ``n`` members into the fewest groups of at most ``size``, evenly.

    Sizes differ by at most one, so no group is small when ``n >= size``
    (each has at least ``size // 2``).
    """
    if n <= 0:
        return []
    count = math.ceil(n / size)
    base, extra = divmod(n, count)
    return [base + 1 if i < extra else base for i in range(count)]


def form_groups(contenders: Iterable[Contender], size: int = GROUP_SIZE) -> list[Group]:
    """Group each tier's contenders by pace, deterministically.

    Within a tier, contenders are sorted by pace (fastest first, then learner
    id) and cut into :func:`group_sizes` chunks; each group is then ranked by
    this week's score.

    Returns:
        Groups by tier (highest first), then number.
    """
    by_tier: dict[int, list[Contender]] = {}
    for c in contenders:
        by_tier.setdefault(c.tier, []).append(c)
    groups: list[Group] = []
    for tier in sorted(by_tier, reverse=True):
        members = sorted(by_tier[tier], key=lambda c: (-c.pace, c.learner))
        start = 0
        for number, n in enumerate(group_sizes(len(members), size), start=1):
            chunk = members[start : start + n]
            start += n
            standings = tuple(ranked([c.week for c in chunk]))
            groups.append(Group(tier, number, standings))
    return groups


def close_group(group: Group) -> list[Move]:
    """Who of a group moves up, stays or moves down at week end."""
    size = len(group.standings)
    up, down = zones(size)
    top = len(TIERS) - 1
    moves = []
    for s in group.standings:
        zone: Zone = "stay"
        to = group.tier
        if s.rank <= up and group.tier < top:
            zone, to = "promotion", group.tier + 1
        elif s.rank > size - down and group.tier > 0:
            zone, to = "demotion", group.tier - 1
        moves.append(Move(s.member, s.rank, s.xp, zone, group.tier, to, group.number))
    return moves


def close_week(groups: Sequence[Group]) -> list[Move]:
    """Every move of a week's close, by tier (highest first), group and rank."""
    return [m for g in groups for m in close_group(g)]


def zone_of(group: Group, rank: int) -> Zone:
    """The zone a rank of ``group`` is in now (as if the week closed now)."""
    moves = close_group(group)
    return moves[rank - 1].zone


def tier_index(name: str) -> int:
    """The index of a tier name.

    Raises:
        ValueError: No such tier.
    """
    try:
        return TIERS.index(name)
    except ValueError:
        msg = f"unknown tier '{name}' (tiers: {', '.join(TIERS)})"
        raise ValueError(msg) from None


def contenders(
    week: Sequence[Entry], tiers: Mapping[str, int], pace: Mapping[str, int]
) -> list[Contender]:
    """The contenders of a week: everyone with XP on the week's school board.

    Args:
        week: The week's school-wide entries.
        tiers: Each learner's tier (absent: the lowest).
        pace: Last week's XP per learner (absent: 0).
    """
    return [
        Contender(e.member, tiers.get(e.member, 0), pace.get(e.member, 0), e)
        for e in week
        if e.xp > 0
    ]
