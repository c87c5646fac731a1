"""Guidance: plans, requirements, the study model, forecasts, next best activity."""
