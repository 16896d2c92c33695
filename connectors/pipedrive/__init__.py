"""pipedrive connector."""
