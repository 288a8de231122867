"""Ops' view of messages and deliveries in the admin, and sending failed deliveries again."""

import pytest

from apps.accounts.models import User
from apps.notifications.models import Delivery
from apps.notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "Test-pass-2026"))
    return client


def test_changelists_filter_by_status_and_channel(admin_client, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        (n,) = notify([officer], kind="alarm", title="报警", body="", channels=["log"])
    assert admin_client.get("/admin/notifications/notification/").status_code == 200
    assert admin_client.get(f"/admin/notifications/notification/{n.pk}/change/").status_code == 200
    page = admin_client.get("/admin/notifications/delivery/?status=sent&channel=log")
    assert page.status_code == 200 and page.context["cl"].result_count == 1
    assert admin_client.get("/admin/notifications/delivery/?status=failed").context["cl"].result_count == 0
    assert admin_client.get("/admin/notifications/delivery/add/").status_code == 403


def test_send_again_gives_failed_deliveries_fresh_tries(
    admin_client, manager, settings, django_capture_on_commit_callbacks
):
    settings.ANQUAN_SMS_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        notify([manager], kind="alarm", title="报警", body="", channels=["sms"])
    delivery = Delivery.objects.get()
    assert delivery.status == "skipped"  # no phone
    manager.phone = "13900000002"
    manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/notifications/delivery/", {"action": "send_again", "_selected_action": [delivery.pk]}
        )
    assert response.status_code == 302
    delivery.refresh_from_db()
    # the SMS gateway is not configured in tests: skipped again, but it was tried afresh
    assert (delivery.status, delivery.attempts) == ("skipped", 1)
    assert "ANQUAN_SMS_URL" in delivery.last_error
