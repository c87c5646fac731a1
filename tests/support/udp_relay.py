"""A UDP relay on loopback that delays and drops datagrams, for call-quality tests.

Kernel traffic shaping (``tc netem``) is not available where the tests run, so
the media path of a browser call is bent through this relay instead. Each
peer is told that the other one lives at one of the relay's ports:

* peer A sends to ``port_ab``; the relay forwards to B *from* ``port_ba``;
* peer B sends to ``port_ba``; the relay forwards to A *from* ``port_ab``.

So each peer only ever talks with one address, which is what ICE's
connectivity checks want (a response must come from where the request went),
and STUN checks take the same path as media: the candidate pair's round-trip
time is twice the injected one-way delay. Datagrams from any other address
than the expected peer are dropped (a browser also probes from its other
interfaces), and the relay only ever sends to the two peers' loopback
addresses.

Every datagram of a direction is delayed by ``delay_ms`` plus a uniform
``[-jitter_ms, +jitter_ms]`` and dropped with probability ``loss``; each
direction draws from its own generator seeded from ``seed``, so the n-th
datagram of a direction meets the same fate on every run.

The relay runs an asyncio loop in a process of its own (this file run as a
script), driven by JSON lines on its standard input and output: in the test's
process it would share the interpreter lock with the test (and Playwright),
and wait for it whenever the machine is busy. It asks for a
real-time priority where allowed (root, as in CI): it stands for the network,
which does not slow down when the machine is busy.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import select
import subprocess
import sys
from dataclasses import astuple, dataclass, field
from typing import IO, Any, Literal

Address = tuple[str, int]
Direction = Literal["ab", "ba"]
LOOPBACK = "127.0.0.1"
LATE_MS = 20.0
"""A datagram sent this much after its due time is counted late."""
TIMEOUT_S = 10.0
"""How long the test waits for the relay's process to answer."""


@dataclass
class Counters:
    """What one direction of the relay did.

    Attributes:
        received: Datagrams received from the expected peer.
        forwarded: Datagrams sent on to the other peer.
        dropped: Datagrams dropped on purpose (the injected loss).
        stray: Datagrams from an unexpected address, or before the route was
            known (not forwarded, not counted as loss).
        late_ms: The longest a datagram was sent after its due time since
            the start or :meth:`Relay.clear_late`: how busy the machine kept
            the relay (the condition held to within this).
        late: Datagrams sent more than :data:`LATE_MS` after their due time
            (since the same moment).
    """

    received: int = 0
    forwarded: int = 0
    dropped: int = 0
    stray: int = 0
    late_ms: float = 0.0
    late: int = 0


