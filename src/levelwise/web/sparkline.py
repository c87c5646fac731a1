"""A metric's trend over a learner's sessions as a small inline SVG line.

The line is a pure function of the values: evenly spaced sessions, oldest
left, scaled between the smallest and the largest value (a flat series lies
in the middle), with a dot on every session and a larger one on the last.
It carries no meaning by colour: the page shows the trend in words and the
values in a table beside it, and the picture's accessible name lists the
values. Text arrives translated; this module only escapes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 120
HEIGHT = 32
PAD = 4.0


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def points(values: Sequence[float]) -> list[tuple[float, float]]:
    """Where each value is drawn: ``(x, y)`` in the picture, oldest first.

    Args:
        values: The values, oldest first.

    Returns:
        One point per value: x spread evenly over the width (a single value
        in the middle), y from the bottom (the smallest) to the top (the
        largest); all in the middle when the values are equal.
    """
    n = len(values)
    if n == 0:
        return []
    low, high = min(values), max(values)
    span = high - low
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    found = []
    for i, value in enumerate(values):
        x = PAD + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)
        share = (value - low) / span if span > 0 else 0.5
        found.append((x, HEIGHT - PAD - inner_h * share))
    return found


def sparkline_svg(values: Sequence[float], *, label: str) -> str:
    """The trend of ``values`` as an inline, accessible SVG element.

    Args:
        values: The values, oldest first (none: an empty picture).
        label: The accessible name, e.g. the metric and its values in words.

    Returns:
        The ``<svg>`` markup; its text is escaped.
    """
    drawn = points(values)
    line = ""
    if len(drawn) > 1:
        path = " ".join(f"{_f(x)},{_f(y)}" for x, y in drawn)
        line = (
            f'<polyline points="{path}" fill="none" stroke="currentColor" '
            'stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    dots = "".join(
        f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{3 if i == len(drawn) - 1 else 1.6}" '
        'fill="currentColor"/>'
        for i, (x, y) in enumerate(drawn)
    )
    return (
        f'<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}" data-points="{len(drawn)}">'
        f"<title>{escape(label)}</title>{line}{dots}</svg>"
    )
