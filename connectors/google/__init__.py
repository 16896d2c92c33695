"""google connector."""
