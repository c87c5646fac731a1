"""Reports on a live class's call quality: per participant, per class, in one line.

A report reads the roll-ups (:class:`~.ports.Presence`, :class:`~.ports.Bucket`)
and the episodes; it never needs the raw intervals, so it outlives their
retention. Every figure is of audio, what participants *heard*; video is kept
in the buckets but not graded here.

A participant's band is the worst band holding at least :data:`BAD_SHARE` (5 %)
of their graded time: like a 95th percentile, a few bad seconds do not make a
class degraded, but a twentieth of it does. A class's band is its worst
participant's. Times of day in verdicts are UTC.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from levelwise.app.quality._rollup import WINDOW
from levelwise.app.quality.ports import (
    BANDS,
    Band,
    Bucket,
    Cause,
    Episode,
    Media,
    Presence,
    Role,
    Side,
    Thresholds,
)
from levelwise.errors import QualityNotFoundError

BAD_SHARE = 0.05
"""The share of time a band must hold to be a participant's band."""

WORST_MOMENTS = 3
"""How many worst 10 s windows a class report names."""

Shares = tuple[float, float, float, float]
"""Shares of time per band, in :data:`~.ports.BANDS` order."""

_CAUSES: dict[Cause, tuple[str, str]] = {
    # (with an owner, without one)
    "uplink_congestion": ("{}'s uplink congested", "uplink congested"),
    "sender_cpu": ("{}'s device short of CPU", "sender short of CPU"),
    "long_path": ("long network path on the {}'s side", "long network path"),
    "jitter_buffer": (
        "{}'s jitter buffer holding audio back",
        "jitter buffer holding audio back",
    ),
    "loss": ("packet loss on the {}'s side", "packet loss"),
}


@dataclass(frozen=True)
class BandShare:
    """The share of time spent in one band.

    Attributes:
        band: The band.
        share: Its share of the graded time, in [0, 1].
    """

    band: Band
    share: float


def band_shares(shares: Sequence[float]) -> tuple[BandShare, ...]:
    """Shares in :data:`~.ports.BANDS` order as named pairs.

    Args:
        shares: Four shares, best band first.

    Returns:
        One :class:`BandShare` per band, best first.
    """
    return tuple(BandShare(b, s) for b, s in zip(BANDS, shares, strict=True))


@dataclass(frozen=True)
class Moment:
    """One of the worst 10 s windows of a class.

    Attributes:
        participant: Who heard it.
        role: Their role.
        media: The medium (audio).
        start: The window's start.
        end: Its end (``start`` + 10 s).
        delay_ms: The worst delay in it.
        band: That delay's band.
    """

    participant: str
    role: Role
    media: Media
    start: datetime
    end: datetime
    delay_ms: float
    band: Band


@dataclass(frozen=True)
class ParticipantReport:
    """What one participant heard during a class.

    Attributes:
        participant: The participant.
        role: Their role.
        seconds: Seconds of audio graded.
        mean_delay_ms: The time-weighted mean delay; None without graded audio.
        worst_delay_ms: The worst delay; None without graded audio.
        shares: Shares of graded time per band, in :data:`~.ports.BANDS` order.
        mos: The time-weighted mean MOS; None without one.
        band: The worst band holding at least :data:`BAD_SHARE` of the time;
            None without graded audio.
        drops: How many drops (gaps in their statistics).
        drop_seconds: Seconds of those drops.
        episodes: Their degraded episodes, by start.
        verdict: One plain-English line.
    """

    participant: str
    role: Role
    seconds: float
    mean_delay_ms: float | None
    worst_delay_ms: float | None
    shares: Shares
    mos: float | None
    band: Band | None
    drops: int
    drop_seconds: float
    episodes: tuple[Episode, ...]
    verdict: str

    @property
    def band_shares(self) -> tuple[BandShare, ...]:
        """The shares as named pairs."""
        return band_shares(self.shares)


@dataclass(frozen=True)
class ClassReport:
    """A live class's call quality.

    Attributes:
        klass: The class.
        first_at: Its first sample.
        last_at: Its last sample.
        participants: One report per participant, teachers first, then by id.
        shares: Shares of every participant's graded time per band.
        band: The worst participant band; None without graded audio.
        worst_moments: The worst 10 s audio windows by delay, worst first.
        verdict: One plain-English line.
    """

    klass: str
    first_at: datetime
    last_at: datetime
    participants: tuple[ParticipantReport, ...]
    shares: Shares
    band: Band | None
    worst_moments: tuple[Moment, ...]
    verdict: str

    @property
    def band_shares(self) -> tuple[BandShare, ...]:
        """The shares as named pairs."""
        return band_shares(self.shares)


