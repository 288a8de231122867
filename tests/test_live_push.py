"""The live-push websocket on the real Redis channel layer: authentication, scoped topics, events."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from apps.accounts.tests.factories import regulator, user_with_role
from apps.core.consumers import LiveConsumer
from apps.enterprises import services
from apps.enterprises.tests.factories import enterprise

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


async def _connect(user):
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


def test_anonymous_connection_is_refused():
    async def run():
        communicator, connected, code = await _connect(AnonymousUser())
        assert not connected and code == 4401

    async_to_sync(run)()


def test_subscriber_in_scope_receives_committed_change_and_outsider_is_refused():
    ent = enterprise("370102")
    other = enterprise("370211")
    staff = user_with_role("regulator_staff", regulator("370100"))
    admin = user_with_role("enterprise_admin", ent.organisation)

    async def run():
        communicator, connected, _ = await _connect(staff)
        assert connected
        await communicator.send_json_to({"action": "subscribe", "topic": "enterprise", "key": str(ent.pk)})
        assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
        await communicator.send_json_to({"action": "subscribe", "topic": "enterprise", "key": str(other.pk)})
        refused = await communicator.receive_json_from(timeout=5)
        assert refused == {"type": "error", "error": "forbidden", "topic": "enterprise", "key": str(other.pk)}
        await communicator.send_json_to({"action": "subscribe", "topic": "no-such-topic", "key": "1"})
        assert (await communicator.receive_json_from(timeout=5))["error"] == "forbidden"
        await database_sync_to_async(services.update_enterprise)(admin, ent, address="新地址 9 号")
        event = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return event

    event = async_to_sync(run)()
    assert event["type"] == "event" and event["topic"] == "enterprise"
    assert event["event"] == {"kind": "enterprise.updated", "id": ent.pk}


def test_api_token_authenticates_the_websocket_through_the_real_asgi_stack():
    """The mobile app: a token on the upgrade request, through config.asgi's middleware."""
    from config.asgi import application

    ent = enterprise("370102")
    user = user_with_role("enterprise_admin", ent.organisation)
    from apps.accounts.services import issue_token

    _, raw = issue_token(user)

    async def run():
        ok = WebsocketCommunicator(
            application,
            "/ws/live/",
            headers=[
                (b"authorization", f"Token {raw}".encode()),
                (b"host", b"localhost"),
                (b"origin", b"http://localhost"),
            ],
        )
        connected, _ = await ok.connect(timeout=5)
        assert connected
        await ok.send_json_to({"action": "subscribe", "topic": "enterprise", "key": str(ent.pk)})
        assert (await ok.receive_json_from(timeout=5))["type"] == "subscribed"
        await ok.disconnect()
        by_query = WebsocketCommunicator(
            application, f"/ws/live/?token={raw}", headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")]
        )
        assert (await by_query.connect(timeout=5))[0]
        await by_query.disconnect()
        bad = WebsocketCommunicator(
            application, "/ws/live/?token=forged", headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")]
        )
        connected, code = await bad.connect(timeout=5)
        assert not connected and code == 4401

    async_to_sync(run)()


def test_regulator_receives_alarms_of_its_region_and_not_of_others():
    import datetime as dt

    from apps.facilities.models import Facility, FacilityKind
    from apps.monitoring.models import MeasurementKind, MonitoringPoint
    from apps.monitoring.tests.factories import feed

    ent = enterprise("370102")
    facility = Facility.objects.create(
        enterprise=ent, kind=FacilityKind.objects.get(code="tank_farm"), code="TF", name="罐区"
    )
    point = MonitoringPoint.objects.create(
        enterprise=ent,
        facility=facility,
        code="TI-L",
        name="温度",
        kind=MeasurementKind.objects.get(code="temperature"),
        high=80,
    )
    jinan = user_with_role("regulator_staff", regulator("370100"))
    t0 = dt.datetime.now(dt.UTC)

    async def run():
        communicator, connected, _ = await _connect(jinan)
        assert connected
        await communicator.send_json_to({"action": "subscribe", "topic": "region", "key": "370100"})
        assert (await communicator.receive_json_from(timeout=5))["type"] == "subscribed"
        await communicator.send_json_to({"action": "subscribe", "topic": "region", "key": "370200"})
        assert (await communicator.receive_json_from(timeout=5))["error"] == "forbidden"
        await database_sync_to_async(feed)(point, [85.0], t0)
        event = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return event

    event = async_to_sync(run)()
    assert event["topic"] == "region" and event["key"] == "370100"
    assert event["event"]["kind"] == "alarms"
    (raised,) = event["event"]["events"]
    assert raised["kind"] == "alarm.raised" and raised["point"] == point.pk
    assert raised["level"] == "high" and raised["value"] == 85.0
