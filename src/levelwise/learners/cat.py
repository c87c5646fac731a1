"""Computerized adaptive testing: item selection, stopping rules, session state.

A session is a pure, JSON-serialisable ``CatState``. The loop is
``start`` → ``next_item`` → ``ask`` → ``answer`` → ``next_item`` … until
``next_item`` returns ``None`` (``should_stop`` names the reason: ``"se"``,
``"max_items"``, ``"classified"`` or ``"bank_exhausted"``).

Selection is maximum Fisher information at the current θ (``irt``), vectorised
over the bank, with two exposure controls (Georgiadou et al. 2007):

* randomesque (Kingsbury & Zara 1989): pick at random among the ``k`` most
  informative eligible items (``randomesque=1`` is plain maximum information);
* an exposure cap (Sympson–Hetter-style, conditional-free): an ``Exposure``
  holds ``counts[i]`` = sessions that administered item ``i`` and ``sessions``
  = finished sessions, both recorded by ``record(exposure, state)`` when a
  session ends. Item ``i`` is eligible only while
  ``(counts[i] + 1) / (sessions + 1) <= max_exposure``, so after every recorded
  session no item's rate ``counts / sessions`` exceeds the cap. If no eligible
  item is left the cap is ignored for that pick (as catsim's ``r_max`` does).

Content balancing (Kingsbury & Zara 1989): with ``content_targets`` (a share per
dimension), pick the dimension furthest below its target share, then the best
item in it. With ``multidimensional=True`` the state holds one θ per dimension,
each an independent estimate on that dimension's items only; without targets,
the dimension with the largest SE is served next. Classification stopping ends
the test when the ``1 − alpha`` interval ``θ ± z·SE`` of every θ lies entirely on
one side of every cut point.

Examples:
    >>> import numpy as np
    >>> bank = ItemBank.from_arrays(a=np.full(40, 1.5), b=np.linspace(-2, 2, 40))
    >>> settings = CatSettings(se_target=0.4, max_items=20, randomesque=1)
    >>> rng = np.random.default_rng(0)
    >>> state = start(bank, settings)
    >>> while (item := next_item(bank, settings, state, rng)) is not None:
    ...     right = bool(bank.b[item] < 0.5)  # an examinee at about θ = 0.5
    ...     state = answer(bank, settings, ask(bank, state, item), item, right)
    >>> should_stop(bank, settings, state), len(state.items), round(state.theta[0], 2)
    ('se', 11, 0.51)
    >>> from_json(to_json(state)) == state
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from levelwise.errors import CatError
from levelwise.learners.irt import FloatArray, Method, estimate_ability

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class ItemBank:
    """Calibrated items (3PL; ``c = 0`` is the 2PL).

    Attributes:
        a: Discriminations, shape ``(n,)``.
        b: Difficulties.
        c: Guessing parameters.
        dimension: Content area (0-based int) of each item.
        ids: Item ids.
    """

    a: FloatArray
    b: FloatArray
    c: FloatArray
    dimension: IntArray
    ids: tuple[str, ...]
    _masks: tuple[BoolArray, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Validate shapes and precompute one item mask per dimension."""
        n = len(self.a)
        arrays = (self.a, self.b, self.c, self.dimension)
        if n == 0 or any(np.shape(x) != (n,) for x in arrays) or len(self.ids) != n:
            raise CatError("a, b, c, dimension and ids must be non-empty, same length")
        if (self.a <= 0).any() or (self.c < 0).any() or (self.c >= 1).any():
            raise CatError("need a > 0 and 0 <= c < 1 for every item")
        if (self.dimension < 0).any():
            raise CatError("dimensions are 0-based non-negative ints")
        dims = range(int(self.dimension.max()) + 1)
        object.__setattr__(self, "_masks", tuple(self.dimension == d for d in dims))

    @classmethod
    def from_arrays(
        cls,
        a: npt.ArrayLike,
        b: npt.ArrayLike,
        c: npt.ArrayLike | None = None,
        dimension: npt.ArrayLike | None = None,
        ids: tuple[str, ...] | None = None,
    ) -> ItemBank:
        """Build a bank; ``c`` defaults to 0, ``dimension`` to 0, ids to "0".."n-1"."""
        a_ = np.asarray(a, np.float64)
        n = len(a_)
        return cls(
            a_,
            np.asarray(b, np.float64),
            np.zeros(n) if c is None else np.asarray(c, np.float64),
            np.zeros(n, np.int64) if dimension is None else np.asarray(dimension, int),
            tuple(str(i) for i in range(n)) if ids is None else ids,
        )

    @property
    def n_dimensions(self) -> int:
        """Number of dimensions (max index + 1)."""
        return len(self._masks)

    def information(self, theta: float) -> FloatArray:
        """Fisher information of every item at ``theta``: ``a² L² (1 − P) / P``."""
        logistic = 1.0 / (1.0 + np.exp(-self.a * (theta - self.b)))
        p = self.c + (1.0 - self.c) * logistic
        out: FloatArray = self.a**2 * logistic**2 * (1.0 - p) / p
        return out


