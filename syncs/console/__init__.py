"""The sync console's shared pages, forms, routes and chart geometry.

Each domain's own pages live beside the domain (``syncs.crm``, ``syncs.dedupe``, ...)."""
