"""The Django project: settings, root URLs, Celery app, health endpoints."""

from agency.celery import app as celery_app

__all__ = ("celery_app",)
