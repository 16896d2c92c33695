"""zoho connector."""
