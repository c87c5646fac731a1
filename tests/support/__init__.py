"""Helpers the tests share: builders, worlds, servers and store fixtures."""
