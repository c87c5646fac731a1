"""Adapters: concrete storage behind the app's ports."""
