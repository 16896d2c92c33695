"""Calendar sync state and the busy mirror: models only (see ``models``), so the models index
(``syncs/models.py``) can load them without importing the calendar package's code."""
