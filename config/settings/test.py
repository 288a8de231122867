"""Settings for pytest: the real PostGIS, Redis and Celery broker, isolated by key prefixes."""

import os

from .base import *  # noqa: F403
from .base import CHANNEL_LAYERS, REST_FRAMEWORK, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; production keeps PBKDF2
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("TEST_CACHE_URL", default="redis://127.0.0.1:6379/5"),
        "KEY_PREFIX": "anquan-test",
    }
}
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "anquan-test"
# Unit tests run tasks inline; the integration suite under tests/ starts a real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
# A queue of this test run's own: a worker of another run (or of `make run`) on the same Redis must not
# take its tasks. Worker processes started by the tests are given the name (tests/workers.py).
CELERY_TASK_DEFAULT_QUEUE = env("ANQUAN_TEST_QUEUE", default=f"test-{os.getpid()}")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "10000/min"}}

# Tests open one connection per thread and close it themselves; no pool.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
