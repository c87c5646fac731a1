"""Operator metrics: ports, facts, views, statistics, report, CSV, experiments."""
