"""outlook connector."""
