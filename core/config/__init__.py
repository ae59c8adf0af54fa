"""Settings and their sources: defaults, answers files, environment, credentials."""
