"""hubspot connector."""
