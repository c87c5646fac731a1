"""Text to speech with the espeak-ng binary (Debian's ``espeak-ng``) in a subprocess.

espeak-ng writes a WAV file (22 050 Hz mono 16-bit for its own voices) to
standard output; it is read with :mod:`wave` and resampled to the 16 kHz of
every stream here with a polyphase filter (22 050 → 16 000 is 320/441). The
text goes in on standard input (``--stdin``), never on the command line, so a
learner's or a model's text can never be taken as an option, and espeak-ng's
markup (``-m``) stays off, so it is read, not interpreted.
"""

from __future__ import annotations

import io
import subprocess
import wave
from math import gcd

import numpy as np
from scipy.signal import resample_poly

from levelwise.app.practice.ports import SAMPLE_RATE, SAMPLE_WIDTH
from levelwise.errors import SpeechError

_STDERR_SHOWN = 300
"""Characters of espeak-ng's error output kept in a SpeechError."""


class EspeakTextToSpeech:
    """Speaks text as 16 kHz mono s16le PCM with espeak-ng.

    Each call runs its own process and shares nothing, so one instance can
    serve any number of threads and sessions.

    Args:
        voice: An espeak-ng voice (``espeak-ng --voices`` lists them), with an
            optional variant (``en-us+klatt``).
        words_per_minute: Speaking rate (espeak-ng's ``-s``; 80 to 450).
        timeout: Seconds one text may take before it is given up.
        executable: The espeak-ng program, found on ``PATH`` by name.
    """

    name = "espeak-ng"

    def __init__(
        self,
        voice: str = "en-us",
        words_per_minute: int = 150,
        *,
        timeout: float = 10.0,
        executable: str = "espeak-ng",
    ) -> None:
        """Keep the settings; nothing runs until the first text."""
        self.voice = voice
        self.words_per_minute = words_per_minute
        self.timeout = timeout
        self.executable = executable

    def synthesize(self, text: str) -> bytes:
        """Speak ``text`` as 16 kHz mono s16le PCM.

        Args:
            text: What to say; blank text gives no audio.

        Returns:
            The PCM bytes, with espeak-ng's own short silences at the edges.

        Raises:
            SpeechError: espeak-ng is missing, failed, timed out or wrote
                audio that is not 16-bit mono WAV.
        """
        if not text.strip():
            return b""
        command = [
            self.executable,
            "--stdout",
            "--stdin",
            "-b",
            "1",  # the input is UTF-8
            "-v",
            self.voice,
            "-s",
            str(self.words_per_minute),
        ]
        try:
            done = subprocess.run(  # noqa: S603 - fixed arguments, text on stdin
                command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            msg = f"{self.executable} is not installed (Debian package espeak-ng)"
            raise SpeechError(msg) from exc
        except subprocess.TimeoutExpired as exc:
            msg = f"espeak-ng took more than {self.timeout:g} s to speak the text"
            raise SpeechError(msg) from exc
        except OSError as exc:
            msg = f"espeak-ng could not be started: {exc}"
            raise SpeechError(msg) from exc
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip()[:_STDERR_SHOWN]
            msg = f"espeak-ng failed (exit {done.returncode}): {said or 'no message'}"
            raise SpeechError(msg)
        return _pcm16k(done.stdout)


def _pcm16k(wav_bytes: bytes) -> bytes:
    """The 16 kHz s16le PCM of a mono 16-bit WAV file of any rate."""
    try:
        with wave.open(io.BytesIO(wav_bytes)) as wav:
            channels = wav.getnchannels()
            width = wav.getsampwidth()
            rate = wav.getframerate()
            # espeak-ng streams its WAV with an unknown length in the header;
            # readframes stops at the real end of the data.
            data = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        msg = f"espeak-ng wrote no readable WAV audio: {exc}"
        raise SpeechError(msg) from exc
    if channels != 1 or width != SAMPLE_WIDTH:
        msg = (
            f"espeak-ng wrote {channels}-channel {8 * width}-bit audio, not mono 16-bit"
        )
        raise SpeechError(msg)
    samples = np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2")
    if rate != SAMPLE_RATE and samples.size:
        common = gcd(SAMPLE_RATE, rate)
        resampled = resample_poly(
            samples.astype(np.float64), SAMPLE_RATE // common, rate // common
        )
        samples = np.clip(np.rint(resampled), -32768, 32767).astype("<i2")
    return samples.astype("<i2").tobytes()
