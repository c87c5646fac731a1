"""Recognition: leaderboards, leagues and group PK."""
