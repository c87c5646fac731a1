"""Voice activity with WebRTC's detector (``webrtcvad``, its model in the wheel)."""

from __future__ import annotations

import threading

import webrtcvad  # type: ignore[import-untyped]

from levelwise.app.practice.ports import FRAME_BYTES, FRAME_MS, SAMPLE_RATE
from levelwise.errors import SpeechError


class WebRtcVoiceActivity:
    """Tells speech from silence in 30 ms frames of 16 kHz mono s16le PCM.

    The detector keeps a little state from frame to frame (it smooths its
    decisions), so use one instance per audio stream, i.e. per session. Calls
    are serialised by a lock, so sharing one between threads is safe, only
    less accurate.

    Args:
        aggressiveness: 0 (keeps the most frames as speech) to 3 (drops the
            most non-speech); WebRTC's own scale.

    Raises:
        ValueError: ``aggressiveness`` is not 0, 1, 2 or 3.
    """

    name = "webrtc"

    def __init__(self, aggressiveness: int = 2) -> None:
        """Make the detector at that aggressiveness."""
        if aggressiveness not in (0, 1, 2, 3):
            msg = f"aggressiveness must be 0, 1, 2 or 3, not {aggressiveness!r}"
            raise ValueError(msg)
        self.aggressiveness = aggressiveness
        self._vad = webrtcvad.Vad(aggressiveness)
        self._lock = threading.Lock()

    def is_speech(self, frame: bytes) -> bool:
        """Whether one frame holds speech.

        Args:
            frame: Exactly :data:`~levelwise.app.practice.ports.FRAME_BYTES`
                bytes (30 ms of 16 kHz mono s16le).

        Returns:
            True when the detector hears speech in it.

        Raises:
            SpeechError: The frame has another size.
        """
        if len(frame) != FRAME_BYTES:
            msg = (
                f"a voice-activity frame is {FRAME_BYTES} bytes ({FRAME_MS} ms "
                f"of {SAMPLE_RATE} Hz mono 16-bit PCM), not {len(frame)}"
            )
            raise SpeechError(msg)
        with self._lock:
            return bool(self._vad.is_speech(bytes(frame), SAMPLE_RATE))
