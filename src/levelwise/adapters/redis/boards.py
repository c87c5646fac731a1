"""RedisBoardStore: leaderboards as Redis sorted sets.

A board is a sorted set whose score is the negated XP (exact as a double up to
2**53) and whose member is ``reached`` padded to 32 characters followed by the
learner id. Redis orders equal scores by member bytes, so ascending order is:
more XP first, then the earlier time, then the learner id (UTF-8 byte order is
code point order, as in Python and SQL's ``C`` collation). A hash maps each
learner to its current member. Scripts keep every change and the rank and
neighbourhood reads to one round trip each; a writer sends its changes in one
``MULTI``/``EXEC`` pipeline when its block exits.

Keys: ``<prefix>{<tenant>}:b:<board>`` (sorted set), ``...:m:<board>`` (hash)
and ``<prefix>{<tenant>}:boards`` (the set of board names). The tenant is
URL-quoted inside a hash tag, so a cluster keeps a tenant on one slot.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import redis
from redis.commands.core import Script

from levelwise.app.ports import LogSession
from levelwise.app.recognition.ports import BoardReader, BoardWriter, Entry, Standing
from levelwise.errors import StoreError

_PAD = 32
"""Width of ``reached`` in a member (UTC sort keys have 27 characters)."""

_SET = """
for i = 2, #ARGV, 3 do
  local old = redis.call('HGET', KEYS[2], ARGV[i])
  if old then redis.call('ZREM', KEYS[1], old) end
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i + 2])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
end
redis.call('SADD', KEYS[3], ARGV[1])
"""
_REMOVE = """
for i = 2, #ARGV do
  local old = redis.call('HGET', KEYS[2], ARGV[i])
  if old then
    redis.call('ZREM', KEYS[1], old)
    redis.call('HDEL', KEYS[2], ARGV[i])
  end
