"""Notifications API: the caller's own messages only, filters, read marks, unread count."""

import pytest

from apps.accounts.models import User
from apps.accounts.tests.factories import user_with_role
from apps.notifications.services import notify

pytestmark = pytest.mark.django_db


def message(user, **kwargs):
    defaults = {"kind": "alarm", "title": "报警", "body": "", "channels": []}
    return notify([user], **{**defaults, **kwargs})[0]


@pytest.fixture
def inbox(officer, manager, plant):
    return {
        "alarm": message(officer, target=plant, link="/gov/alarms/"),
        "warning": message(officer, kind="warning", title="预警", level="warning"),
        "theirs": message(manager, title="别人的消息"),
    }


def test_list_shows_only_the_callers_own_newest_first(api, officer, inbox):
    api.force_authenticate(officer)
    body = api.get("/api/v1/notifications/").json()
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [inbox["warning"].pk, inbox["alarm"].pk]
    alarm = body["results"][1]
    assert alarm["target_type"] == "accounts.organisation"
    assert alarm["target_id"] == str(inbox["alarm"].object_id)
    assert alarm["is_read"] is False and alarm["link"] == "/gov/alarms/"


def test_another_users_notification_is_404(api, officer, inbox):
    api.force_authenticate(officer)
    assert api.get(f"/api/v1/notifications/{inbox['alarm'].pk}/").status_code == 200
    assert api.get(f"/api/v1/notifications/{inbox['theirs'].pk}/").status_code == 404
    assert api.post(f"/api/v1/notifications/{inbox['theirs'].pk}/read").status_code == 404
    inbox["theirs"].refresh_from_db()
    assert inbox["theirs"].read_at is None


def test_ops_see_only_their_own_too(api, inbox):
    api.force_authenticate(user_with_role("ops"))
    assert api.get("/api/v1/notifications/").json()["count"] == 0
    assert api.get(f"/api/v1/notifications/{inbox['alarm'].pk}/").status_code == 404


def test_a_user_without_any_role_reads_their_inbox(api, jinan):
    bare = User.objects.create_user(username="no-role", password="Test-pass-2026", organisation=jinan)
    message(bare)
    api.force_authenticate(bare)
    assert api.get("/api/v1/notifications/").json()["count"] == 1
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 1}


def test_filters_unread_and_kind(api, officer, inbox):
    api.force_authenticate(officer)
    api.post(f"/api/v1/notifications/{inbox['alarm'].pk}/read")
    unread = api.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [r["id"] for r in unread] == [inbox["warning"].pk]
    read = api.get("/api/v1/notifications/?unread=false").json()["results"]
    assert [r["id"] for r in read] == [inbox["alarm"].pk]
    kinds = api.get("/api/v1/notifications/?kind=warning").json()["results"]
    assert [r["id"] for r in kinds] == [inbox["warning"].pk]


@pytest.mark.parametrize("query", ["unread=maybe", "level=critical", "page=0", "page=abc"])
def test_bad_filters_are_400_or_404_never_500(api, officer, inbox, query):
    api.force_authenticate(officer)
    response = api.get(f"/api/v1/notifications/?{query}")
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert response.json()


def test_read_read_all_and_unread_count(api, officer, manager, inbox):
    api.force_authenticate(officer)
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 2}

    response = api.post(f"/api/v1/notifications/{inbox['alarm'].pk}/read")
    assert response.status_code == 200
    assert response.json()["is_read"] is True and response.json()["read_at"]
    assert api.post(f"/api/v1/notifications/{inbox['alarm'].pk}/read/").status_code == 200  # idempotent
    assert api.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}

    assert api.post("/api/v1/notifications/read-all", {"kind": "alarm"}, format="json").json() == {"updated": 0}
    assert api.post("/api/v1/notifications/read-all").json() == {"updated": 1}
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 0}
    # the other user's message is untouched
    api.force_authenticate(manager)
    assert api.get("/api/v1/notifications/unread-count").json() == {"unread": 1}


def test_read_all_rejects_a_bad_kind_with_a_field_message(api, officer, inbox):
    api.force_authenticate(officer)
    response = api.post("/api/v1/notifications/read-all", {"kind": "not a slug!"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_anonymous_callers_are_refused(api, inbox):
    assert api.get("/api/v1/notifications/").status_code in (401, 403)
    assert api.get("/api/v1/notifications/unread-count").status_code in (401, 403)


def test_list_query_count_does_not_grow_with_rows(api, officer, plant, django_assert_max_num_queries):
    for i in range(30):
        message(officer, title=f"消息{i}", target=plant if i % 2 else None)
    api.force_authenticate(officer)
    with django_assert_max_num_queries(2):  # count + page (content types joined)
        response = api.get("/api/v1/notifications/?page_size=50")
    assert len(response.json()["results"]) == 30


def test_schema_documents_the_custom_actions(api, officer):
    api.force_authenticate(officer)
    schema = api.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/notifications/{id}/read",
        "/api/v1/notifications/read-all",
        "/api/v1/notifications/unread-count",
    ):
        assert any(p.rstrip("/") == path for p in schema["paths"]), path
