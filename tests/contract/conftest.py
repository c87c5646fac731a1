"""The EventLog behaviour suite uses the store fixtures of ``tests/conftest.py``."""
