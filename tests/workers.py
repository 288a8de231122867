"""Real Celery worker processes for integration tests, pointed at the test database."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from config.celery_app import app

ROOT = Path(__file__).resolve().parent.parent


def start_worker(name: str) -> subprocess.Popen:
    """A solo-pool worker on the real Redis broker, using the test database; returns once it answers."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    # The worker must use the test database, not the one DATABASE_URL names for development.
    url = f"postgis://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": url,
        "ANQUAN_TEST_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    hostname = f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "-P",
            "solo",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
        ]
        + ["-n", hostname, "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stdout.read().decode())
        replies = app.control.inspect(timeout=1).ping() or {}
        if any(key.startswith(hostname.split("@")[0]) for key in replies):
            return proc
    proc.kill()
    raise RuntimeError("the worker did not answer within 60 s")


def stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def through_the_broker():
    """Send tasks to the broker instead of running them in-process. The Django-namespaced key wins
    over the plain one in Celery's settings, so both are set."""
    eager = app.conf.task_always_eager
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=False, task_always_eager=False)
    try:
        yield
    finally:
        app.conf.update(CELERY_TASK_ALWAYS_EAGER=eager, task_always_eager=eager)
