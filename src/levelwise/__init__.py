"""Levelwise."""
