"""Routes of the exchange quality: punctuality, rejections, the error queue, the overview and the
received-data summary (``/api/v1/exchange/...``; the table routes only match table names)."""

from django.urls import re_path

from .quality import (
    ErrorQueueView,
    PunctualityView,
    QualityOverviewView,
    ReceivedSummaryView,
    RejectionListView,
    RejectionSummaryView,
)

urlpatterns = [
    re_path(r"^exchange/punctuality/?$", PunctualityView.as_view(), name="exchange-punctuality"),
    re_path(r"^exchange/rejections/summary/?$", RejectionSummaryView.as_view(), name="exchange-rejection-summary"),
    re_path(r"^exchange/rejections/?$", RejectionListView.as_view(), name="exchange-rejections"),
    re_path(r"^exchange/errors/?$", ErrorQueueView.as_view(), name="exchange-errors"),
    re_path(r"^exchange/quality/?$", QualityOverviewView.as_view(), name="exchange-quality"),
    re_path(r"^exchange/received/?$", ReceivedSummaryView.as_view(), name="exchange-received"),
]
