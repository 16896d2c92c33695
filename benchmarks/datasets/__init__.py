"""Data the benchmarks and tests score the product on: the project's own synthetic generators,
public labelled sets made CRM-shaped, and the scoring of a detector against labels. Never
imported by the product."""
