"""The production deployment files say what operators rely on (no Docker engine runs here)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def test_the_image_runs_gunicorn_as_a_non_root_user():
    text = (DOCKER / "Dockerfile").read_text()
    assert "\nUSER switchboard" in text
    assert "gunicorn agency.wsgi:application" in text


def test_compose_runs_web_worker_beat_postgres_and_redis():
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    assert "noeviction" in services["redis"]["command"]
    assert "celery -A agency worker" in services["worker"]["command"]


def test_the_image_copies_every_package_it_installs_but_the_emulators():
    """``pip install .`` in the image finds the packages ``pyproject.toml`` includes: each must
    be copied in first (the emulators are never installed in production)."""
    text = (DOCKER / "Dockerfile").read_text()
    pyproject = tomllib.loads((DOCKER.parent / "pyproject.toml").read_text())
    included = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in included} - {"emulators"}
    assert {p for p in packages if f"\nCOPY {p} ./{p}\n" not in text} == set()
