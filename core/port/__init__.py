"""Port: the API client, the resources we ship, their setup, the mapping engine."""
