"""Grading one interval: the one-way delay estimate, its band, R and MOS, the cause.

The estimator
-------------
What a participant hears (or sees) left the far side's mouth some time ago; the
statistics never measure that time end to end, so it is estimated as the sum of
the terms they do report::

    delay = network + jitter buffer + playout + send constant

* ``network``: the one-way transport delay where the SDK reports it as such
  (Agora's ``networkTransportDelay``, sender to receiver), else half the round
  trip time (the candidate pair's or RTCP's ``roundTripTime``);
* ``jitter buffer``: the receiver's mean jitter-buffer delay of the interval
  (measured, 0 when not reported);
* ``playout``: the playout delay where reported (``media-playout``);
* ``send constant``: :attr:`Thresholds.send_ms`, the codec frame (20 ms), its
  look-ahead (6.5 ms) and the capture and render buffers, taken as a constant.

Its error. Left out are capture and render buffering beyond the constant (a
Bluetooth headset adds 100-200 ms the statistics never see), the SFU's own
processing and queueing, and any asymmetry of the path: ``rtt / 2`` is right
only when up and down take as long, and wrong by half their difference when
they do not (a congested uplink on a fast downlink is the usual case). With an
SFU, the round trip is the receiver's own leg; the sender's leg is only known
when its transport delay is reported. The jitter buffer is measured, not
guessed. On symmetric paths expect an error of some tens of milliseconds, mostly
an underestimate; a band edge is therefore a guide, not a measurement.

Bands follow :class:`Thresholds`; audio intervals get the ITU-T G.107 E-model's
R (with ``Ta`` = the estimate and the interval's loss) and its MOS.
:func:`attribute` reads the likely cause of a bad interval from what both sides
reported.
"""

from __future__ import annotations

from collections.abc import Sequence

from levelwise.app.quality._emodel import mos_from_r, r_factor
from levelwise.app.quality.ports import (
    Band,
    Cause,
    Graded,
    Measures,
    Media,
    Role,
    Side,
    Thresholds,
)

HIGH_LOSS = 0.05
"""A share of packets lost (sent or received) or samples concealed that is high.

Opus hides a few per cent of random loss; past about 5 % speech is audibly
damaged, and a sender losing that much of what it sends is congested.
"""

CLOSE_RTT = 0.20
"""Two round trips within this share of the larger are "both sides" alike."""


def network_ms(m: Measures) -> float | None:
    """The one-way network term of the estimate.

    Args:
        m: The interval's measures.

    Returns:
        ``transport_ms`` when reported (already one way), else ``rtt_ms / 2``;
        None when neither is known.
    """
    if m.transport_ms is not None:
        return m.transport_ms
    if m.rtt_ms is not None:
        return m.rtt_ms / 2
    return None


def estimate_delay(m: Measures, t: Thresholds) -> float | None:
    """The estimated one-way mouth-to-ear delay of an interval (see the module).

    Args:
        m: The interval's measures.
        t: The thresholds (for the send-side constant).

    Returns:
        Milliseconds: network + jitter buffer + playout + ``t.send_ms``; None
        when neither a transport delay nor a round trip is known.
    """
    network = network_ms(m)
    if network is None:
        return None
    return network + (m.jitter_buffer_ms or 0.0) + (m.playout_ms or 0.0) + t.send_ms


def acceptable_limit(media: Media, t: Thresholds) -> float:
    """The highest delay still acceptable for a medium.

    Args:
        media: ``audio`` or ``video``.
        t: The thresholds.

    Returns:
        ``t.acceptable_ms`` for audio, ``t.video_acceptable_ms`` for video.
    """
    return t.acceptable_ms if media == "audio" else t.video_acceptable_ms


def band(delay_ms: float, media: Media, t: Thresholds) -> Band:
    """The band of a delay; each limit belongs to the better band.

    Args:
        delay_ms: The one-way delay.
        media: ``audio`` or ``video`` (video is acceptable up to
            ``t.video_acceptable_ms``).
        t: The thresholds.

    Returns:
        ``good``, ``acceptable``, ``degraded`` or ``broken``.
    """
    if delay_ms <= t.good_ms:
        return "good"
    if delay_ms <= acceptable_limit(media, t):
        return "acceptable"
    if delay_ms <= t.degraded_ms:
        return "degraded"
    return "broken"


