"""Portal inbox and the navbar bell."""

import pytest
from django.urls import reverse

from apps.notifications.models import Notification
from apps.notifications.services import notify

pytestmark = pytest.mark.django_db


def message(user, **kwargs):
    defaults = {"kind": "alarm", "title": "报警", "body": "", "channels": []}
    return notify([user], **{**defaults, **kwargs})[0]


def test_the_bell_shows_the_unread_count_on_portal_pages(client, officer):
    client.force_login(officer)
    page = client.get("/?stay=1").content.decode()
    assert 'id="notification-bell"' in page and "bi-bell" in page
    assert 'id="notification-count"' not in page

    message(officer)
    message(officer)
    page = client.get("/?stay=1").content.decode()
    assert 'id="notification-count">2<' in page


def test_anonymous_visitors_have_no_bell_and_no_inbox(client):
    assert 'id="notification-bell"' not in client.get("/").content.decode()
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_inbox_lists_own_messages_with_unread_highlighted(client, officer, manager):
    read = message(officer, title="已读的消息")
    unread = message(officer, title="未读的消息", body="第一行\n第二行", level="danger")
    message(manager, title="别人的消息")
    Notification.objects.filter(pk=read.pk).update(read_at=unread.created_at)
    client.force_login(officer)

    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "未读的消息" in page and "已读的消息" in page and "别人的消息" not in page
    assert f'list-group-item-primary" data-id="{unread.pk}" data-read="0"' in page
    assert f'data-id="{read.pk}" data-read="1"' in page

    unread_only = client.get(reverse("notifications:inbox") + "?unread=1").content.decode()
    assert "未读的消息" in unread_only and "已读的消息" not in unread_only


def test_inbox_is_paginated(client, officer):
    for i in range(30):
        message(officer, title=f"消息{i:02d}")
    client.force_login(officer)
    first = client.get(reverse("notifications:inbox"))
    assert first.context["page_obj"].paginator.num_pages == 2
    assert len(first.context["notifications"]) == 25
    assert 'href="?page=2"' in first.content.decode()
    assert client.get(reverse("notifications:inbox") + "?page=2").status_code == 200


def test_opening_a_message_marks_it_read_and_follows_its_link(client, officer, manager):
    mine = message(officer, link="/gov/alarms/")
    theirs = message(manager)
    client.force_login(officer)

    response = client.post(reverse("notifications:read", args=[mine.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/gov/alarms/"
    mine.refresh_from_db()
    assert mine.read_at is not None

    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_and_read_all_go_back_but_never_off_site(client, officer):
    first = message(officer)
    message(officer)
    client.force_login(officer)
    inbox = reverse("notifications:inbox")
    response = client.post(reverse("notifications:read", args=[first.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == inbox
    response = client.post(reverse("notifications:read-all"), {"next": inbox + "?page=1"})
    assert response["Location"] == inbox + "?page=1"
    assert not Notification.objects.filter(recipient=officer, read_at__isnull=True).exists()
    assert client.get(reverse("notifications:read-all")).status_code == 405
