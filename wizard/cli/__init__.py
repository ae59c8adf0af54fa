"""The console: the only place that parses arguments or prints."""
