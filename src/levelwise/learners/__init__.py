"""Numeric learner models (knowledge tracing) with fit/predict, numpy only."""
