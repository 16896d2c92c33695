"""caldav connector."""
