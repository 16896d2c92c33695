"""Settings that protect production: deploy checks, Celery reliability, migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from celery.app.defaults import DEFAULTS
from celery.utils.collections import DictAttribute
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command

from agency.celery import app

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "agency.settings",
    "DEBUG": "false",
    "SECRET_KEY": "prod-" + "k3y-" * 16,
    "ALLOWED_HOSTS": "switchboard.example.com",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DATABASE_URL": "sqlite:////tmp/switchboard-deploy-check.sqlite3",
}


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "FIELD_ENCRYPTION_KEYS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deploy_check_with_production_values():
    result = _check_deploy(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_catches_debug_and_a_weak_secret():
    """Negative control: the same check fails when production values are missing."""
    result = _check_deploy({**PRODUCTION_ENV, "DEBUG": "true", "SECRET_KEY": "short"})
    assert result.returncode != 0


def test_the_deploy_check_refuses_a_derived_encryption_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "FIELD_ENCRYPTION_KEYS"}
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stdout + result.stderr


def test_celery_is_configured_not_to_lose_work():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert settings.CELERY_MAX_COUNTDOWN < visibility
    assert conf.task_time_limit < visibility


CELERY_DEFAULTS_DECLARED = (
    "task_default_queue",
    "task_send_sent_event",
    "task_repr_maxlevels",
    "broker_pool_acquire_timeout",
)


def test_the_celery_defaults_declared_in_settings_are_celerys_own():
    for name in CELERY_DEFAULTS_DECLARED:
        assert getattr(settings, f"CELERY_{name.upper()}") == DEFAULTS[name], name
        assert app.conf[name] == DEFAULTS[name], name


def test_publishing_a_task_reads_no_celery_setting_that_django_settings_lack(monkeypatch):
    """Each name Django's settings lack costs Celery caught AttributeErrors on every publish."""
    missed: list[str] = []
    original = DictAttribute.__getitem__

    def recording(self: DictAttribute, key: str) -> object:
        try:
            return original(self, key)
        except KeyError:
            missed.append(key)
            raise

    monkeypatch.setattr(DictAttribute, "__getitem__", recording)
    app.send_task("agency.tasks.heartbeat")  # the first publish also sets Celery up
    missed.clear()
    app.send_task("agency.tasks.heartbeat")
    assert missed == []


@pytest.mark.parametrize("limit", ["300", "30", "20", "2"])
def test_a_short_task_time_limit_still_leaves_a_soft_limit_below_it(limit):
    """With the soft limit at "hard - 30", a hard limit of 30 s or less made Celery refuse
    every publish (soft_time_limit must be <= time_limit): no lead would ever sync."""
    code = (
        "from django.conf import settings as s; "
        "print(s.CELERY_TASK_SOFT_TIME_LIMIT, s.CELERY_TASK_TIME_LIMIT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "agency.settings",
            "CELERY_TASK_TIME_LIMIT": limit,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    soft, hard = map(int, result.stdout.split())
    assert 0 < soft < hard or soft == hard == 1, (soft, hard)
    if hard >= 150:
        assert soft == hard - 30


def test_every_scheduled_interval_and_countdown_is_below_the_visibility_timeout():
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        seconds = (
            schedule if isinstance(schedule, int | float) else schedule.run_every.total_seconds()
        )
        assert seconds < visibility, name
    for task in app.tasks.values():
        for attr in ("default_retry_delay", "retry_backoff_max"):
            value = getattr(task, attr, None)
            if isinstance(value, int | float):
                assert value < visibility, f"{task.name}.{attr}"


@pytest.mark.django_db
def test_migrations_are_complete():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_health_is_up(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_checks_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readiness_reports_a_dead_broker(client, settings):
    from unittest import mock

    with mock.patch.object(app, "connection_for_write", side_effect=OSError("down")):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
