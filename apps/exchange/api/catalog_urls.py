"""Routes of the exchange catalogue, subscriptions, partners and code lists (under /api/v1/)."""

from django.urls import re_path

from .catalog import (
    CatalogDatasetView,
    CatalogView,
    PartnerListView,
    SpecialWorkTypesView,
    SubscriptionDetailView,
    SubscriptionListView,
    VideoAlarmTypesView,
)

urlpatterns = [
    re_path(r"^exchange/catalog/?$", CatalogView.as_view(), name="exchange-catalog"),
    re_path(r"^exchange/catalog/(?P<dataset>[\w-]+)/?$", CatalogDatasetView.as_view(), name="exchange-catalog-dataset"),
    re_path(r"^exchange/subscriptions/?$", SubscriptionListView.as_view(), name="exchange-subscriptions"),
    re_path(
        r"^exchange/subscriptions/(?P<pk>[0-9]+)/?$", SubscriptionDetailView.as_view(), name="exchange-subscription"
    ),
    re_path(r"^exchange/partners/?$", PartnerListView.as_view(), name="exchange-partners"),
    re_path(r"^codes/special-work-types/?$", SpecialWorkTypesView.as_view(), name="codes-special-work-types"),
    re_path(r"^codes/video-alarm-types/?$", VideoAlarmTypesView.as_view(), name="codes-video-alarm-types"),
]
