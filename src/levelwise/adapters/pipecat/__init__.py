"""Pipecat integration (the ``levelwise[pipecat]`` extra): a frame processor.

A school's own Pipecat pipeline imports :class:`LevelwiseProcessor` to give
its LLM the learner's partner instructions and to record each conversation
in Levelwise; nothing in Levelwise itself imports this package.
"""

from levelwise.adapters.pipecat.processor import (
    LevelwiseProcessor,
    WordReader,
    timed_words,
)

__all__ = ["LevelwiseProcessor", "WordReader", "timed_words"]
