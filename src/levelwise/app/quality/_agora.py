"""Agora RTC statistics: what one participant's SDK reports about one far side.

Agora's SDKs report statistics per remote user and per interval (about every
two seconds), so most values need no difference of two samples. Levelwise
accepts one object per sample::

    {
      "remote": "<uid of the far side these streams come from>",
      "audio": {<RemoteAudioStats (native) or RemoteAudioTrackStats (Web)>},
      "video": {<RemoteVideoStats (native) or RemoteVideoTrackStats (Web)>},
      "network": {"rxQuality": 1, "txQuality": 1},
      "rtc": {<RtcStats (native) or AgoraRTCStats (Web)>}
    }

Every part is optional (``remote`` a string or a number). The members read,
with the native (Android, iOS, Windows, Electron, React Native, Flutter,
Unity 4.x) name first and the Web SDK 4.x name second where they mean the
same thing.

In ``audio`` and ``video``:

* ``networkTransportDelay`` / ``transportDelay``: sender to receiver
  network delay, one way, ms → ``transport_ms``;
* ``jitterBufferDelay``: the receiver's jitter buffer, ms →
  ``jitter_buffer_ms``; on the Web, ``receiveDelay`` (sending to playing)
  minus ``transportDelay``;
* ``audioLossRate``: audio frame loss in the interval, percent;
* ``packetLossRate``: native video packet loss after FEC, percent (not read
  in a Web payload, recognised by its ``receivePackets``: there the loss
  comes from the cumulative ``receivePackets`` and ``receivePacketsLost``);
* ``mosValue``: Agora's audio MOS × 100 (0..500); 0 is "not measured";
* ``totalFrozenTime`` (native, ms) and ``totalFreezeTime`` (Web, s):
  time frozen since joining, cumulative;
* ``totalActiveTime``: native, ms, cumulative time the stream was neither
  stopped nor disabled;
* ``freezeRate``: Web video, the share of the last second frozen (0..1);
* ``muted`` (Levelwise's own): true when the app knows the far side stopped
  or muted the stream.

In ``network`` (``onNetworkQuality`` for the local user; the Web's
``NetworkQuality``), levels 0 unknown, 1 excellent ... 6 down, with 7
(unsupported) and 8 (detecting) read as 0:

* ``rxQuality`` / ``downlinkNetworkQuality``: this participant's downlink;
* ``txQuality`` / ``uplinkNetworkQuality``: its uplink.

In ``rtc``:

* ``lastmileDelay`` (native: half the round trip to Agora's edge, ms) /
  ``RTT`` (Web: the round trip to the edge, ms);
* ``txPacketLossRate``: uplink loss to the edge, percent;
* ``cpuTotalUsage``: the system's CPU use, percent;
* ``duration`` / ``totalDuration`` (Android 4.x) / ``Duration`` (Web): call
  duration, s; a smaller one than before is a rejoin.

``gatewayRtt`` (the round trip to the local router) and the end-to-end
``e2eDelay``/``end2EndDelay`` are not read: the first is not the call's path,
and :class:`~levelwise.app.quality.ports.Measures` has no field for the
second.

How they become :class:`~levelwise.app.quality.ports.Measures`:

* ``transport_ms`` and ``jitter_buffer_ms`` as above; the native video stats
  carry no delay, and Agora's documentation points to the audio's
  ``networkTransportDelay`` and ``jitterBufferDelay`` for the video of a
  synchronised call, so video borrows the audio's when it has none;
* ``loss`` = ``audioLossRate``/100 (audio), ``packetLossRate``/100 (native
  video), or Δlost / (Δlost + Δreceived) from the Web counters;
* ``reported_mos`` = ``mosValue``/100, at least 1 (Agora's scale goes down to
  0, the ITU's to 1);
* muted audio is not measured (a note says so); video is ``paused`` when
  ``muted``, or when the stream was active for less than
  half the interval (Δ ``totalActiveTime``); else ``freeze_share`` from Δ
  ``totalFrozenTime`` or Δ ``totalFreezeTime`` over the interval (at most 1),
  else the Web ``freezeRate``;
* ``rtt_ms`` is the last mile's round trip (this participant to Agora's
  edge), ``send_loss`` = ``txPacketLossRate``/100, ``network_quality`` =
  the downlink quality;
* ``limitation`` is read from what Agora reports of this participant's own
  side: ``cpu`` when ``cpuTotalUsage`` is at least 90 %, ``bandwidth`` when the
  uplink quality is 4 (not smooth) or worse, else ``none`` when either is
  known;
* ``connection`` is ``agora:<remote>``.

The first sample gives measures (the per-interval values need no earlier
one) but no value that needs a difference. A later sample whose remote user
changed or whose cumulative figures went down (a rejoin) gives the
per-interval values and a note, not the differences. Values that are not
finite numbers, are negative, or are out of range (a percentage above 100, a
delay above a minute, a quality above 8) are left out with a note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from levelwise.app.quality.ports import Measures, Media
from levelwise.errors import QualityInputError

MEDIA: tuple[Media, ...] = ("audio", "video")
"""The media a payload is read for, in the order measures are returned."""
MAX_DELAY_MS = 60_000.0
"""A delay above this (a minute) is taken for a broken value, not a delay."""
CPU_LIMITED = 90.0
"""System CPU use (percent) from which the sender counts as CPU-limited."""
UPLINK_LIMITED = 4
"""Uplink quality level from which the sender counts as bandwidth-limited."""

# (names in the payload, first found wins) -> the snapshot's key.
_MEDIA_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("networkTransportDelay", "transportDelay"), "transport_ms"),
    (("jitterBufferDelay",), "jitter_buffer_ms"),
    (("receiveDelay",), "receive_ms"),
    (("audioLossRate",), "loss_percent"),
    (("mosValue",), "mos_raw"),
    (("totalFrozenTime",), "frozen_ms"),
    (("totalActiveTime",), "active_ms"),
    (("receivePackets",), "packets"),
    (("receivePacketsLost",), "packets_lost"),
    (("totalFreezeTime",), "freeze_s"),
    (("freezeRate",), "freeze_rate"),
)
_NETWORK_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("rxQuality", "downlinkNetworkQuality"), "rx"),
    (("txQuality", "uplinkNetworkQuality"), "tx"),
)
_RTC_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("RTT",), "rtt_ms"),
    (("lastmileDelay",), "lastmile_ms"),
    (("txPacketLossRate",), "tx_loss_percent"),
    (("cpuTotalUsage",), "cpu_percent"),
    (("duration", "totalDuration", "Duration"), "duration_s"),
)
_CUMULATIVE = ("frozen_ms", "active_ms", "packets", "freeze_s")
"""Running totals that only grow while the far side stays joined.

