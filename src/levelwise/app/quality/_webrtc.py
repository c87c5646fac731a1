"""W3C ``getStats()`` reports: snapshots of their counters, measures of intervals.

A browser's report is the list ``Array.from((await pc.getStats()).values())``:
objects with a string ``type`` and ``id`` and the members of the W3C
*Identifiers for WebRTC's Statistics API* (https://www.w3.org/TR/webrtc-stats/).
Most members are cumulative counters, so an interval is the difference of two
snapshots. :func:`snapshot` keeps what Levelwise reads, JSON-ready:

* ``inbound-rtp`` (per ``kind``, per stream id): ``packetsReceived``,
  ``packetsLost`` (may be negative: duplicates), ``jitter`` (s),
  ``jitterBufferDelay`` (s, the sum over emitted samples or frames of their
  time in the buffer), ``jitterBufferEmittedCount``, ``totalSamplesReceived``,
  ``concealedSamples``, ``silentConcealedSamples``, ``freezeCount``,
  ``totalFreezesDuration`` (s), ``framesDecoded``, ``framesReceived``,
  ``pauseCount``, ``totalPausesDuration`` (s), ``playoutId``, ``transportId``;
* ``outbound-rtp``: ``packetsSent``, ``qualityLimitationReason``,
  ``qualityLimitationDurations`` (s per reason);
* ``remote-inbound-rtp`` (the far side's receiver reports on what this side
  sends): ``roundTripTime`` (s), ``fractionLost`` (0..1, of the last report),
  ``packetsLost``;
* ``media-playout``: ``totalPlayoutDelay`` (s, summed over samples played),
  ``totalSamplesCount``, ``synthesizedSamplesDuration`` (s);
* the selected ``candidate-pair``: ``currentRoundTripTime`` (s),
  ``totalRoundTripTime`` (s), ``responsesReceived``. It is the pair the
  ``transport`` (of the inbound streams, else any) names in
  ``selectedCandidatePairId``, else a pair with Firefox's ``selected: true``,
  else a ``nominated`` pair in state ``succeeded``.

The snapshot is ``{"source": "webrtc", "timestamp": <latest report timestamp,
ms>, "connection": <id>, "pair": {...} | None, "playout": {id: {...}},
"audio": {"inbound": {id: {...}}, "outbound": {...}, "remote_inbound": {...}},
"video": {...}, "dropped": ["<id>.<member>", ...]}``. ``connection`` is the
transport's id with a short digest of its DTLS certificate ids when the report
has them (a new peer connection has new certificates), else the transport id,
else None. ``dropped`` lists members that were present but not a finite
number in their range (negative where the specification allows no negative).

:func:`measure` compares two snapshots:

* the first sample, a reset (the connection id changed, the timestamp or any
  cumulative counter went backwards: a new peer connection) and a sample not
  later than the previous one give no measures, only a new baseline;
* a medium measures over the streams present in both snapshots (a stream
  that appears, such as a participant who joins, starts its own baseline);
* ``loss`` = lost / (lost + received) of the interval, a stream's negative
  lost delta (duplicates) counting as no loss;
* ``jitter_buffer_ms`` = Δ ``jitterBufferDelay`` / Δ
  ``jitterBufferEmittedCount``, the mean time what left the buffer in the
  interval spent in it; ``playout_ms`` likewise from ``media-playout``;
* ``concealment`` = Δ(``concealedSamples`` - ``silentConcealedSamples``) / Δ
  ``totalSamplesReceived``;
* ``rtt_ms`` = the selected pair's mean round trip over the interval (Δ
  ``totalRoundTripTime`` / Δ ``responsesReceived``), else its
  ``currentRoundTripTime``, else the mean of the medium's remote-inbound
  ``roundTripTime``; ``jitter_ms`` is the largest stream's ``jitter``;
* ``send_loss`` is the largest ``fractionLost`` of the medium's
  ``remote-inbound-rtp``; ``limitation`` is the reason that limited the
  medium's ``outbound-rtp`` longest in the interval (Δ
  ``qualityLimitationDurations``), else its current
  ``qualityLimitationReason`` (the worst of the streams);
* video is ``paused`` (the far side stopped sending: camera off, not a fault)
  when the pauses that ended in the interval cover half of it or more (a
  pause is five seconds without a rendered frame; browsers count it when it
  ends), or when not a video packet and no frame arrived while audio packets
  did (the path works, so the sender sent nothing). A sender that disables its
  track but keeps sending black frames cannot be told from one that sends
  video. ``freeze_share`` is then None; otherwise it is 1 when no frame was
  decoded, else Δ ``totalFreezesDuration`` over the interval, at most 1
  (a freeze is counted when it ends, so a long one lands in one interval).

A value that is not finite or out of its range (a share above 1, a delay
above a minute) becomes None with a note; a missing member is None.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from levelwise.app.quality.ports import Measures, Media
from levelwise.errors import QualityInputError

MEDIA: tuple[Media, ...] = ("audio", "video")
"""The media a report is read for, in the order measures are returned."""
MAX_DELAY_MS = 60_000.0
"""A delay above this (a minute) is taken for a broken value, not a delay."""

_INBOUND = (
    "packetsReceived",
    "packetsLost",
    "jitter",
    "jitterBufferDelay",
    "jitterBufferEmittedCount",
    "totalSamplesReceived",
    "concealedSamples",
    "silentConcealedSamples",
    "freezeCount",
    "totalFreezesDuration",
    "framesDecoded",
    "framesReceived",
    "pauseCount",
    "totalPausesDuration",
)
_OUTBOUND = ("packetsSent",)
_REMOTE_INBOUND = ("roundTripTime", "fractionLost", "packetsLost")
_PLAYOUT = ("totalPlayoutDelay", "totalSamplesCount", "synthesizedSamplesDuration")
_PAIR = ("currentRoundTripTime", "totalRoundTripTime", "responsesReceived")
_SIGNED = frozenset({"packetsLost"})
"""Members the specification lets go negative (duplicates)."""
_NOT_CUMULATIVE = frozenset(
    {"packetsLost", "jitter", "roundTripTime", "fractionLost", "currentRoundTripTime"}
)
"""Members that may go down between two reports of one connection."""
_SEVERITY = ("bandwidth", "cpu", "other", "none")
"""Quality limitation reasons, the worst first."""


def _number(value: object) -> float | None:
    """A finite number (bools are not numbers), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _validate(stats: object) -> list[Mapping[str, Any]]:
    if isinstance(stats, str | bytes | Mapping) or not isinstance(stats, Sequence):
        raise QualityInputError(
            "webrtc statistics must be the list of stats objects getStats() "
            f"returns, not {type(stats).__name__}"
        )
    seen: set[str] = set()
    reports: list[Mapping[str, Any]] = []
    for index, report in enumerate(stats):
        if not isinstance(report, Mapping):
            raise QualityInputError(
                f"webrtc statistics item {index} is {type(report).__name__}, "
                "not an object"
            )
        for key in ("type", "id"):
            if not isinstance(report.get(key), str):
                raise QualityInputError(
                    f"webrtc statistics item {index} has no string {key!r}"
                )
        if report["id"] in seen:
            raise QualityInputError(
                f"webrtc statistics item {index} repeats the id {report['id']!r}"
            )
        seen.add(report["id"])
        reports.append(report)
    return reports