class Relay:
    """A two-way UDP relay on loopback with delay, jitter and seeded loss.

    Args:
        delay_ms: One-way delay added to every datagram, both directions.
        jitter_ms: Half-width of the uniform spread around ``delay_ms``.
        loss: Share of datagrams dropped, in ``[0, 1)``.
        seed: Seeds the loss and jitter draws (one generator per direction).

    Raises:
        ValueError: A negative delay or jitter, or a loss outside ``[0, 1)``.

    Synchronous code (a Playwright test) drives it: :meth:`start` (or ``with``),
    then :meth:`route` once the peers' real ports are known, then :meth:`stop`.
    The parameters may be changed while it runs (:meth:`shape`).
    """

    def __init__(
        self, delay_ms: float, jitter_ms: float = 0.0, loss: float = 0.0, seed: int = 0
    ) -> None:
        _check(delay_ms, jitter_ms, loss)
        self.delay_ms, self.jitter_ms, self.loss = delay_ms, jitter_ms, loss
        self.seed = seed
        self._process: subprocess.Popen[bytes] | None = None
        self._ports: tuple[int, int] | None = None

    @property
    def port_ab(self) -> int:
        """The port peer A sends to (what A is told is B's address)."""
        return self._started()[0]

    @property
    def port_ba(self) -> int:
        """The port peer B sends to (what B is told is A's address)."""
        return self._started()[1]

    def start(self) -> Relay:
        """Start the relay's process, bound on loopback; returns self.

        Raises:
            RuntimeError: It is already running, or did not answer in time.
        """
        if self._process is not None:
            raise RuntimeError("the relay is already running")
        settings = json.dumps([self.delay_ms, self.jitter_ms, self.loss, self.seed])
        self._process = subprocess.Popen(
            [sys.executable, __file__, settings],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        ports = self._ask("ports")
        self._ports = (int(ports[0]), int(ports[1]))
        return self

    def route(self, a: Address, b: Address) -> None:
        """Tell the relay where the peers really are (both on loopback).

        Args:
            a: Peer A's own address (its ICE host candidate).
            b: Peer B's own address.

        Raises:
            ValueError: If an address is not on loopback.
        """
        for host, _ in (a, b):
            if host != LOOPBACK:
                raise ValueError(f"the relay only talks to {LOOPBACK}, not {host}")
        self._ask("route", a, b)

    def shape(self, delay_ms: float, jitter_ms: float = 0.0, loss: float = 0.0) -> None:
        """Change the delay, jitter and loss (for datagrams received after).

        Raises:
            ValueError: As the constructor.
        """
        _check(delay_ms, jitter_ms, loss)
        self.delay_ms, self.jitter_ms, self.loss = delay_ms, jitter_ms, loss
        self._ask("shape", delay_ms, jitter_ms, loss)

    def counters(self, direction: Direction) -> Counters:
        """One direction's counters so far (``ab``: from A to B)."""
        return Counters(*self._ask("counters", direction))

    def clear_late(self) -> None:
        """Start measuring lateness afresh (say, once the call has settled)."""
        self._ask("clear_late")

    def stop(self) -> None:
        """Stop relaying (datagrams in flight are lost) and end the process."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            _say(process, "stop")
        finally:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
            try:
                process.wait(TIMEOUT_S)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck relay
                process.kill()
                process.wait(TIMEOUT_S)

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _started(self) -> tuple[int, int]:
        if self._ports is None:
            raise RuntimeError("the relay is not started")
        return self._ports

    def _ask(self, *message: Any) -> Any:
        if self._process is None:
            raise RuntimeError("the relay is not started")
        return _say(self._process, *message)


def _say(process: subprocess.Popen[bytes], *message: Any) -> Any:
    """Send one command to the relay's process and return its answer."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps(message).encode() + b"\n")
    process.stdin.flush()
    ready, _, _ = select.select([process.stdout], [], [], TIMEOUT_S)
    line = process.stdout.readline() if ready else b""
    if not line:
        raise RuntimeError(f"the relay did not answer {message[0]!r}")
    ok, answer = json.loads(line)
    if not ok:
        raise RuntimeError(f"the relay failed: {answer}")
    return answer


def _check(delay_ms: float, jitter_ms: float, loss: float) -> None:
    if delay_ms < 0 or jitter_ms < 0 or not 0 <= loss < 1:
        raise ValueError("delay and jitter must be >= 0 and loss in [0, 1)")


@dataclass
class _Leg:
    """One direction in the relay's process: its socket, route and dice."""

    rng: random.Random
    source: Address | None = None
    destination: Address | None = None
    transport: asyncio.DatagramTransport | None = None
    counters: Counters = field(default_factory=Counters)


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, shaper: _Shaper, direction: Direction) -> None:
        self.shaper = shaper
        self.direction = direction

    def datagram_received(self, data: bytes, addr: tuple[str | Any, ...]) -> None:
        self.shaper.received(self.direction, data, (str(addr[0]), int(addr[1])))


