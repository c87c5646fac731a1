"""Packing of BKT chains for the batched E-step (see :mod:`levelwise.learners.bkt_em`).

Chains are cut into chunks of ``width`` rows; chunks are sorted by length so
that column ``k`` of the packed per-row arrays is a prefix of the chunks, and
nothing is padded. The *links* list, by chunk ordinal, the chunks through
which the sequential carry pass moves each chain's state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from levelwise.learners.base import FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]

MAX_WIDTH = 32
"""Longest chunk; bounds products of up to 32 factors >= 1e-6 (no underflow)."""


@dataclass(frozen=True)
class Packed:
    """Chunks laid out column by column; column ``k`` holds a prefix of chunks.

    Attributes:
        widths: Number of chunks longer than ``k``, for each column ``k``.
        offsets: Start of each column in the per-row arrays (plus the end).
        code: ``2 * param + correct`` per row, in packed order.
        correct: Correct (0.0 or 1.0) per row, in packed order.
        param: Parameter-set index per chunk (restart * n_skills + skill).
        first: Whether each chunk is its chain's first.
        last: Whether each chunk is its chain's last.
    """

    widths: list[int]
    offsets: list[int]
    code: IntArray
    correct: FloatArray
    param: IntArray
    first: BoolArray
    last: BoolArray


@dataclass(frozen=True)
class Layout:
    """Chains packed for the E-step.

    Attributes:
        rows: All chunks (forward and backward smoothing).
        inner: The chunks of chains with more than one chunk (transfers).
        carry_rows: Per link: the chunk in ``rows`` it stands for.
        carry_inner: Per link: the same chunk in ``inner``.
        blocks: Offsets of the links by chunk ordinal: block ``j`` holds the
            ``j``-th chunk of each chain that has more than ``j`` chunks, and
            the chains of block ``j`` are a prefix of those of block ``j-1``.
        n_rows: Rows in the layout.
    """

    rows: Packed
    inner: Packed
    carry_rows: IntArray
    carry_inner: IntArray
    blocks: list[int]
    n_rows: int


def _pack(
    length: IntArray,
    param: IntArray,
    first: BoolArray,
    last: BoolArray,
    at: tuple[IntArray, IntArray, IntArray],
    width: int,
) -> tuple[Packed, IntArray]:
    """Pack chunks (``length``...) and rows (``at`` = chunk, column, code)."""
    chunk, column, code = at
    order = np.argsort(-length, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    widths = order.size - np.cumsum(np.bincount(length, minlength=width + 1))
    offsets = np.concatenate(([0], np.cumsum(widths[:width])))
    packed = np.empty_like(code)
    packed[offsets[column] + rank[chunk]] = code
    result = Packed(
        widths=[int(w) for w in widths[:width]],
        offsets=[int(o) for o in offsets],
        code=packed,
        correct=(packed & 1).astype(np.float64),
        param=param[order],
        first=first[order],
        last=last[order],
    )
    return result, rank


def build_layout(
    start: IntArray, length: IntArray, param: IntArray, correct: IntArray
) -> Layout:
    """Pack chains: rows ``start[c] : start[c] + length[c]`` of ``correct``.

    Args:
        start: First row of each chain in ``correct``.
        length: Rows of each chain (at least 1).
        param: Parameter-set index of each chain.
        correct: 0/1 per row, chains' rows contiguous and in time order.
    """
    longest = int(length.max()) if length.size else 1
    # Balance the column loop (~50 numpy calls a column) against the carry
    # loop (~12 calls per chunk of the longest chain).
    width = int(min(MAX_WIDTH, max(4, np.ceil(0.6 * np.sqrt(longest)))))
    n_chunks = -(-length // width)
    chunk_start = np.cumsum(n_chunks) - n_chunks
    chain_of_chunk = np.repeat(np.arange(length.size), n_chunks)
    ordinal = np.arange(int(n_chunks.sum())) - chunk_start[chain_of_chunk]
    chunk_length = np.minimum(width, length[chain_of_chunk] - width * ordinal)
    chunk_param = param[chain_of_chunk]
    first = ordinal == 0
    last = ordinal == n_chunks[chain_of_chunk] - 1

    chain_of_row = np.repeat(np.arange(length.size), length)
    step = np.arange(chain_of_row.size) - (np.cumsum(length) - length)[chain_of_row]
    row_chunk = chunk_start[chain_of_row] + step // width
    column = step % width
    code = param[chain_of_row] * 2 + correct[start[chain_of_row] + step]
    rows, rank = _pack(
        chunk_length, chunk_param, first, last, (row_chunk, column, code), width
    )

    multi = n_chunks[chain_of_chunk] > 1
    sub = np.flatnonzero(multi)
    local = np.full(multi.size, -1, dtype=np.int64)
    local[sub] = np.arange(sub.size)
    keep = multi[row_chunk]
    inner, inner_rank = _pack(
        chunk_length[sub],
        chunk_param[sub],
        first[sub],
        last[sub],
        (local[row_chunk[keep]], column[keep], code[keep]),
        width,
    )

    chains = np.flatnonzero(n_chunks > 1)
    chains = chains[np.argsort(-n_chunks[chains], kind="stable")]
    count = n_chunks[chains]
    link_chain = np.repeat(chains, count)
    link_ordinal = np.arange(int(count.sum())) - np.repeat(
        np.cumsum(count) - count, count
    )
    by_ordinal = np.argsort(link_ordinal, kind="stable")
    link_chunk = chunk_start[link_chain[by_ordinal]] + link_ordinal[by_ordinal]
    blocks = np.concatenate(([0], np.cumsum(np.bincount(link_ordinal))))
    return Layout(
        rows=rows,
        inner=inner,
        carry_rows=rank[link_chunk],
        carry_inner=inner_rank[local[link_chunk]],
        blocks=[int(b) for b in blocks],
        n_rows=int(length.sum()),
    )
