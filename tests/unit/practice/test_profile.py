"""The speaking profile: trends and plateaus of practice metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from levelwise.app.practice.profile import speaking_profile
from levelwise.domain.events import PracticeCompleted

START = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)


def _sessions(**series: list[float]) -> list[PracticeCompleted]:
    n = max(len(v) for v in series.values())
    return [
        PracticeCompleted(
            id=f"p{i}",
            learner="ana",
            occurred_at=START + timedelta(days=i),
            seconds=600.0,
            metrics=tuple(
                sorted(
                    (name, values[i])
                    for name, values in series.items()
                    if i < len(values)
                )
            ),
        )
        for i in range(n)
    ]


def test_a_rising_speech_rate_is_improving_not_a_plateau() -> None:
    profile = speaking_profile(_sessions(speech_rate=[70, 75, 82, 88, 95]))
    trend = profile.trend("speech_rate")
    assert trend is not None
    # Least squares over x = 0..4, mean 82: slope = sum((x - 2)(y - 82)) / 10
    # = (24 + 7 + 0 + 6 + 26) / 10.
    assert trend.slope == pytest.approx(6.3)
    assert trend.improving and not trend.plateau
    assert trend.latest == 95 and len(trend.at) == 5
    assert profile.sessions == 5 and profile.last_at == trend.at[-1]


@pytest.mark.parametrize(
    ("name", "values", "plateau"),
    [
        # Four sessions of the same rate: no progress.
        ("speech_rate", [90, 91, 90, 90.5], True),
        # Rising: progress.
        ("speech_rate", [90, 92, 96, 99], False),
        # Pauses going down is progress (lower is better) ...
        ("mid_clause_pause_rate", [9, 8.5, 7, 6], False),
        # ... and going up is not.
        ("mid_clause_pause_rate", [6, 6, 7, 8], True),
        # Three sessions are too few to call a plateau.
        ("speech_rate", [90, 90, 90], False),
        # A count has no better direction: never a plateau.
        ("tokens", [50, 50, 50, 50], False),
    ],
    ids=["flat", "rising", "pauses-falling", "pauses-rising", "too-few", "neutral"],
)
def test_plateaus_follow_the_metrics_better_direction(
    name: str, values: list[float], plateau: bool
) -> None:
    profile = speaking_profile(_sessions(**{name: values}))
    trend = profile.trend(name)
    assert trend is not None and trend.plateau is plateau
    assert profile.plateaus == ((name,) if plateau else ())


def test_the_window_keeps_the_last_sessions_only() -> None:
    profile = speaking_profile(_sessions(mtld=[float(i) for i in range(15)]), window=10)
    trend = profile.trend("mtld")
    assert trend is not None and trend.values == tuple(float(i) for i in range(5, 15))


def test_no_sessions_no_trends() -> None:
    profile = speaking_profile([])
    assert profile.sessions == 0 and profile.last_at is None and profile.metrics == ()
    assert profile.trend("speech_rate") is None