def _keep(
    report: Mapping[str, Any], members: Sequence[str], dropped: list[str]
) -> dict[str, Any]:
    """The report's members that are numbers in range, JSON-ready."""
    kept: dict[str, Any] = {}
    for member in members:
        if member not in report:
            continue
        raw = report[member]
        value = _number(raw)
        if value is None or (value < 0 and member not in _SIGNED):
            dropped.append(f"{report['id']}.{member}")
        else:
            kept[member] = raw
    return kept


def _kind(report: Mapping[str, Any]) -> Media | None:
    # ``mediaType`` is the name older Chrome versions gave ``kind``.
    kind = report.get("kind", report.get("mediaType"))
    if kind == "audio":
        return "audio"
    if kind == "video":
        return "video"
    return None


def _keep_limitation(report: Mapping[str, Any], dropped: list[str]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    reason = report.get("qualityLimitationReason")
    if isinstance(reason, str):
        kept["qualityLimitationReason"] = reason
    durations = report.get("qualityLimitationDurations")
    if isinstance(durations, Mapping):
        valid = {}
        for key, raw in durations.items():
            value = _number(raw)
            if isinstance(key, str) and value is not None and value >= 0:
                valid[key] = raw
            else:
                dropped.append(f"{report['id']}.qualityLimitationDurations.{key}")
        kept["qualityLimitationDurations"] = valid
    return kept


def _select_pair(
    transports: Mapping[str, Mapping[str, Any]],
    pairs: Mapping[str, Mapping[str, Any]],
    wanted: Sequence[str],
) -> tuple[str | None, str | None]:
    """The transport and the candidate pair the media travel on."""
    order = [t for t in wanted if t in transports]
    order += [t for t in transports if t not in order]
    for transport in order:
        chosen = transports[transport].get("selectedCandidatePairId")
        if isinstance(chosen, str) and chosen in pairs:
            return transport, chosen
    first = order[0] if order else None
    for test in (
        lambda p: p.get("selected") is True,
        lambda p: p.get("nominated") is True and p.get("state") == "succeeded",
    ):
        for pair_id, pair in pairs.items():
            if test(pair):
                owner = pair.get("transportId")
                return (owner if isinstance(owner, str) else first), pair_id
    return first, None


def _connection(
    transport: Mapping[str, Any] | None, transport_id: str | None
) -> str | None:
    if transport_id is None or transport is None:
        return transport_id
    certificates = [
        transport.get(k) for k in ("localCertificateId", "remoteCertificateId")
    ]
    named = [c for c in certificates if isinstance(c, str)]
    if not named:
        return transport_id
    digest = hashlib.sha256("\n".join(named).encode()).hexdigest()[:12]
    return f"{transport_id}#{digest}"


def snapshot(stats: object) -> dict[str, Any]:
    """Keep what Levelwise reads of one ``getStats()`` report.

    Args:
        stats: The list of stats objects (each a mapping with string ``type``
            and ``id``).

    Returns:
        The JSON-ready snapshot described in the module docstring.

    Raises:
        QualityInputError: ``stats`` is not a list of objects each with a
            string ``type`` and ``id``, or repeats an id.
    """
    reports = _validate(stats)
    dropped: list[str] = []
    media: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    playout: dict[str, dict[str, Any]] = {}
    transports: dict[str, Mapping[str, Any]] = {}
    pairs: dict[str, Mapping[str, Any]] = {}
    wanted: list[str] = []
    timestamp: float | None = None
    for report in reports:
        stamp = _number(report.get("timestamp"))
        if stamp is not None:
            timestamp = stamp if timestamp is None else max(timestamp, stamp)
        kind = _kind(report)
        section = {
            "inbound-rtp": "inbound",
            "outbound-rtp": "outbound",
            "remote-inbound-rtp": "remote_inbound",
        }.get(report["type"])
        if section is not None and kind is not None:
            members = {
                "inbound": _INBOUND,
                "outbound": _OUTBOUND,
                "remote_inbound": _REMOTE_INBOUND,
            }[section]
            kept = _keep(report, members, dropped)
            if section == "inbound":
                for link in ("playoutId", "transportId"):
                    if isinstance(report.get(link), str):
                        kept[link] = report[link]
                if "transportId" in kept:
                    wanted.append(kept["transportId"])
            elif section == "outbound":
                kept.update(_keep_limitation(report, dropped))
            streams = media.setdefault(
                kind, {"inbound": {}, "outbound": {}, "remote_inbound": {}}
            )
            streams[section][report["id"]] = kept
        elif report["type"] == "media-playout":
            playout[report["id"]] = _keep(report, _PLAYOUT, dropped)
        elif report["type"] == "transport":
            transports[report["id"]] = report
        elif report["type"] == "candidate-pair":
            pairs[report["id"]] = report
    transport_id, pair_id = _select_pair(transports, pairs, wanted)
    pair = None
    if pair_id is not None:
        pair = {"id": pair_id, **_keep(pairs[pair_id], _PAIR, dropped)}
    result: dict[str, Any] = {
        "source": "webrtc",
        "timestamp": timestamp,
        "connection": _connection(transports.get(transport_id or ""), transport_id),
        "pair": pair,
        "playout": playout,
    }
    result.update(media)
    result["dropped"] = dropped
    return result


def _backwards(
    prev: Mapping[str, Any], cur: Mapping[str, Any]
) -> tuple[str, str] | None:
    """The first cumulative counter of the two snapshots that went down."""
    groups: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = []
    for medium in MEDIA:
        p, c = _mapping(prev.get(medium)), _mapping(cur.get(medium))
        for section in ("inbound", "outbound", "remote_inbound"):
            groups.append((medium, _mapping(p.get(section)), _mapping(c.get(section))))
    groups.append(
        ("audio", _mapping(prev.get("playout")), _mapping(cur.get("playout")))
    )
    p_pair, c_pair = _mapping(prev.get("pair")), _mapping(cur.get("pair"))
    if p_pair.get("id") is not None and p_pair.get("id") == c_pair.get("id"):
        pair_id = str(p_pair["id"])
        groups.append(("connection", {pair_id: p_pair}, {pair_id: c_pair}))
    for where, before, after in groups:
        for stream_id in sorted(set(before) & set(after)):
            old, new = _mapping(before[stream_id]), _mapping(after[stream_id])
            for member in sorted(set(old) & set(new)):
                if member in _NOT_CUMULATIVE:
                    continue
                if member == "qualityLimitationDurations":
                    a, b = _mapping(old[member]), _mapping(new[member])
                    pairs = [(a[k], b[k], f"{member}.{k}") for k in set(a) & set(b)]
                else:
                    pairs = [(old[member], new[member], member)]
                for was, now, name in sorted(pairs, key=lambda x: x[2]):
                    x, y = _number(was), _number(now)
                    if x is not None and y is not None and y < x:
                        return where, f"{stream_id}.{name}"
    return None


def _reset(prev: Mapping[str, Any], cur: Mapping[str, Any]) -> str | None:
    """Why the two snapshots are not of one connection, or None."""
    was, now = prev.get("connection"), cur.get("connection")
    if was is not None and now is not None and was != now:
        return f"connection changed ({was} -> {now}): new connection"
    before, after = _number(prev.get("timestamp")), _number(cur.get("timestamp"))
    if before is not None and after is not None and after < before:
        return "statistics timestamp went backwards: new connection"
    found = _backwards(prev, cur)
    if found is not None:
        medium, where = found
        return f"{medium}: counters went backwards ({where}): new connection"
    return None


def _deltas(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    ids: Sequence[str],
    *members: str,
) -> list[tuple[float, ...]]:
    """Per stream, the deltas of the members (streams that have all of them)."""
    rows = []
    for stream_id in ids:
        old, new = _mapping(before.get(stream_id)), _mapping(after.get(stream_id))
        row = []
        for member in members:
            x, y = _number(old.get(member)), _number(new.get(member))
            if x is None or y is None:
                break
            row.append(y - x)
        else:
            rows.append(tuple(row))
    return rows


def _ratio(rows: Sequence[tuple[float, ...]]) -> float | None:
    """Sum of first column over sum of second, None without a denominator."""
    total = sum(r[1] for r in rows)
    return sum(r[0] for r in rows) / total if rows and total > 0 else None


class _Checked:
    """Values of one medium's interval, with notes on those thrown out."""

    def __init__(self, medium: str, notes: list[str]) -> None:
        self.medium = medium
        self.notes = notes

    def delay(self, name: str, seconds: float | None) -> float | None:
        if seconds is None:
            return None
        ms = seconds * 1000
        if not 0 <= ms <= MAX_DELAY_MS:
            self.notes.append(f"{self.medium}: {name} {ms:g} ms is out of range")
            return None
        return ms

    def share(self, name: str, value: float | None) -> float | None:
        if value is not None and not 0 <= value <= 1:
            self.notes.append(f"{self.medium}: {name} {value:g} is out of [0, 1]")
            return None
        return value


def _loss(rows: Sequence[tuple[float, ...]]) -> float | None:
    """Loss of (Δreceived, Δlost) rows; a negative Δlost (duplicates) is 0."""
    received = sum(r[0] for r in rows)
    lost = sum(max(0.0, r[1]) for r in rows)
    return lost / (lost + received) if rows and lost + received > 0 else None


def _rtt(
    prev: Mapping[str, Any], cur: Mapping[str, Any], remote: Mapping[str, Any]
) -> float | None:
    """Round trip (s): the pair's mean in the interval, its current, or RTCP's."""
    p_pair, c_pair = _mapping(prev.get("pair")), _mapping(cur.get("pair"))
    if p_pair.get("id") is not None and p_pair.get("id") == c_pair.get("id"):
        rows = _deltas(
            {"p": p_pair},
            {"p": c_pair},
            ["p"],
            "totalRoundTripTime",
            "responsesReceived",
        )
        mean = _ratio(rows)
        if mean is not None:
            return mean
    current = _number(c_pair.get("currentRoundTripTime"))
    if current is not None:
        return current
    rtts = [_number(_mapping(r).get("roundTripTime")) for r in remote.values()]
    known = [r for r in rtts if r is not None]
    return sum(known) / len(known) if known else None


def _limited_by(before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """What limited the medium's sending longest in the interval, or now."""
    spent: dict[str, float] = {}
    for stream_id in set(before) & set(after):
        old = _mapping(_mapping(before[stream_id]).get("qualityLimitationDurations"))
        new = _mapping(_mapping(after[stream_id]).get("qualityLimitationDurations"))
        for reason in set(old) & set(new):
            x, y = _number(old[reason]), _number(new[reason])
            if x is not None and y is not None and isinstance(reason, str):
                spent[reason] = spent.get(reason, 0.0) + y - x
    if spent and max(spent.values()) > 0:
        rank = {r: i for i, r in enumerate(_SEVERITY)}
        return max(spent, key=lambda r: (spent[r], -rank.get(r, len(rank))))
    reasons = {
        _mapping(s).get("qualityLimitationReason") for s in after.values()
    } & set(_SEVERITY)
    for reason in _SEVERITY:
        if reason in reasons:
            return reason
    return None


def _medium(
    medium: Media,
    prev: Mapping[str, Any],
    cur: Mapping[str, Any],
    start: datetime,
    end: datetime,
    notes: list[str],
) -> Measures | None:
    p, c = _mapping(prev.get(medium)), _mapping(cur.get(medium))
    p_in, c_in = _mapping(p.get("inbound")), _mapping(c.get("inbound"))
    p_out, c_out = _mapping(p.get("outbound")), _mapping(c.get("outbound"))
    common = sorted(set(p_in) & set(c_in))
    if not common and not set(p_out) & set(c_out):
        notes.append(f"{medium}: new streams: new baseline")
        return None
    seconds = (end - start).total_seconds()
    check = _Checked(medium, notes)
    jitters = [_number(_mapping(c_in[i]).get("jitter")) for i in common]
    jitter = max((j for j in jitters if j is not None), default=None)
    buffered = _ratio(
        _deltas(p_in, c_in, common, "jitterBufferDelay", "jitterBufferEmittedCount")
    )
    values: dict[str, Any] = {
        "rtt_ms": check.delay(
            "rtt", _rtt(prev, cur, _mapping(c.get("remote_inbound")))
        ),
        "jitter_buffer_ms": check.delay("jitter buffer delay", buffered),
        "jitter_ms": check.delay("jitter", jitter),
        "loss": _loss(_deltas(p_in, c_in, common, "packetsReceived", "packetsLost")),
        "limitation": _limited_by(p_out, c_out),
        "connection": cur.get("connection"),
    }
    lost = [
        _number(_mapping(r).get("fractionLost"))
        for r in _mapping(c.get("remote_inbound")).values()
    ]
    values["send_loss"] = check.share(
        "fractionLost", max((x for x in lost if x is not None), default=None)
    )
    if medium == "audio":
        links = {_mapping(c_in[i]).get("playoutId") for i in common}
        p_play, c_play = _mapping(prev.get("playout")), _mapping(cur.get("playout"))
        shared = sorted(set(p_play) & set(c_play))
        used = [i for i in shared if i in links] or shared
        played = _ratio(
            _deltas(p_play, c_play, used, "totalPlayoutDelay", "totalSamplesCount")
        )
        values["playout_ms"] = check.delay("playout delay", played)
        values["concealment"] = check.share(
            "concealment", _concealment(p_in, c_in, common)
        )
    else:
        values.update(_video(prev, cur, p_in, c_in, common, seconds))
    return Measures(media=medium, start=start, end=end, **values)


def _concealment(
    before: Mapping[str, Any], after: Mapping[str, Any], ids: Sequence[str]
) -> float | None:
    """Share of received samples concealed, silence concealment aside."""
    rows = []
    for stream_id in ids:
        full = _deltas(
            before, after, [stream_id], "concealedSamples", "totalSamplesReceived"
        )
        if full:
            # Browsers without silentConcealedSamples count all concealment.
            silent = _deltas(before, after, [stream_id], "silentConcealedSamples")
            rows.append((full[0][0] - (silent[0][0] if silent else 0.0), full[0][1]))
    return _ratio(rows)


def _video(
    prev: Mapping[str, Any],
    cur: Mapping[str, Any],
    p_in: Mapping[str, Any],
    c_in: Mapping[str, Any],
    common: Sequence[str],
    seconds: float,
) -> dict[str, Any]:
    def total(
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        ids: Sequence[str],
        member: str,
    ) -> float | None:
        rows = _deltas(before, after, ids, member)
        return sum(r[0] for r in rows) if rows else None

    frames = total(p_in, c_in, common, "framesDecoded")
    if frames is None:
        frames = total(p_in, c_in, common, "framesReceived")
    received = total(p_in, c_in, common, "packetsReceived")
    pauses = total(p_in, c_in, common, "totalPausesDuration")
    a_prev = _mapping(_mapping(prev.get("audio")).get("inbound"))
    a_cur = _mapping(_mapping(cur.get("audio")).get("inbound"))
    audio = total(a_prev, a_cur, sorted(set(a_prev) & set(a_cur)), "packetsReceived")
    silent_sender = frames == 0 and received == 0 and audio is not None and audio > 0
    paused = (pauses is not None and pauses >= seconds / 2) or silent_sender
    if paused or frames is None:
        freeze = None
    elif frames == 0:
        freeze = 1.0
    else:
        frozen = total(p_in, c_in, common, "totalFreezesDuration")
        freeze = None if frozen is None else min(1.0, frozen / seconds)
    return {"paused": paused, "freeze_share": freeze}


def measure(
    prev: Mapping[str, Any] | None,
    cur: Mapping[str, Any],
    start: datetime,
    end: datetime,
) -> tuple[list[Measures], list[str]]:
    """Measure the interval between two snapshots, one medium at a time.

    Args:
        prev: The previous snapshot of this participant (None for the first).
        cur: This sample's snapshot (from :func:`snapshot`).
        start: The previous sample's time.
        end: This sample's time.

    Returns:
        One :class:`Measures` per medium with streams in both snapshots (audio
        first), and notes on what was ignored and why.
    """
    notes = [
        f"ignored {where}: not a number in range"
        for where in cur.get("dropped", ())
        if isinstance(where, str)
    ]
    if prev is None:
        notes.append("first sample: new baseline")
        return [], notes
    if end <= start:
        notes.append("sample not later than the previous one: new baseline")
        return [], notes
    reset = _reset(prev, cur)
    if reset is not None:
        notes.append(reset)
        return [], notes
    found = []
    for medium in MEDIA:
        if not _mapping(cur.get(medium)):
            continue
        measured = _medium(medium, prev, cur, start, end, notes)
        if measured is not None:
            found.append(measured)
    return found, notes
