"""HTTP adapters: outgoing webhook deliveries."""