end
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[3], ARGV[1])
end
"""
_ENTRY = """
local m = redis.call('HGET', KEYS[2], ARGV[1])
if not m then return false end
return {m, redis.call('ZSCORE', KEYS[1], m)}
"""
_RANK = """
local m = redis.call('HGET', KEYS[2], ARGV[1])
if not m then return false end
return redis.call('ZRANK', KEYS[1], m)
"""
_AROUND = """
local m = redis.call('HGET', KEYS[2], ARGV[1])
if not m then return false end
local r = redis.call('ZRANK', KEYS[1], m)
local k = tonumber(ARGV[2])
local start = math.max(0, r - k)
return {start, redis.call('ZRANGE', KEYS[1], start, r + k, 'WITHSCORES')}
"""
# Where a member would rank: add it, read its rank, take it out again (a
# script runs atomically, so nobody sees the probe).
_AHEAD = """
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  return redis.call('ZRANK', KEYS[1], ARGV[2])
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local r = redis.call('ZRANK', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[2])
return r
"""


def _member(entry: Entry) -> str:
    return entry.reached.ljust(_PAD) + entry.member


def _paired(reply: Sequence[Any]) -> bool:
    return bool(reply) and isinstance(reply[0], list | tuple)


def _standings(flat: Sequence[Any], first: int) -> list[Standing]:
    out = []
    for i in range(0, len(flat), 2):
        m, score = str(flat[i]), float(flat[i + 1])
        out.append(Standing(first + i // 2, m[_PAD:], int(-score), m[:_PAD].rstrip()))
    return out


class _Scripts:
    def __init__(self, client: redis.Redis) -> None:
        self.set = client.register_script(_SET)
        self.remove = client.register_script(_REMOVE)
        self.entry = client.register_script(_ENTRY)
        self.rank = client.register_script(_RANK)
        self.around = client.register_script(_AROUND)
        self.ahead = client.register_script(_AHEAD)


class _RedisBoards:
    """One tenant's boards: reads go straight out, writes queue on a pipeline."""

    def __init__(
        self,
        client: redis.Redis,
        scripts: _Scripts,
        base: str,
        pipe: Any = None,
    ) -> None:
        self._r = client
        self._s = scripts
        self._base = base
        self._pipe = pipe

    def _keys(self, board: str) -> list[str]:
        return [f"{self._base}b:{board}", f"{self._base}m:{board}", self._index]

    @property
    def _index(self) -> str:
        return f"{self._base}boards"

    def _run(self, script: Script, board: str, args: list[Any]) -> Any:
        try:
            return script(keys=self._keys(board), args=args, client=self._r)
        except redis.RedisError as exc:
            msg = f"the board store failed ({type(exc).__name__})"
            raise StoreError(msg) from exc

    def rank(self, board: str, member: str) -> int | None:
        found = self._run(self._s.rank, board, [member])
        return None if found is None else int(found) + 1

    def entry(self, board: str, member: str) -> Entry | None:
        found = self._run(self._s.entry, board, [member])
        if found is None:
            return None
        m, score = str(found[0]), float(found[1])
        return Entry(member, int(-score), m[:_PAD].rstrip())

    def ahead(self, board: str, entry: Entry) -> int:
        return int(self._run(self._s.ahead, board, [-entry.xp, _member(entry)]))

    def range(self, board: str, start: int, stop: int) -> list[Standing]:
        start = max(start, 0)
        if stop <= start:
            return []
        key = self._keys(board)[0]
        try:
            # The raw reply (a flat member, score list) skips redis-py's pair
            # callback, which costs as much as the round trip for 100 rows.
            reply = self._r.execute_command(  # type: ignore[no-untyped-call]
                "ZRANGE", key, start, stop - 1, "WITHSCORES"
            )
        except redis.RedisError as exc:
            msg = f"the board store failed ({type(exc).__name__})"
            raise StoreError(msg) from exc
        # RESP2 answers a flat list; RESP3 (member, score) pairs.
        flat = [x for item in reply for x in item] if _paired(reply) else reply
        return _standings(flat, start + 1)

    def around(self, board: str, member: str, k: int) -> list[Standing]:
        found = self._run(self._s.around, board, [member, k])
        if found is None:
            return []
        return _standings(found[1], int(found[0]) + 1)

    def count(self, board: str) -> int:
        try:
            return int(self._r.zcard(self._keys(board)[0]))
        except redis.RedisError as exc:
            msg = f"the board store failed ({type(exc).__name__})"
            raise StoreError(msg) from exc

    def boards(self, prefix: str) -> list[str]:
        try:
            names = self._r.smembers(self._index)
        except redis.RedisError as exc:
            msg = f"the board store failed ({type(exc).__name__})"
            raise StoreError(msg) from exc
        return sorted(str(n) for n in names if str(n).startswith(prefix))

    def set(self, board: str, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        args: list[Any] = [board]
        for e in entries:
            args += [e.member, -e.xp, _member(e)]
        self._s.set(keys=self._keys(board), args=args, client=self._pipe)

    def remove(self, board: str, members: Collection[str]) -> None:
        if members:
            args = [board, *members]
            self._s.remove(keys=self._keys(board), args=args, client=self._pipe)

    def retain(self, member: str, boards: Collection[str], prefix: str) -> None:
        for board in self.boards(prefix):
            if board not in boards:
                self.remove(board, [member])

    def drop(self, board: str) -> None:
        keys = self._keys(board)
        self._pipe.delete(keys[0], keys[1])
        self._pipe.srem(self._index, board)


class RedisBoardStore:
    """Boards in Redis sorted sets, written right after the log commits.

    Redis cannot join the SQL transaction (``joins_log`` is False): the service
    writes boards once the events are stored, and since scores are *set* from
    the log, a write lost to a crash in between is repaired by the learner's
    next event or a replay.

    Args:
        client: A client built with ``decode_responses=True``.
        prefix: Prepended to every key (one per deployment, or per test).
    """

    joins_log = False

    def __init__(self, client: redis.Redis, prefix: str = "levelwise:") -> None:
        """Keep the client and register the scripts (loaded on first use)."""
        self.client = client
        self.prefix = prefix
        self._scripts = _Scripts(client)

    @classmethod
    def from_url(cls, url: str, prefix: str = "levelwise:") -> RedisBoardStore:
        """A store over a new client for ``url`` (``redis://host:6379/0``)."""
        return cls(redis.Redis.from_url(url, decode_responses=True), prefix)

    def _base(self, tenant: str) -> str:
        return f"{self.prefix}{{{quote(tenant, safe='')}}}:"

    @contextmanager
    def reader(self, tenant: str) -> Iterator[BoardReader]:
        """Read ``tenant``'s boards (each call is one round trip)."""
        yield _RedisBoards(self.client, self._scripts, self._base(tenant))

    @contextmanager
    def writer(
        self, tenant: str, session: LogSession | None = None
    ) -> Iterator[BoardWriter]:
        """Queue changes to ``tenant``'s boards; send them as one transaction.

        Reads inside the block see the boards as they were before it.
        ``session`` is not joined (see the class docstring).

        Raises:
            StoreError: Redis failed; none of the block's changes applied.
        """
        del session
        pipe = self.client.pipeline(transaction=True)
        yield _RedisBoards(self.client, self._scripts, self._base(tenant), pipe)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            msg = f"the board store failed ({type(exc).__name__})"
            raise StoreError(msg) from exc
