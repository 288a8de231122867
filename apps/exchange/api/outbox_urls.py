"""Routes of the exchange outbox's ops face (under /api/v1/)."""

from django.urls import re_path

from .outbox import DeadLettersView, LaneRetryView, LanesView, RequeueView

urlpatterns = [
    re_path(r"^exchange/outbox/lanes/?$", LanesView.as_view(), name="exchange-outbox-lanes"),
    re_path(r"^exchange/outbox/lanes/(?P<pk>[0-9]+)/retry/?$", LaneRetryView.as_view(), name="exchange-outbox-retry"),
    re_path(r"^exchange/outbox/dead-letters/?$", DeadLettersView.as_view(), name="exchange-outbox-dead-letters"),
    re_path(
        r"^exchange/outbox/dead-letters/requeue/?$", RequeueView.as_view(), name="exchange-outbox-dead-letters-requeue"
    ),
]
