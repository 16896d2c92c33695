"""The append-only audit log, and the monthly audit built from it."""
