"""Simulation: learners under study policies, forecast scoring, the demo school."""
