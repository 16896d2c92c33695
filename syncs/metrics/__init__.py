"""Sync metrics: latency, error and intervention rates, their series over time, and
per-client health."""
