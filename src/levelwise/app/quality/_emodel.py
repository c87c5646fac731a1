"""The ITU-T G.107 E-model (06/2015): transmission rating R and MOS.

The E-model rates a connection by adding impairments on a psychological
scale: ``R = Ro - Is - Id - Ie,eff + A`` (G.107 clause 7.1). Levelwise keeps
every parameter at the G.107 default values (clause 7.7: SLR 8 dB, RLR 2 dB,
STMR 15 dB, LSTR 18 dB, Ds = Dr = 3, TELR 65 dB, WEPL 110 dB, Ps = Pr = 35
dB(A), Nc -70 dBm0p, Nfor -64 dBmp, qdu 1, A 0) except the three that the
statistics give: the absolute one-way delay Ta, the talker-echo path's mean
one-way delay T and the round trip Tr of the four-wire loop (``T = Ta`` and
``Tr = 2 Ta`` unless given), and the packet loss Ppl with the codec's Ie,
Bpl and BurstR.

The delay sensitivity parameters the 2014 and 2015 editions added (``sT``,
``mT``) stay at their defaults (1 and 100 ms), which the Recommendation
requires for conversational telephony; with them ``Idd`` is the classic
formula: 0 up to 100 ms, then ``25 {(1 + X^6)^(1/6) - 3 (1 + (X/3)^6)^(1/6) +
2}`` with ``X = log2(Ta / 100)``.

The talker-echo term ``Idte`` grows with T: with the default TELR of 65 dB a
connection with 400 ms one way rates R 62.2 (MOS 3.22) with echo at T = Ta,
and R 69.1 (MOS 3.56) echo-free (T = Tr = 0, only ``Idd``). Pass
``t_ms=0, tr_ms=0`` for the echo-free figure.

Opus, the WebRTC codec, has no standard Ie or Bpl (ITU-T G.113 Appendix I lists
G.711, G.729, AMR and others; Opus is not among them): with the G.711-with-PLC
defaults (Ie 0, Bpl 25.1) the R and MOS here are a relative index that ranks
intervals by delay and loss, not a prediction of what a listening test would
give.
"""

from __future__ import annotations

import math

# G.107 (06/2015) clause 7.7, default values.
_SLR = 8.0
_RLR = 2.0
_STMR = 15.0
_LSTR = 18.0
_DS = 3.0
_TELR = 65.0
_WEPL = 110.0
_PS = 35.0
_PR = 35.0
_NC = -70.0
_NFOR = -64.0
_QDU = 1.0
_A = 0.0
# The delay sensitivity defaults of clause 7.4 (conversational use).
_MT = 100.0
_ST = 1.0


def _noise_floor() -> tuple[float, float]:
    """The total noise power No (dBm0p) and the basic S/N ratio Ro (7.2)."""
    olr = _SLR + _RLR
    nfo = _NFOR + _RLR
    pre = _PR + 10 * math.log10(1 + 10 ** ((10 - _LSTR) / 10))
    nor = _RLR - 121 + pre + 0.008 * (pre - 35) ** 2
    nos = _PS - _SLR - _DS - 100 + 0.004 * (_PS - olr - _DS - 14) ** 2
    no = 10 * math.log10(
        10 ** (_NC / 10) + 10 ** (nos / 10) + 10 ** (nor / 10) + 10 ** (nfo / 10)
    )
    return no, 15 - 1.5 * (_SLR + no)


_NO, _RO = _noise_floor()


def _norm(x: float, p: float) -> float:
    """``(1 + x^p)^(1/p)``, the smooth maximum G.107 uses throughout."""
    return math.pow(1 + math.pow(x, p), 1 / p)


def _sidetone(t_ms: float) -> float:
    """Ist, the impairment of a non-optimum sidetone (7.3), for echo delay T."""
    stmr_o = -10 * math.log10(
        10 ** (-_STMR / 10) + math.exp(-t_ms / 4) * 10 ** (-_TELR / 10)
    )
    return (
        12 * _norm((stmr_o - 13) / 6, 8)
        - 28 * _norm((stmr_o + 1) / 19.4, 35)
        - 13 * _norm((stmr_o - 3) / 33, 13)
        + 29
    )


def _simultaneous(t_ms: float) -> float:
    """Is = Iolr + Ist + Iq (7.3)."""
    olr = _SLR + _RLR
    x_olr = olr + 0.2 * (64 + _NO - _RLR)
    i_olr = 20 * (_norm(x_olr / 8, 8) - x_olr / 8)
    q = 37 - 15 * math.log10(_QDU)
    g = 1.07 + 0.258 * q + 0.0602 * q * q
    y = (_RO - 100) / 15 + 46 / 8.4 - g / 9
    z = 46 / 30 - g / 40
    i_q = 15 * math.log10(1 + math.pow(10, y) + math.pow(10, z))
    return i_olr + _sidetone(t_ms) + i_q


def _talker_echo(t_ms: float) -> float:
    """Idte, the talker-echo impairment (7.4), for echo delay T."""
    terv = (
        _TELR
        - 40 * math.log10((1 + t_ms / 10) / (1 + t_ms / 150))
        + 6 * math.exp(-0.3 * t_ms * t_ms)
    )
    roe = -1.5 * (_NO - _RLR)
    re = 80 + 2.5 * (terv - 14)
    # The corrections for STMR below 9 dB (TERVs) or above 20 dB (Idtes) do
    # not apply: the default STMR is 15 dB.
    return ((roe - re) / 2 + math.sqrt((roe - re) ** 2 / 4 + 100) - 1) * (
        1 - math.exp(-t_ms)
    )