``receivePacketsLost`` is not among them: it is the browser's ``packetsLost``,
which duplicates make go down (a negative difference counts as no loss)."""


def _number(value: object) -> float | None:
    """A finite number (bools are not numbers), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _read(
    part: str,
    payload: Mapping[str, Any],
    fields: tuple[tuple[tuple[str, ...], str], ...],
    dropped: list[str],
) -> dict[str, Any]:
    """The part's known members as snapshot keys; bad values go to dropped."""
    kept: dict[str, Any] = {}
    for names, key in fields:
        for name in names:
            if name not in payload:
                continue
            raw = payload[name]
            value = _number(raw)
            if value is None or value < 0:
                dropped.append(f"{part}.{name}")
            else:
                kept[key] = raw
            break
    return kept


def _part(stats: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    part = stats.get(name)
    if part is None:
        return None
    if not isinstance(part, Mapping):
        raise QualityInputError(
            f"agora statistics' {name!r} must be an object, not {type(part).__name__}"
        )
    return part


def snapshot(stats: object) -> dict[str, Any]:
    """Read one Agora payload into Levelwise's JSON-ready snapshot.

    Args:
        stats: The payload described in the module docstring.

    Returns:
        ``{"source": "agora", "remote": str | None, "audio": {...},
        "video": {...}, "network": {...}, "rtc": {...}, "dropped": [...]}``
        with the members renamed to unit-bearing keys (``transport_ms``,
        ``loss_percent``, ``frozen_ms`` ...); a medium is present only if the
        payload has it.

    Raises:
        QualityInputError: ``stats`` is not an object, a part is not an
            object, or ``remote`` is neither a string nor a number.
    """
    if not isinstance(stats, Mapping):
        raise QualityInputError(
            f"agora statistics must be an object, not {type(stats).__name__}"
        )
    remote = stats.get("remote")
    if remote is not None and (
        isinstance(remote, bool) or not isinstance(remote, str | int)
    ):
        raise QualityInputError(
            "agora statistics' 'remote' must be the far side's uid (a string or "
            f"an integer), not {type(remote).__name__}"
        )
    dropped: list[str] = []
    result: dict[str, Any] = {
        "source": "agora",
        "remote": None if remote is None else str(remote),
    }
    for medium in MEDIA:
        part = _part(stats, medium)
        if part is None:
            continue
        fields = _MEDIA_FIELDS
        if medium == "video" and "receivePackets" not in part:
            # The native video's packetLossRate is a percentage; the Web's
            # (a running total of unclear unit) is replaced by its counters.
            fields = (*fields, (("packetLossRate",), "loss_percent"))
        kept = _read(medium, part, fields, dropped)
        if "muted" in part:
            if isinstance(part["muted"], bool):
                kept["muted"] = part["muted"]
            else:
                dropped.append(f"{medium}.muted")
        result[medium] = kept
    for name, fields in (("network", _NETWORK_FIELDS), ("rtc", _RTC_FIELDS)):
        part = _part(stats, name)
        result[name] = {} if part is None else _read(name, part, fields, dropped)
    result["dropped"] = dropped
    return result


def _rejoined(prev: Mapping[str, Any], cur: Mapping[str, Any]) -> str | None:
    """Why the cumulative figures of the two snapshots do not continue."""
    was, now = prev.get("remote"), cur.get("remote")
    if was != now:
        return f"remote user changed ({was} -> {now})"
    for part, keys in (("rtc", ("duration_s",)), *((m, _CUMULATIVE) for m in MEDIA)):
        old, new = _mapping(prev.get(part)), _mapping(cur.get(part))
        for key in keys:
            x, y = _number(old.get(key)), _number(new.get(key))
            if x is not None and y is not None and y < x:
                return f"{part}: {key} went backwards: rejoined"
    return None


class _Checked:
    """One sample's values with their range checked, with notes."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes

    def delay(self, where: str, value: float | None) -> float | None:
        if value is not None and value > MAX_DELAY_MS:
            self.notes.append(f"{where} {value:g} ms is out of range")
            return None
        return value

    def percent(self, where: str, value: float | None) -> float | None:
        if value is None:
            return None
        if value > 100:
            self.notes.append(f"{where} {value:g} % is out of range")
            return None
        return value / 100

    def share(self, where: str, value: float | None) -> float | None:
        if value is not None and value > 1:
            self.notes.append(f"{where} {value:g} is out of [0, 1]")
            return None
        return value

    def quality(self, where: str, value: float | None) -> int | None:
        if value is None:
            return None
        if value > 8 or value != int(value):
            self.notes.append(f"{where} {value:g} is not a quality level")
            return None
        # 7 (unsupported) and 8 (detecting) say nothing of the network.
        return 0 if value > 6 else int(value)


def _delta(
    prev: Mapping[str, Any] | None, cur: Mapping[str, Any], key: str
) -> float | None:
    if prev is None:
        return None
    x, y = _number(prev.get(key)), _number(cur.get(key))
    return None if x is None or y is None else y - x


def _delays(
    medium: Media, m: Mapping[str, Any], audio: Mapping[str, Any], check: _Checked
) -> tuple[float | None, float | None]:
    """(transport, jitter buffer) in ms; video borrows the audio's."""
    transport = _number(m.get("transport_ms"))
    buffered = _number(m.get("jitter_buffer_ms"))
    receive = _number(m.get("receive_ms"))
    if buffered is None and receive is not None and transport is not None:
        if receive < transport:
            check.notes.append(
                f"{medium}: receiveDelay {receive:g} ms is below transportDelay "
                f"{transport:g} ms"
            )
        else:
            buffered = receive - transport
    if medium == "video" and transport is None and buffered is None:
        transport = _number(audio.get("transport_ms"))
        buffered = _number(audio.get("jitter_buffer_ms"))
    return (
        check.delay(f"{medium}: transport delay", transport),
        check.delay(f"{medium}: jitter buffer delay", buffered),
    )


def _loss(
    medium: Media,
    m: Mapping[str, Any],
    before: Mapping[str, Any] | None,
    check: _Checked,
) -> float | None:
    received, lost = _delta(before, m, "packets"), _delta(before, m, "packets_lost")
    if received is not None and lost is not None:
        lost = max(0.0, lost)
        return lost / (lost + received) if lost + received > 0 else None
    return check.percent(f"{medium}: loss", _number(m.get("loss_percent")))


def _video(
    m: Mapping[str, Any],
    before: Mapping[str, Any] | None,
    seconds: float,
    check: _Checked,
) -> dict[str, Any]:
    active = _delta(before, m, "active_ms")
    if m.get("muted") is True or (
        active is not None and seconds > 0 and active / 1000 < seconds / 2
    ):
        return {"paused": True, "freeze_share": None}
    frozen = _delta(before, m, "frozen_ms")
    if frozen is None:
        frozen_s = _delta(before, m, "freeze_s")
    else:
        frozen_s = frozen / 1000
    if frozen_s is not None and seconds > 0:
        return {"paused": False, "freeze_share": min(1.0, frozen_s / seconds)}
    rate = check.share("video: freezeRate", _number(m.get("freeze_rate")))
    return {"paused": False, "freeze_share": rate}


def _limitation(network: Mapping[str, Any], rtc: Mapping[str, Any]) -> str | None:
    cpu = _number(rtc.get("cpu_percent"))
    uplink = _number(network.get("tx"))
    if cpu is not None and cpu >= CPU_LIMITED:
        return "cpu"
    if uplink is not None and UPLINK_LIMITED <= uplink <= 6:
        return "bandwidth"
    if cpu is not None or (uplink is not None and 1 <= uplink <= 3):
        return "none"
    return None


def measure(
    prev: Mapping[str, Any] | None,
    cur: Mapping[str, Any],
    start: datetime,
    end: datetime,
) -> tuple[list[Measures], list[str]]:
    """Measure one Agora sample (and what changed since the previous one).

    Args:
        prev: The previous snapshot of this participant (None for the first).
        cur: This sample's snapshot (from :func:`snapshot`).
        start: The previous sample's time (``end`` for the first sample).
        end: This sample's time.

    Returns:
        One :class:`Measures` per medium in the payload (audio first), and
        notes on what was ignored and why.
    """
    notes = [
        f"ignored {where}: not a number in range"
        for where in cur.get("dropped", ())
        if isinstance(where, str)
    ]
    if prev is not None and end <= start:
        notes.append("sample not later than the previous one: ignored")
        return [], notes
    if prev is not None:
        why = _rejoined(prev, cur)
        if why is not None:
            notes.append(f"{why}: no differences this time")
            prev = None
    seconds = (end - start).total_seconds()
    check = _Checked(notes)
    network, rtc = _mapping(cur.get("network")), _mapping(cur.get("rtc"))
    rtt = _number(rtc.get("rtt_ms"))
    if rtt is None:
        lastmile = _number(rtc.get("lastmile_ms"))
        rtt = None if lastmile is None else 2 * lastmile
    mos_raw = _number(_mapping(cur.get("audio")).get("mos_raw"))
    if mos_raw is not None and mos_raw > 500:
        notes.append(f"audio: mosValue {mos_raw:g} is out of [0, 500]")
        mos_raw = None
    remote = cur.get("remote")
    shared: dict[str, Any] = {
        "rtt_ms": check.delay("rtc: round trip", rtt),
        "send_loss": check.percent(
            "rtc: txPacketLossRate", _number(rtc.get("tx_loss_percent"))
        ),
        "network_quality": check.quality(
            "network: rxQuality", _number(network.get("rx"))
        ),
        "limitation": _limitation(network, rtc),
        "connection": None if remote is None else f"agora:{remote}",
    }
    audio = _mapping(cur.get("audio"))
    found = []
    for medium in MEDIA:
        if not isinstance(cur.get(medium), Mapping):
            continue
        m = _mapping(cur.get(medium))
        if medium == "audio" and m.get("muted") is True:
            notes.append("audio: muted by the far side: not measured")
            continue
        before = None if prev is None else _mapping(prev.get(medium))
        transport, buffered = _delays(medium, m, audio, check)
        values = dict(shared)
        values.update(
            transport_ms=transport,
            jitter_buffer_ms=buffered,
            loss=_loss(medium, m, before, check),
        )
        if medium == "audio":
            values["reported_mos"] = None if not mos_raw else max(1.0, mos_raw / 100)
        else:
            values.update(_video(m, before, seconds, check))
        found.append(Measures(media=medium, start=start, end=end, **values))
    if not found:
        notes.append("no audio or video statistics")
    return found, notes
