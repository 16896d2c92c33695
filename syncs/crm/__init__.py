"""CRM sync: the CRM target of the engine (one job: normalise, map, duplicate check, write),
field mapping, shadow mode and merges."""
