"""Placement: adaptive diagnostic sessions that place a new learner."""
