"""Websocket routes: one JSON consumer; clients subscribe to permission-checked topics."""

from django.urls import path

from apps.core.consumers import LiveConsumer

websocket_urlpatterns = [path("ws/live/", LiveConsumer.as_asgi())]
