import pytest

from apps.accounts.models import OrganisationKind
from apps.accounts.tests.factories import OrganisationFactory, make_uscc, region, regulator, user_with_role

from .factories import RecordingServer


@pytest.fixture(autouse=True)
def _no_swallowed_commit_errors(caplog):
    """Post-commit steps are robust (their errors are logged, not raised): fail the test on one."""
    yield
    swallowed = [r.getMessage() for r in caplog.get_records("call") if "on_commit()" in r.getMessage()]
    assert not swallowed, swallowed


@pytest.fixture
def http_server():
    with RecordingServer() as server:
        yield server


@pytest.fixture
def jinan():
    return regulator("370100")


@pytest.fixture
def plant():
    """An enterprise's organisation (notifications sit below the enterprise registry: accounts only)."""
    return OrganisationFactory(
        name="历下通知化工有限公司",
        kind=OrganisationKind.ENTERPRISE,
        level="",
        region=region("370102"),
        uscc=make_uscc("370102"),
    )


@pytest.fixture
def officer(jinan):
    """A regulator with a mobile phone."""
    return user_with_role("regulator_staff", jinan, real_name="王监管", phone="13800000001")


@pytest.fixture
def manager(plant):
    """An enterprise safety manager without a phone number."""
    return user_with_role("enterprise_safety_manager", plant, real_name="李安全")