@dataclass(frozen=True)
class CatSettings:
    """Rules of one adaptive test.

    Args:
        se_target: Stop when every SE is at most this (``None``: never).
        max_items: Stop after this many items.
        min_items: Stop for ``se``/``classified`` only after this many.
        estimator: ``eap`` (default), ``map`` or ``ml`` (``irt.estimate_ability``).
        randomesque: Pick at random among this many most informative items.
        max_exposure: Exposure cap in (0, 1], or ``None`` for no cap.
        content_targets: Target share per dimension (sums to 1), or ``None``.
        multidimensional: One θ per dimension instead of one overall θ.
        cut_points: Level cut points on the θ scale for classification stopping.
        alpha: The classification interval has coverage ``1 − alpha``.
        prior_mean: Mean of the ability prior (EAP/MAP) and the starting θ.
        prior_sd: Its standard deviation and the starting SE.
    """

    se_target: float | None = 0.3
    max_items: int = 30
    min_items: int = 1
    estimator: Method = "eap"
    randomesque: int = 5
    max_exposure: float | None = None
    content_targets: tuple[float, ...] | None = None
    multidimensional: bool = False
    cut_points: tuple[float, ...] = ()
    alpha: float = 0.05
    prior_mean: float = 0.0
    prior_sd: float = 1.0


@dataclass(frozen=True)
class CatState:
    """One session, immutable and JSON-serialisable (``to_json``/``from_json``).

    Attributes:
        items: Bank indexes administered and answered, in order.
        responses: 1/0 per answered item.
        theta: Current estimate, one per dimension if multidimensional, else one.
        se: Its standard error(s).
        dimension_counts: Items answered per dimension.
        pending: The item asked and not yet answered, if any.
    """

    items: tuple[int, ...]
    responses: tuple[int, ...]
    theta: tuple[float, ...]
    se: tuple[float, ...]
    dimension_counts: tuple[int, ...]
    pending: int | None = None


@dataclass(frozen=True, eq=False)
class Exposure:
    """Exposure history of a bank: ``counts[i]`` sessions gave item ``i``.

    Attributes:
        counts: Sessions that administered each item.
        sessions: Finished sessions recorded.
    """

    counts: IntArray
    sessions: int = 0

    @classmethod
    def empty(cls, bank: ItemBank) -> Exposure:
        """No history yet for ``bank``."""
        return cls(np.zeros(len(bank.a), np.int64))

    @property
    def rates(self) -> FloatArray:
        """Exposure rate of each item (``counts / sessions``)."""
        out: FloatArray = self.counts / max(self.sessions, 1)
        return out


