"""salesforce connector."""
