"""toast connector."""
