"""lightspeed connector."""
