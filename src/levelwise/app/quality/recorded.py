"""Grading recorded samples without a store: files and test fixtures.

A file is graded whole or not at all: the first rejected sample stops it with
its place (``line N``), so what is reported is every sample of the file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from levelwise.app.quality import reports
from levelwise.app.quality._grader import Grader
from levelwise.app.quality._samples import read_sample
from levelwise.app.quality.ports import Bucket, Sample, Thresholds
from levelwise.app.quality.reports import ClassReport
from levelwise.errors import QualityInputError


def grade_samples(
    lines: Iterable[Mapping[str, Any]], thresholds: Thresholds | None = None
) -> list[ClassReport]:
    """Grade samples of any number of classes without a store.

    Args:
        lines: Samples, each naming its class.
        thresholds: The bands (default: the seed's).

    Returns:
        One report per class, by class id.

    Raises:
        QualityInputError: A sample's envelope is wrong (the message starts
            with its place, ``sample N``, from 1).
    """
    return grade_numbered(enumerate(lines, start=1), thresholds, "sample")


def grade_numbered(
    lines: Iterable[tuple[int, object]],
    thresholds: Thresholds | None = None,
    place: str = "line",
) -> list[ClassReport]:
    """Grade numbered samples (a file's lines) of any number of classes.

    Args:
        lines: ``(number, sample)`` pairs, each sample naming its class.
        thresholds: The bands (default: the seed's).
        place: What a number is, for messages (``line``).

    Returns:
        One report per class, by class id.

    Raises:
        QualityInputError: A sample's envelope is wrong, or no sample of a
            class could be graded; the message starts with ``{place} N``.
    """
    samples: dict[str, list[tuple[int, Sample]]] = defaultdict(list)
    for i, raw in lines:
        try:
            sample = read_sample(raw, None)
        except QualityInputError as e:
            raise QualityInputError(f"{place} {i}: {e}") from None
        samples[sample.klass].append((i, sample))
    return [
        grade_class(klass, found, thresholds or Thresholds(), place)
        for klass, found in sorted(samples.items())
    ]


def grade_class(
    klass: str,
    samples: Sequence[tuple[int, Sample]],
    thresholds: Thresholds,
    place: str = "sample",
) -> ClassReport:
    """Grade one class's samples in one batch and report on it.

    Raises:
        QualityInputError: A sample was rejected (out of order, duplicated or
            unreadable statistics): a file is graded whole or not at all.
    """
    done = Grader(thresholds).advance(klass, samples, {}, None)
    if done.rejected:
        first = done.rejected[0]
        raise QualityInputError(f"{place} {first.index}: {first.reason}")
    r = done.recorded
    if r is None:  # pragma: no cover - every sample was taken, and one at least
        raise QualityInputError(f"class {klass!r}: no samples")
    merged: dict[tuple[str, str, datetime], Bucket] = {}
    for b in r.buckets:
        key = (b.participant, b.media, b.start)
        merged[key] = merged[key].merged(b) if key in merged else b
    return reports.class_report(
        klass,
        list(r.presences),
        list(merged.values()),
        list(r.episodes),
        t=thresholds,
    )