def record(exposure: Exposure, state: CatState) -> Exposure:
    """Return the history with the finished session ``state`` added."""
    counts = exposure.counts.copy()
    counts[list(state.items)] += 1
    return Exposure(counts, exposure.sessions + 1)


def start(bank: ItemBank, settings: CatSettings) -> CatState:
    """Validate ``settings`` against ``bank`` and open a session at the prior.

    Raises:
        CatError: If a setting is out of range or does not fit the bank.
    """
    s, n_dims = settings, bank.n_dimensions
    checks = {
        "need 1 <= min_items <= max_items": 1 <= s.min_items <= s.max_items,
        "randomesque must be >= 1": s.randomesque >= 1,
        "max_exposure must be in (0, 1]": s.max_exposure is None
        or 0 < s.max_exposure <= 1,
        "alpha must be in (0, 1)": 0 < s.alpha < 1,
        "estimator must be eap, map or ml": s.estimator in ("eap", "map", "ml"),
        f"content_targets needs {n_dims} shares >= 0 summing to 1": (
            s.content_targets is None
            or (
                len(s.content_targets) == n_dims
                and min(s.content_targets) >= 0
                and abs(sum(s.content_targets) - 1) < 1e-6
            )
        ),
        "every dimension needs items": all(m.any() for m in bank._masks),
    }
    if bad := [message for message, ok in checks.items() if not ok]:
        raise CatError("; ".join(bad))
    k = n_dims if s.multidimensional else 1
    return CatState((), (), (s.prior_mean,) * k, (s.prior_sd,) * k, (0,) * n_dims)


def _available(bank: ItemBank, state: CatState) -> BoolArray:
    avail = np.ones(len(bank.a), np.bool_)
    avail[list(state.items)] = False
    return avail


def should_stop(bank: ItemBank, settings: CatSettings, state: CatState) -> str | None:
    """Return why the session should stop, or ``None`` to go on.

    Checked in order: ``max_items``; ``bank_exhausted``; then, once
    ``min_items`` are answered, ``se`` (every SE ≤ ``se_target``) and
    ``classified`` (every ``1 − alpha`` interval clear of every cut point).
    """
    n = len(state.items)
    if n >= settings.max_items:
        return "max_items"
    if n >= len(bank.a):
        return "bank_exhausted"
    if n < settings.min_items:
        return None
    if settings.se_target is not None and max(state.se) <= settings.se_target:
        return "se"
    if settings.cut_points:
        half = NormalDist().inv_cdf(1 - settings.alpha / 2) * np.asarray(state.se)
        distance = np.abs(np.subtract.outer(state.theta, settings.cut_points))
        if (distance > half[:, None]).all():
            return "classified"
    return None


def _pick_dimension(
    bank: ItemBank, settings: CatSettings, state: CatState, avail: BoolArray
) -> int | None:
    """Kingsbury–Zara: the dimension furthest below its target share."""
    if settings.content_targets is None and not settings.multidimensional:
        return None
    has_items = np.array([(m & avail).any() for m in bank._masks])
    if settings.content_targets is not None:
        share = np.asarray(state.dimension_counts) / max(len(state.items), 1)
        score = np.asarray(settings.content_targets) - share
    else:
        score = np.asarray(state.se, np.float64)
    return int(np.argmax(np.where(has_items, score, -np.inf)))


