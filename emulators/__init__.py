"""Local emulators of the vendors' OAuth and API subsets (tests and the demo run).

Connector code never imports this package: it reaches the emulators only because
``VENDOR_BASE_URL`` rewrites every vendor URL to ``{VENDOR_BASE_URL}/{slug}/...``.
"""