def shares_of(band_seconds: Sequence[float], seconds: float) -> Shares:
    """Seconds per band as shares of ``seconds`` (zeros when there are none).

    Args:
        band_seconds: Seconds per band, best first.
        seconds: The total.

    Returns:
        The four shares.
    """
    if seconds <= 0:
        return 0.0, 0.0, 0.0, 0.0
    s = [b / seconds for b in band_seconds]
    return s[0], s[1], s[2], s[3]


def worst_band(shares: Sequence[float]) -> Band | None:
    """The worst band holding at least :data:`BAD_SHARE` of the time.

    Args:
        shares: Four shares, best first.

    Returns:
        The band; None when none holds that much (no graded time).
    """
    for b, share in reversed(list(zip(BANDS, shares, strict=True))):
        if share >= BAD_SHARE:
            return b
    return None


def _pct(share: float) -> str:
    p = share * 100
    if 0 < p < 0.5:
        return "<1%"
    if 99.5 <= p < 100:
        return ">99%"
    return f"{p:.0f}%"


def _hm(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%H:%M")


def _spans(episodes: Sequence[Episode]) -> list[tuple[datetime, datetime]]:
    """The union of the episodes' time spans, as disjoint spans by start."""
    out: list[tuple[datetime, datetime]] = []
    for e in sorted(episodes, key=lambda e: e.start):
        if out and e.start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e.end))
        else:
            out.append((e.start, e.end))
    return out


def main_cause(episodes: Sequence[Episode], band: Band | None = None) -> str | None:
    """The cause that took the most time, with its longest stretch.

    Episodes of the same cause and side count together, overlaps once (many
    learners hear one teacher's congested uplink at the same time). With
    ``band``, episodes of that band are preferred when there are any.

    Args:
        episodes: Episodes of a participant or a class.
        band: The band the verdict is about.

    Returns:
        A phrase such as ``teacher's uplink congested 19:42–19:54``; None
        without episodes.
    """
    chosen = [e for e in episodes if e.band == band] or list(episodes)
    groups: dict[tuple[Cause, Side], list[Episode]] = defaultdict(list)
    for e in sorted(chosen, key=lambda e: (e.start, e.cause, e.side)):
        groups[(e.cause, e.side)].append(e)
    best: tuple[Cause, Side, tuple[datetime, datetime]] | None = None
    rank: tuple[float, float] | None = None
    for (cause, side), found in groups.items():
        spans = _spans(found)
        total = sum((b - a).total_seconds() for a, b in spans)
        # Most time first; on a tie, the earlier.
        mine = (total, -spans[0][0].timestamp())
        if rank is None or mine > rank:
            rank = mine
            best = cause, side, max(spans, key=lambda s: s[1] - s[0])
    if best is None:
        return None
    cause, side, (start, end) = best
    owned, bare = _CAUSES[cause]
    if side in ("teacher", "learner"):
        what = owned.format(side)
    elif side == "both":
        what = f"{bare} on both sides"
    else:
        what = bare
    when = _hm(start) if _hm(start) == _hm(end) else f"{_hm(start)}\u2013{_hm(end)}"
    return f"{what} {when}"


