"""The scripted partner: plays the program's dialogue scenario, no model needed.

A scenario is a small graph of partner lines. Each learner turn is matched
against the current line's branches by keywords (whole words, case-folded,
inflections by a plain suffix rule); the first branch that matches moves the
dialogue to its line, else the line's default ``next`` (or the same line, asked
again in other words). It streams its line word by word, like a model, so the
session treats both alike; a barge-in cancels it the same way.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Protocol

from levelwise.app.practice.ports import ChatMessage
from levelwise.domain.practice import forms

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
REPHRASE = "Sorry, let's keep to our conversation. "
"""Said before a line the learner did not answer (no branch matched)."""


class BranchLike(Protocol):
    """A branch of a scenario line: keywords and the line they lead to."""

    @property
    def keywords(self) -> Sequence[str]:
        """Words any of which selects the branch."""
        ...

    @property
    def next(self) -> str:
        """The id of the line the branch leads to."""
        ...


class LineLike(Protocol):
    """A partner line of a scenario."""

    @property
    def id(self) -> str:
        """The line's id."""
        ...

    @property
    def say(self) -> str:
        """What the partner says."""
        ...

    @property
    def branches(self) -> Sequence[BranchLike]:
        """Where the learner's answer may lead."""
        ...

    @property
    def next(self) -> str | None:
        """Where the dialogue goes when no branch matches (None: stay)."""
        ...

    @property
    def end(self) -> bool:
        """Whether the conversation may end after this line."""
        ...


class ScenarioLike(Protocol):
    """A dialogue scenario as the program declares it."""

    @property
    def start(self) -> str:
        """The first line's id."""
        ...

    @property
    def lines(self) -> Sequence[LineLike]:
        """Every line."""
        ...


def words_of(text: str) -> list[str]:
    """The lower-case words of ``text``."""
    return _WORD.findall(text.lower())


class ScriptedPartner:
    """A :class:`~levelwise.app.practice.ports.LanguageModel` that plays a scenario.

    Args:
        scenario: The scenario to play; None plays a generic one-line
            conversation that asks the learner to say more.
        delay: Seconds between streamed words (0: as fast as possible).
    """

    name = "scripted"

    def __init__(self, scenario: ScenarioLike | None, delay: float = 0.0) -> None:
        """Start before the first line."""
        self.scenario = scenario
        self.delay = delay
        self._lines: Mapping[str, LineLike] = (
            {line.id: line for line in scenario.lines} if scenario else {}
        )
        self.current: str | None = None
        self.ended = False

    def opening(self) -> str:
        """The partner's first line (and the script now stands on it)."""
        if self.scenario is None:
            return "Hello! Tell me about your day."
        self.current = self.scenario.start
        line = self._lines[self.current]
        self.ended = line.end
        return line.say

    def answer(self, learner_text: str) -> str:
        """The next line for what the learner said (and move the script there)."""
        if self.scenario is None:
            return "I see. Can you tell me more?"
        if self.current is None:
            return self.opening()
        line = self._lines[self.current]
        said: set[str] = set()
        for word in words_of(learner_text):
            said |= forms(word)
        for branch in line.branches:
            if any(said & forms(k.lower()) for k in branch.keywords):
                return self._move(branch.next)
        if line.next is not None:
            return self._move(line.next)
        return REPHRASE + line.say

    def _move(self, target: str) -> str:
        self.current = target
        line = self._lines[target]
        self.ended = line.end
        return line.say

    async def stream(
        self, messages: Sequence[ChatMessage]
    ) -> AsyncGenerator[str, None]:
        """Stream the next line word by word (the opening when no learner spoke)."""
        said = [m.content for m in messages if m.role == "user"]
        text = self.answer(said[-1]) if said else self.opening()
        parts = re.findall(r"\S+\s*", text)
        for part in parts:
            if self.delay:
                await asyncio.sleep(self.delay)
            yield part
