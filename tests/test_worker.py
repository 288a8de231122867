"""A real Celery worker on the real Redis broker runs the project's tasks."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config.celery_app import app

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worker():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "CELERY_TASK_ALWAYS_EAGER": "false"}
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
            "default",
            "-n",
            f"test-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.inspect(timeout=1).ping():
            break
        if proc.poll() is not None:
            pytest.fail(proc.stdout.read().decode())
    yield proc
    app.conf.task_always_eager = eager
    proc.terminate()
    proc.wait(timeout=20)


def test_task_sent_through_the_broker_runs_in_the_worker(worker):
    from apps.core.tasks import ping

    result = ping.delay("anquan")
    assert result.get(timeout=30)["value"] == "anquan"


def test_heartbeat_task_is_scheduled_and_recorded(worker, settings):
    from django.core.cache import cache

    from apps.core.tasks import HEARTBEAT_KEY, heartbeat

    assert settings.CELERY_BEAT_SCHEDULE["core-heartbeat"]["task"] == "core.heartbeat"
    cache.delete(HEARTBEAT_KEY)
    heartbeat.delay()
    for _ in range(100):
        if cache.get(HEARTBEAT_KEY):
            break
        time.sleep(0.1)
    assert cache.get(HEARTBEAT_KEY)
