"""What a command does end to end: install, uninstall, status, logs, redrive, sync."""