def grade(
    klass: str, participant: str, role: Role, m: Measures, t: Thresholds
) -> Graded:
    """Grade one interval of what a participant receives.

    Audio gets the E-model's R with ``Ta`` = the delay estimate and the loss
    percentage ``loss × 100`` (0 when not reported; both clamped to what the
    E-model takes), with the codec's Ie, Bpl
    and BurstR from ``t``, and the MOS of that R. Without a delay estimate
    there is no band, R or MOS; a paused video interval has no band (a camera
    turned off is not a fault).

    Args:
        klass: The class.
        participant: The receiving participant.
        role: Their role.
        m: The interval's measures.
        t: The thresholds.

    Returns:
        The graded interval.
    """
    delay = estimate_delay(m, t)
    if delay is None:
        return Graded(klass, participant, role, m, None, None)
    if m.media == "video":
        graded_band = None if m.paused else band(delay, "video", t)
        return Graded(klass, participant, role, m, delay, graded_band)
    # The E-model takes no negative delay nor loss outside [0, 100] %. Echo
    # is cancelled in every WebRTC and Agora client (their AEC), so the talker
    # and listener echo terms are left out (T = Tr = 0): the delay counts
    # through Idd, the impairment of absolute delay.
    loss = min(max(m.loss or 0.0, 0.0), 1.0)
    r = r_factor(
        max(delay, 0.0),
        loss * 100,
        ie=t.codec_ie,
        bpl=t.codec_bpl,
        burst_ratio=t.burst_ratio,
        t_ms=0.0,
        tr_ms=0.0,
    )
    return Graded(
        klass, participant, role, m, delay, band(delay, "audio", t), r, mos_from_r(r)
    )


def far_side(g: Graded, far: Sequence[Graded]) -> list[Graded]:
    """The intervals of the far side of what ``g``'s participant receives.

    The far side of a learner is the teacher, and of a teacher the learners:
    the other role's intervals when there are any, else every other
    participant's (a class of learners only).

    Args:
        g: The receiver's interval.
        far: The other participants' intervals of the same time.

    Returns:
        The far side's intervals.
    """
    others = [f for f in far if f.participant != g.participant]
    opposite = [f for f in others if f.role != g.role]
    return opposite or others


def _high(share: float | None) -> bool:
    return share is not None and share >= HIGH_LOSS


def _path_side(g: Graded, far: Sequence[Graded]) -> Side:
    """The side whose own round trip is longer; ``both`` when within 20 %."""
    mine = g.measures.rtt_ms
    theirs = [f.measures.rtt_ms for f in far if f.measures.rtt_ms is not None]
    if mine is None or not theirs:
        return "unknown"
    other = max(theirs)
    if abs(mine - other) <= CLOSE_RTT * max(mine, other):
        return "both"
    return g.role if mine > other else far[0].role


def attribute(g: Graded, far: Sequence[Graded], t: Thresholds) -> tuple[Cause, Side]:
    """The likely cause of a bad interval and the side of the call it lies on.

    The far side is the other role's participants (see :func:`far_side`); their
    intervals of any medium count, as WebRTC reports
    ``qualityLimitationReason`` on video senders only. The first rule that
    holds decides:

    1. ``uplink_congestion`` (the far side): a far sender is limited by
       ``bandwidth`` or loses at least :data:`HIGH_LOSS` of what it sends;
    2. ``sender_cpu`` (the far side): a far sender is limited by ``cpu``;
    3. ``long_path``: the network term alone (``rtt / 2`` or the transport
       delay) is past the medium's acceptable limit; the side is the one whose
       own round trip is longer (``both`` within 20 %, ``unknown`` when either
       is missing);
    4. ``loss``: the delay is fine (good or acceptable) but the loss or the
       concealment is at least :data:`HIGH_LOSS`;
    5. ``jitter_buffer`` (the receiver): the jitter buffer, or the playout
       delay, is the largest term of the estimate (ties included);
    6. ``loss``: the loss or the concealment is high;
    7. else ``long_path``, the remaining term, sided as in 3.

    ``loss`` lies on the receiver's side when the far senders' own loss is
    known (and low, or rule 1 would have held): what they sent arrived, so the
    receiver's downlink lost it; else ``unknown``.

    Args:
        g: The receiver's graded interval.
        far: The other participants' graded intervals of the same time.
        t: The thresholds.

    Returns:
        ``(cause, side)``.
    """
    side = far_side(g, far)
    for f in side:
        if f.measures.limitation == "bandwidth" or _high(f.measures.send_loss):
            return "uplink_congestion", f.role
    for f in side:
        if f.measures.limitation == "cpu":
            return "sender_cpu", f.role
    m = g.measures
    network = network_ms(m)
    if network is not None and network > acceptable_limit(m.media, t):
        return "long_path", _path_side(g, side)
    lossy = _high(m.loss) or _high(m.concealment)
    loss_side: Side = (
        g.role if any(f.measures.send_loss is not None for f in side) else "unknown"
    )
    if lossy and g.band in (None, "good", "acceptable"):
        return "loss", loss_side
    buffers = max(m.jitter_buffer_ms or 0.0, m.playout_ms or 0.0)
    if buffers > 0 and buffers >= max(network or 0.0, t.send_ms):
        return "jitter_buffer", g.role
    if lossy:
        return "loss", loss_side
    return "long_path", _path_side(g, side)
