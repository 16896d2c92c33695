"""shopify connector."""
