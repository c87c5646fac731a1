"""Offline speech back ends: pocketsphinx, espeak-ng and WebRTC's voice detector.

Each module implements one port of :mod:`levelwise.app.practice.ports` and
imports its library itself, so importing this package loads none of them:
``sphinx`` (speech to text), ``espeak`` (text to speech, through the Debian
binary) and ``webrtc`` (voice activity).
"""