def next_item(
    bank: ItemBank,
    settings: CatSettings,
    state: CatState,
    rng: np.random.Generator,
    exposure: Exposure | None = None,
) -> int | None:
    """Choose the next item's bank index, or ``None`` when a stop rule holds.

    Args:
        bank: The items.
        settings: The test's rules.
        state: The session so far.
        rng: Randomness for the randomesque pick.
        exposure: The bank's history, needed for ``max_exposure``.

    Returns:
        The item to ask, or ``None``.
    """
    if state.pending is not None:
        return state.pending
    if should_stop(bank, settings, state) is not None:
        return None
    avail = _available(bank, state)
    if settings.max_exposure is not None and exposure is not None:
        room = settings.max_exposure * (exposure.sessions + 1) - exposure.counts
        if (eligible := avail & (room >= 1 - 1e-9)).any():
            avail = eligible
    dim = _pick_dimension(bank, settings, state, avail)
    if dim is not None:
        avail = avail & bank._masks[dim]
    theta = state.theta[dim if dim is not None and settings.multidimensional else 0]
    info = np.where(avail, bank.information(theta), -np.inf)
    k = min(settings.randomesque, int(avail.sum()))
    if k <= 1:
        return int(np.argmax(info))
    top = np.argpartition(info, -k)[-k:]
    return int(top[rng.integers(k)])


def ask(bank: ItemBank, state: CatState, item: int) -> CatState:
    """Record that ``item`` was presented; ``answer`` then accepts it.

    Raises:
        CatError: If the item is unknown, already answered or another is pending.
    """
    if not 0 <= item < len(bank.a):
        raise CatError(f"item {item} is not in the bank (0..{len(bank.a) - 1})")
    if item in state.items:
        raise CatError(f"item {item} was already answered in this session")
    if state.pending is not None and state.pending != item:
        raise CatError(f"item {state.pending} is awaiting its answer")
    return replace(state, pending=item)


def answer(
    bank: ItemBank, settings: CatSettings, state: CatState, item: int, correct: bool
) -> CatState:
    """Return the state after ``item`` was answered, with θ and SE re-estimated.

    Raises:
        CatError: If ``item`` was already answered or is not the asked item.
    """
    if item in state.items:
        raise CatError(f"item {item} was already answered in this session")
    if state.pending != item:
        raise CatError(f"item {item} was not asked (pending: {state.pending})")
    items = (*state.items, item)
    responses = (*state.responses, int(bool(correct)))
    dim = int(bank.dimension[item])
    counts = list(state.dimension_counts)
    counts[dim] += 1
    idx, resp = np.asarray(items), np.asarray(responses, np.int64)
    theta, se = list(state.theta), list(state.se)
    slot = 0
    if settings.multidimensional:  # independent estimate on this dimension's items
        keep = bank.dimension[idx] == dim
        idx, resp, slot = idx[keep], resp[keep], dim
    est = estimate_ability(
        bank.a[idx],
        bank.b[idx],
        bank.c[idx],
        resp,
        method=settings.estimator,
        prior_mean=settings.prior_mean,
        prior_sd=settings.prior_sd,
    )
    theta[slot], se[slot] = est.theta, est.se
    return CatState(items, responses, tuple(theta), tuple(se), tuple(counts))


def to_json(state: CatState) -> str:
    """Serialise a session (an infinite SE, from ML, is written as null)."""
    return json.dumps(
        {
            "version": 1,
            "items": state.items,
            "responses": state.responses,
            "theta": state.theta,
            "se": [s if np.isfinite(s) else None for s in state.se],
            "dimension_counts": state.dimension_counts,
            "pending": state.pending,
        }
    )


def from_json(text: str) -> CatState:
    """Read a session written by ``to_json``.

    Raises:
        CatError: If the text is not a valid saved session.
    """
    try:
        raw = json.loads(text)
        if raw["version"] != 1:
            raise ValueError(f"unknown version {raw['version']!r}")
        state = CatState(
            tuple(int(i) for i in raw["items"]),
            tuple(int(r) for r in raw["responses"]),
            tuple(float(t) for t in raw["theta"]),
            tuple(float("inf") if s is None else float(s) for s in raw["se"]),
            tuple(int(c) for c in raw["dimension_counts"]),
            None if raw["pending"] is None else int(raw["pending"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CatError(f"invalid CAT state JSON: {exc}") from exc
    if len(state.items) != len(state.responses) or len(state.theta) != len(state.se):
        raise CatError("invalid CAT state JSON: mismatched lengths")
    return state