def verdict(
    shares: Sequence[float],
    band: Band | None,
    *,
    mos: float | None = None,
    mean_delay_ms: float | None = None,
    episodes: Sequence[Episode] = (),
    heard: str | None = None,
    worst: Moment | None = None,
    t: Thresholds | None = None,
) -> str:
    """One plain-English line on a participant's or a class's audio.

    ``good`` and ``acceptable`` say how much of the time was under their limit
    (``Good: 96% of the time under 150 ms, MOS 4.3``). ``degraded`` and
    ``broken`` say how much of the time was in that band or worse, the cause
    that took the most time (:func:`main_cause`), how late audio was heard on
    average and, when given, the worst moment: ``Broken 12% of the time
    (teacher's uplink congested 19:42–19:54); learners heard the teacher 610
    ms late on average``.

    Args:
        shares: Shares of time per band, best first.
        band: The band the line is about; None without graded audio.
        mos: The mean MOS, if known.
        mean_delay_ms: The mean delay of what ``heard`` names.
        episodes: The episodes to find a cause in.
        heard: Who heard whom, e.g. ``learners heard the teacher``.
        worst: The worst moment, if the line should name it.
        t: The thresholds the bands used (default: the seed's).

    Returns:
        The line.
    """
    t = t or Thresholds()
    mos_text = "" if mos is None else f", MOS {mos:.1f}"
    if band is None:
        return "No audio graded"
    if band == "good":
        return f"Good: {_pct(shares[0])} of the time under {t.good_ms:g} ms{mos_text}"
    if band == "acceptable":
        under = shares[0] + shares[1]
        return (
            f"Acceptable: {_pct(under)} of the time under {t.acceptable_ms:g} ms"
            f"{mos_text}"
        )
    share = shares[3] if band == "broken" else shares[2] + shares[3]
    text = f"{band.capitalize()} {_pct(share)} of the time"
    cause = main_cause(episodes, band)
    if cause is not None:
        text += f" ({cause})"
    if heard is not None and mean_delay_ms is not None:
        text += f"; {heard} {mean_delay_ms:.0f} ms late on average"
    if worst is not None:
        text += f"; worst {worst.delay_ms:.0f} ms at {_hm(worst.start)}"
    return text


def _merged(buckets: Sequence[Bucket], klass: str) -> list[Bucket]:
    """The class's buckets, one per key."""
    found: dict[tuple[str, str, datetime], Bucket] = {}
    for b in buckets:
        if b.klass != klass:
            continue
        key = (b.participant, b.media, b.start)
        found[key] = found[key].merged(b) if key in found else b
    return list(found.values())


def _moments(buckets: Sequence[Bucket], n: int) -> tuple[Moment, ...]:
    """The ``n`` audio windows of the worst delay, worst first."""
    audio = [b for b in buckets if b.media == "audio" and b.seconds > 0]
    audio.sort(key=lambda b: (-b.delay_max, b.start, b.participant))
    out = []
    for b in audio[:n]:
        worst = max(i for i, s in enumerate(b.band_seconds) if s > 0)
        out.append(
            Moment(
                participant=b.participant,
                role=b.role,
                media=b.media,
                start=b.start,
                end=b.start + WINDOW,
                delay_ms=b.delay_max,
                band=BANDS[worst],
            )
        )
    return tuple(out)


def _heard(role: Role) -> str:
    return "heard the teacher" if role == "learner" else "heard the learners"


def participant_report(
    p: Presence,
    buckets: Sequence[Bucket],
    episodes: Sequence[Episode],
    *,
    t: Thresholds | None = None,
) -> ParticipantReport:
    """What one participant heard.

    Args:
        p: Their presence.
        buckets: Buckets of the class (others' are left out); the worst of
            theirs is named in a degraded or broken verdict.
        episodes: Episodes of the class (others' are left out).
        t: The thresholds the bands used, for the verdict (default: the seed's).

    Returns:
        The report.
    """
    mine = [b for b in _merged(buckets, p.klass) if b.participant == p.participant]
    own = tuple(
        sorted(
            (
                e
                for e in episodes
                if e.klass == p.klass and e.participant == p.participant
            ),
            key=lambda e: e.start,
        )
    )
    shares = shares_of(p.band_seconds, p.seconds)
    graded = p.seconds > 0
    mean = p.delay_sum / p.seconds if graded else None
    mos = p.mos_sum / p.mos_seconds if p.mos_seconds > 0 else None
    band = worst_band(shares)
    worst = _moments(mine, 1)
    return ParticipantReport(
        participant=p.participant,
        role=p.role,
        seconds=p.seconds,
        mean_delay_ms=mean,
        worst_delay_ms=p.delay_max if graded else None,
        shares=shares,
        mos=mos,
        band=band,
        drops=len(p.drops),
        drop_seconds=sum((b - a).total_seconds() for a, b in p.drops),
        episodes=own,
        verdict=verdict(
            shares,
            band,
            mos=mos,
            mean_delay_ms=mean,
            episodes=own,
            heard=_heard(p.role),
            worst=worst[0] if worst else None,
            t=t,
        ),
    )


