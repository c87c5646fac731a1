"""xAPI: a conformant Learning Record Store and statements mapped to learning events."""
