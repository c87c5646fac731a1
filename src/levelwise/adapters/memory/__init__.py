"""In-memory adapters: the fakes every store port has, for tests and the demo."""