def class_report(
    klass: str,
    presences: Sequence[Presence],
    buckets: Sequence[Bucket],
    episodes: Sequence[Episode],
    *,
    t: Thresholds | None = None,
) -> ClassReport:
    """A class's report: per participant time in band, worst moments, verdict.

    The class's shares weigh every participant's graded time alike; its band
    is its worst participant's. Its verdict names the cause that took the most
    time and how late learners heard the teacher on average (or, without
    learners' audio, how late the teacher heard them).

    Args:
        klass: The class.
        presences: Its participants' presences (others' are left out).
        buckets: Its buckets (rows of one key are merged).
        episodes: Its episodes.
        t: The thresholds the bands used, for the verdicts (default: the
            seed's).

    Returns:
        The report.

    Raises:
        QualityNotFoundError: No presence of the class was given.
    """
    mine = [p for p in presences if p.klass == klass]
    if not mine:
        raise QualityNotFoundError(f"no call-quality statistics for class {klass!r}")
    ours = _merged(buckets, klass)
    theirs = [e for e in episodes if e.klass == klass]
    people = tuple(
        participant_report(p, ours, theirs, t=t)
        for p in sorted(mine, key=lambda p: (p.role != "teacher", p.participant))
    )
    seconds = sum(p.seconds for p in mine)
    totals = [sum(p.band_seconds[i] for p in mine) for i in range(len(BANDS))]
    shares = shares_of(totals, seconds)
    mos_seconds = sum(p.mos_seconds for p in mine)
    mos = sum(p.mos_sum for p in mine) / mos_seconds if mos_seconds > 0 else None
    bands = [r.band for r in people if r.band is not None]
    band = max(bands, key=BANDS.index) if bands else None
    heard, mean = "learners heard the teacher", _mean(mine, "learner")
    if mean is None:
        heard, mean = "the teacher heard the learners", _mean(mine, "teacher")
    return ClassReport(
        klass=klass,
        first_at=min(p.first_at for p in mine),
        last_at=max(p.last_at for p in mine),
        participants=people,
        shares=shares,
        band=band,
        worst_moments=_moments(ours, WORST_MOMENTS),
        verdict=verdict(
            shares,
            band,
            mos=mos,
            mean_delay_ms=mean,
            episodes=theirs,
            heard=heard,
            t=t,
        ),
    )


def _mean(presences: Sequence[Presence], role: Role) -> float | None:
    """The time-weighted mean delay of one role's participants."""
    seconds = sum(p.seconds for p in presences if p.role == role)
    if seconds <= 0:
        return None
    return sum(p.delay_sum for p in presences if p.role == role) / seconds


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _ms(value: float | None) -> int | None:
    return None if value is None else round(value)


def _r2(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _shares(shares: Shares) -> dict[str, float]:
    return {b: round(s, 2) for b, s in zip(BANDS, shares, strict=True)}


def episode_dict(e: Episode) -> dict[str, Any]:
    """An episode, JSON-ready (ISO times, whole ms, seconds to 2 decimals).

    Args:
        e: The episode.

    Returns:
        Its fields but the class.
    """
    return {
        "participant": e.participant,
        "role": e.role,
        "start": _iso(e.start),
        "end": _iso(e.end),
        "band": e.band,
        "worst_ms": round(e.worst_ms),
        "cause": e.cause,
        "side": e.side,
        "broken_seconds": round(e.broken_seconds, 2),
    }


def report_dict(r: ClassReport) -> dict[str, Any]:
    """A class report, JSON-ready.

    Times are ISO 8601 in UTC, delays whole milliseconds, shares, MOS and
    seconds two decimals; shares are objects keyed by band.

    Args:
        r: The report.

    Returns:
        The report as plain data.
    """
    return {
        "class": r.klass,
        "first_at": _iso(r.first_at),
        "last_at": _iso(r.last_at),
        "band": r.band,
        "shares": _shares(r.shares),
        "verdict": r.verdict,
        "worst_moments": [
            {
                "participant": m.participant,
                "role": m.role,
                "media": m.media,
                "start": _iso(m.start),
                "end": _iso(m.end),
                "delay_ms": round(m.delay_ms),
                "band": m.band,
            }
            for m in r.worst_moments
        ],
        "participants": [
            {
                "participant": p.participant,
                "role": p.role,
                "seconds": round(p.seconds, 2),
                "mean_delay_ms": _ms(p.mean_delay_ms),
                "worst_delay_ms": _ms(p.worst_delay_ms),
                "shares": _shares(p.shares),
                "mos": _r2(p.mos),
                "band": p.band,
                "drops": p.drops,
                "drop_seconds": round(p.drop_seconds, 2),
                "episodes": [episode_dict(e) for e in p.episodes],
                "verdict": p.verdict,
            }
            for p in r.participants
        ],
    }
