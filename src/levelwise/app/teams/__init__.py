"""Team tasks: shared goals of classes and teams, progress, rewards."""
