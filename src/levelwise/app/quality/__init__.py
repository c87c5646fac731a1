"""Live-class call quality: statistics in, graded classes, alerts and credits out."""
