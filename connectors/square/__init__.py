"""square connector."""
