"""The AI speaking partner: practice sessions, their back ends and their scoring."""
