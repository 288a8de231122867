"""create_gateway (contract §5): prints the secret once; a clear message and exit code 1 on failure."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from apps.enterprises.tests.factories import enterprise
from apps.monitoring.models import Gateway
from apps.monitoring.services import gateway_secret

pytestmark = pytest.mark.django_db

UNKNOWN_USCC = "91370102MA00000000"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("create_gateway", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_given_enterprise_when_creating_gateway_then_secret_printed_once():
    ent = enterprise("370102")

    out, err = run("--enterprise", ent.organisation.uscc, "--gateway-id", "cmd-gw-01", "--name", "一号网关")

    lines = dict(line.split(": ", 1) for line in out.strip().splitlines())
    gateway = Gateway.objects.get(gateway_id="cmd-gw-01")
    assert lines["gateway_id"] == "cmd-gw-01"
    assert gateway_secret(gateway) == lines["secret"]
    assert gateway.enterprise == ent and gateway.name == "一号网关"
    assert lines["secret"] not in err


def test_given_lower_case_uscc_when_creating_gateway_then_enterprise_found():
    ent = enterprise("370102")
    out, _ = run("--enterprise", ent.organisation.uscc.lower(), "--gateway-id", "cmd-gw-02")
    assert Gateway.objects.get(gateway_id="cmd-gw-02").enterprise == ent
    assert "secret: " in out


def test_given_unknown_uscc_when_creating_gateway_then_command_error():
    with pytest.raises(CommandError, match=UNKNOWN_USCC):
        run("--enterprise", UNKNOWN_USCC, "--gateway-id", "cmd-gw-03")
    assert not Gateway.objects.exists()


def test_given_taken_gateway_id_when_creating_gateway_then_command_error():
    ent = enterprise("370102")
    run("--enterprise", ent.organisation.uscc, "--gateway-id", "cmd-gw-04")

    with pytest.raises(CommandError, match="cmd-gw-04"):
        run("--enterprise", ent.organisation.uscc, "--gateway-id", "cmd-gw-04")
    assert Gateway.objects.filter(gateway_id="cmd-gw-04").count() == 1


@pytest.mark.parametrize("gateway_id", ["ab", "a/b", "网关一"])
def test_given_invalid_gateway_id_when_creating_gateway_then_command_error(gateway_id):
    ent = enterprise("370102")
    with pytest.raises(CommandError):
        run("--enterprise", ent.organisation.uscc, "--gateway-id", gateway_id)
    assert not Gateway.objects.exists()


def database_url():
    """The test database this process uses, for a child process (the settings read DATABASE_URL)."""
    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgis://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_given_unknown_uscc_when_running_manage_py_then_exit_code_1_and_message_on_stderr():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": database_url()}

    result = subprocess.run(
        [sys.executable, "manage.py", "create_gateway", "--enterprise", UNKNOWN_USCC, "--gateway-id", "cmd-gw-05"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stderr
    assert UNKNOWN_USCC in result.stderr
    assert "secret" not in result.stdout