def _listener_echo(tr_ms: float) -> float:
    """Idle, the listener-echo impairment (7.4), for round trip Tr."""
    rle = 10.5 * (_WEPL + 7) * math.pow(tr_ms + 1, -0.25)
    return (_RO - rle) / 2 + math.sqrt((_RO - rle) ** 2 / 4 + 169)


def _absolute_delay(ta_ms: float) -> float:
    """Idd, the impairment of a too-long absolute delay Ta (7.4)."""
    if ta_ms <= _MT:
        return 0.0
    x = math.log10(ta_ms / _MT) / math.log10(2)
    p = 6 * _ST
    return 25 * (_norm(x, p) - 3 * _norm(x / 3, p) + 2)


def _effective_equipment(
    ie: float, loss_percent: float, bpl: float, burst_ratio: float
) -> float:
    """Ie,eff with packet loss (7.5)."""
    ppl = loss_percent
    return ie + (95 - ie) * ppl / (ppl / burst_ratio + bpl)


def _check(name: str, value: float, *, low: float = 0.0) -> None:
    if not math.isfinite(value) or value < low:
        raise ValueError(f"{name} must be a finite number >= {low:g}, not {value!r}")


def r_factor(
    ta_ms: float,
    loss_percent: float = 0.0,
    *,
    ie: float = 0.0,
    bpl: float = 25.1,
    burst_ratio: float = 1.0,
    t_ms: float | None = None,
    tr_ms: float | None = None,
) -> float:
    """The E-model's transmission rating R of a connection (G.107 7.1).

    Args:
        ta_ms: The absolute one-way (mouth-to-ear) delay Ta, ms.
        loss_percent: The packet loss probability Ppl, percent (0 to 100).
        ie: The codec's equipment impairment factor Ie (G.113).
        bpl: The codec's packet-loss robustness factor Bpl (G.113).
        burst_ratio: BurstR (1 for random loss, above 1 for bursty loss).
        t_ms: The talker-echo path's mean one-way delay T; Ta when None.
        tr_ms: The four-wire loop's round-trip delay Tr; 2 Ta when None.

    Returns:
        R, about 93.2 for the default connection without delay or loss.

    Raises:
        ValueError: A delay is negative or not finite, the loss is outside
            [0, 100], ``bpl`` is not positive or ``burst_ratio`` is below 1.

    Examples:
        >>> round(r_factor(0.0), 1)
        93.2
        >>> round(r_factor(400.0, t_ms=0.0, tr_ms=0.0), 1)
        69.1
    """
    t = ta_ms if t_ms is None else t_ms
    tr = 2 * ta_ms if tr_ms is None else tr_ms
    _check("ta_ms", ta_ms)
    _check("t_ms", t)
    _check("tr_ms", tr)
    _check("loss_percent", loss_percent)
    if loss_percent > 100:
        raise ValueError(f"loss_percent must be at most 100, not {loss_percent!r}")
    _check("ie", ie)
    if not (math.isfinite(bpl) and bpl > 0):
        raise ValueError(f"bpl must be a finite positive number, not {bpl!r}")
    _check("burst_ratio", burst_ratio, low=1.0)
    delay = _talker_echo(t) + _listener_echo(tr) + _absolute_delay(ta_ms)
    return (
        _RO
        - _simultaneous(t)
        - delay
        - _effective_equipment(ie, loss_percent, bpl, burst_ratio)
        + _A
    )


def mos_from_r(r: float) -> float:
    """The estimated conversational MOS (MOS_CQE) of a rating R (G.107 Annex B).

    Args:
        r: The transmission rating.

    Returns:
        1 for R below 0, 4.5 above 100, else
        ``1 + 0.035 R + R (R - 60) (100 - R) 7e-6``.

    Raises:
        ValueError: ``r`` is NaN.

    Examples:
        >>> mos_from_r(100.0)
        4.5
    """
    if math.isnan(r):
        raise ValueError("r must be a number, not NaN")
    if r < 0:
        return 1.0
    if r > 100:
        return 4.5
    return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6


# Annex B's MOS(R) falls slightly below 1 for small R (its derivative
# -0.007 + 0.00224 R - 0.000021 R^2 is negative up to this root) and rises
# from there to 4.5 at R = 100: the inverse takes that rising branch.
_R_TURN = (0.00224 - math.sqrt(0.00224**2 - 4 * 0.000021 * 0.007)) / (2 * 0.000021)


def r_from_mos(mos: float) -> float:
    """The rating R whose MOS is ``mos`` (the inverse of G.107 Annex B).

    G.107 Appendix I inverts the cubic of :func:`mos_from_r`; here it is solved
    by bisection on its increasing branch (R from about 3.2 to 100), so
    ``mos_from_r(r_from_mos(m))`` gives back ``m`` within 1e-9 for every ``m``
    in [1, 4.5].

    Args:
        mos: The MOS; values outside [1, 4.5] are clamped to it.

    Returns:
        R in about [6.5, 100] (MOS 1 is also R = 0; the rising branch's root
        is returned).

    Raises:
        ValueError: ``mos`` is not finite.

    Examples:
        >>> round(r_from_mos(3.1), 6)
        60.0
    """
    if not math.isfinite(mos):
        raise ValueError(f"mos must be a finite number, not {mos!r}")
    target = min(max(mos, 1.0), 4.5)
    low, high = _R_TURN, 100.0
    # 64 halvings take the bracket below float resolution at R = 100.
    for _ in range(64):
        mid = (low + high) / 2
        if mos_from_r(mid) < target:
            low = mid
        else:
            high = mid
    return high
