"""Run the whole product in one terminal: web server, Celery worker and Celery beat.

The embedded default needs no other server: SQLite, and a Celery broker on the local
filesystem. Each part is a real process; Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Start web (runserver or gunicorn), a Celery worker and Celery beat; stop all on exit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--no-beat", action="store_true")

    def handle(self, *args: Any, port: int, no_beat: bool, **options: Any) -> None:
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "agency"]
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [
                *celery,
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--pool",
                "prefork",
                "--hostname",
                "worker@%h",
            ],
        }
        if not no_beat:
            commands["beat"] = [*celery, "beat", "--loglevel", "INFO"]
        procs = {
            name: subprocess.Popen(cmd, env=os.environ.copy()) for name, cmd in commands.items()
        }
        self.stdout.write(f"Started {', '.join(procs)}; serving on http://127.0.0.1:{port}/\n")
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping.\n")
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
