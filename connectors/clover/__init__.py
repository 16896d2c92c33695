"""clover connector."""
