"""Rollback by source tag: preview, then undo step by step, and what it means for the
events it undid."""
