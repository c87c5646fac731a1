"""Redis adapters: leaderboards as sorted sets."""
