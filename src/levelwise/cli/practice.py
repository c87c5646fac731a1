"""``levelwise practice``: talk with the AI speaking partner in the terminal."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from levelwise.cli.options import DbOpt, TenantOpt, escape, fail, open_school, out
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from levelwise.app.engine import Levelwise
    from levelwise.app.practice.service import Finished

app = typer.Typer(
    name="practice", no_args_is_help=True, help="The AI speaking partner."
)

QUIT = frozenset({"/quit", "/exit", "/q"})
FINISH = frozenset({"/finish", "/done"})


class Transcript:
    """A conversation's sender that prints the partner as it streams.

    Args:
        indent: Printed before each partner line.
    """

    def __init__(self, indent: str = "") -> None:
        """Print nothing yet."""
        self.indent = indent
        self.streaming = False

    async def json(self, message: dict[str, Any]) -> None:
        """Print the partner's words as they come, and notices."""
        kind = message["type"]
        if kind == "partner.delta":
            if not self.streaming:
                out().print(f"{self.indent}[bold cyan]partner>[/] ", end="")
                self.streaming = True
            out().print(escape(message["text"]), end="", highlight=False)
        elif kind in ("partner.done", "partner.interrupted"):
            out().print("" if kind == "partner.done" else " [dim](interrupted)[/]")
            self.streaming = False
        elif kind == "notice":
            out().print(f"[yellow]{escape(message['text'])}[/]", highlight=False)

    async def audio(self, pcm: bytes) -> None:
        """Text only: no audio is ever sent to the terminal."""


@app.command("try")
def try_partner(
    learner: Annotated[str, typer.Option(help="The learner who practises.")],
    unit: Annotated[
        str | None,
        typer.Option(help="A practice unit (default: the learner's next one)."),
    ] = None,
    tenant: TenantOpt = None,
    db: DbOpt = None,
) -> None:
    """Talk with the partner as LEARNER: type a line and press Enter.

    ``/finish`` scores the session and records it as the learner's
    ``practice.completed`` (with its receipts); ``/quit`` leaves without
    recording anything.
    """
    engine, school = open_school(db, tenant)
    try:
        opened = engine.practice.start(school, learner, unit)
    except LevelwiseError as exc:
        raise fail(exc, school=school) from exc
    record = opened.record
    brief = dict(record.brief)
    out().print(
        f"[bold]{escape(record.scenario or record.unit)}[/] for {escape(learner)} "
        f"at {escape(brief.get('level', ''))}; weak points: "
        f"{escape(brief.get('weak_points') or 'none yet')}",
        highlight=False,
    )
    out().print("[dim]Type your answer; /finish to score it, /quit to leave.[/]")
    finished = asyncio.run(_talk(engine.practice, school, record.session, input))
    if finished is None:
        out().print("Left without recording the session.")
        return
    report_session(engine, school, finished)


async def _talk(
    practice: Any, school: str, session: str, ask: Callable[[str], str]
) -> Finished | None:
    live = practice.connect(school, session, Transcript(), voice=False)
    await live.begin()
    await live.idle()
    while True:
        try:
            line = await asyncio.to_thread(ask, "you> ")
        except EOFError:
            line = "/finish"
        text = line.strip()
        if not text:
            continue
        if text in QUIT:
            await live.close()
            return None
        if text in FINISH:
            await live.close()
            try:
                done: Finished = practice.finish(school, session)
            except LevelwiseError as exc:
                raise fail(exc, school=school) from exc
            return done
        await live.text(text)
        await live.idle()


def report_session(
    engine: Levelwise, school: str, done: Finished, indent: str = ""
) -> None:
    """Print a finished session's scores, its event's fate and its receipts."""
    from levelwise.cli.options import receipt_line
    from levelwise.domain.practice import PRACTICE_METRICS, metric_text

    record = done.record
    shown = ", ".join(
        metric_text(name, value)
        for name, value in record.metrics
        if name in PRACTICE_METRICS
    )
    out().print(
        f"{indent}session {escape(record.session)}: {escape(shown or 'no metrics')}",
        highlight=False,
    )
    verdict = f"event {record.event_id} {done.event_status}"
    if done.event_reason:
        verdict += f" ({done.event_reason})"
    if done.levels:
        verdict += f", reached {', '.join(done.levels)}"
    out().print(f"{indent}{escape(verdict)}", highlight=False)
    rows = engine.receipts(school, record.learner, limit=50)
    for row in reversed(rows):
        if row.get("event_id") == record.event_id:
            out().print(f"{indent}  {escape(receipt_line(row))}", highlight=False)
