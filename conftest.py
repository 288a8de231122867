"""Shared pytest fixtures: reference data in the test database and an API client."""

import pytest

from apps.core.reference import load_all


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_all()


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests (run last by pytest-django) flush every table: reload reference data."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if not transactional and not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    from apps.regions.models import Region

    request.getfixturevalue("transactional_db")
    if not Region.objects.exists():
        load_all()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (a Redis database of its own, see config/settings/test.py)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    return APIClient()
