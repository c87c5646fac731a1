"""The pure domain: events, program, state and the fold."""
