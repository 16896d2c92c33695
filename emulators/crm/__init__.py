"""CRM emulators (HubSpot, Salesforce, Zoho CRM v8, Pipedrive): the vendor's side of the wire.

Each vendor module speaks its vendor's paths, payloads and error bodies; records are stored per
account (the account behind the bearer token), so one client's CRM never sees another's.
Connector code never imports this package.
"""