class _Shaper:
    """The relay itself, in its own process: receive, draw, delay, send."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, settings: tuple[float, float, float, int]
    ) -> None:
        self.loop = loop
        self.delay_ms, self.jitter_ms, self.loss, seed = settings
        self.legs: dict[Direction, _Leg] = {
            "ab": _Leg(random.Random(f"{seed}:ab")),
            "ba": _Leg(random.Random(f"{seed}:ba")),
        }

    def received(self, direction: Direction, data: bytes, sender: Address) -> None:
        leg = self.legs[direction]
        if leg.destination is None or sender != leg.source:
            leg.counters.stray += 1
            return
        leg.counters.received += 1
        # Draw both numbers for every datagram, so the n-th datagram's fate
        # does not depend on the fate of the ones before it.
        lost = leg.rng.random() < self.loss
        spread = leg.rng.uniform(-1.0, 1.0) * self.jitter_ms
        if lost:
            leg.counters.dropped += 1
            return
        due = self.loop.time() + max(0.0, self.delay_ms + spread) / 1000
        other = self.legs["ba" if direction == "ab" else "ab"]
        self.loop.call_at(due, self.send, leg, other, data, due)

    def send(self, leg: _Leg, other: _Leg, data: bytes, due: float) -> None:
        if other.transport is None or other.transport.is_closing():
            return
        assert leg.destination is not None
        other.transport.sendto(data, leg.destination)
        leg.counters.forwarded += 1
        late = (self.loop.time() - due) * 1000
        leg.counters.late_ms = max(leg.counters.late_ms, late)
        leg.counters.late += late > LATE_MS

    def answer(self, message: tuple[Any, ...]) -> Any:
        """Carry out one command from the test's process."""
        verb, *args = message
        if verb == "ports":
            return [self.port("ab"), self.port("ba")]
        if verb == "route":
            a, b = ((str(host), int(port)) for host, port in args)
            # A's datagrams arrive on the "ab" socket and go to B; B's on "ba".
            self.legs["ab"].source, self.legs["ab"].destination = a, b
            self.legs["ba"].source, self.legs["ba"].destination = b, a
            return None
        if verb == "shape":
            self.delay_ms, self.jitter_ms, self.loss = args
            return None
        if verb == "counters":
            return astuple(self.legs[args[0]].counters)
        if verb == "clear_late":
            for leg in self.legs.values():
                leg.counters.late_ms, leg.counters.late = 0.0, 0
            return None
        if verb == "stop":
            self.loop.stop()
            return None
        raise ValueError(f"unknown command {verb!r}")

    def port(self, direction: Direction) -> int:
        transport = self.legs[direction].transport
        assert transport is not None
        port: int = transport.get_extra_info("sockname")[1]
        return port


def serve(commands: IO[bytes], answers: IO[bytes], settings: list[Any]) -> None:
    """The relay's process: bind both sockets, then relay until told to stop.

    Args:
        commands: JSON lines, each a command ``[verb, *args]``.
        answers: One JSON line ``[ok, answer]`` per command.
        settings: ``[delay_ms, jitter_ms, loss, seed]``.
    """
    _hurry()
    loop = asyncio.new_event_loop()
    delay_ms, jitter_ms, loss, seed = settings
    shaper = _Shaper(loop, (float(delay_ms), float(jitter_ms), float(loss), int(seed)))
    directions: tuple[Direction, ...] = ("ab", "ba")
    for direction in directions:
        transport, _ = loop.run_until_complete(
            loop.create_datagram_endpoint(
                lambda d=direction: _Endpoint(shaper, d),  # type: ignore[misc]
                local_addr=(LOOPBACK, 0),
            )
        )
        shaper.legs[direction].transport = transport

    def command() -> None:
        line = commands.readline()
        if not line:  # the test's process went away
            loop.stop()
            return
        try:
            reply = [True, shaper.answer(tuple(json.loads(line)))]
        except Exception as exc:  # reported to the test, which raises
            reply = [False, repr(exc)]
        answers.write(json.dumps(reply).encode() + b"\n")
        answers.flush()

    loop.add_reader(commands.fileno(), command)
    loop.run_forever()
    loop.remove_reader(commands.fileno())
    for leg in shaper.legs.values():
        if leg.transport is not None:
            leg.transport.close()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()


def _hurry() -> None:
    """Ask for a real-time priority, else a raised one, where allowed."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (OSError, AttributeError):
        try:
            os.setpriority(os.PRIO_PROCESS, 0, -10)
        except OSError:
            pass


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer, json.loads(sys.argv[1]))
