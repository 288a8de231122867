from django.urls import include, path, re_path

from .. import specs
from .views import ExchangeDatasetView, ExchangeFileView, ExchangeRecordView

# Only the known tables match, so the exchange's other routes (catalogue, punctuality…) never
# collide with a dataset name.
DATASETS = "|".join(sorted(specs.all_specs(), key=len, reverse=True))

urlpatterns = [
    path("", include("apps.exchange.api.outbox_urls")),
    path("", include("apps.exchange.api.quality_urls")),
    path("", include("apps.exchange.api.catalog_urls")),
    path("exchange/records/<int:record_id>/files/<str:digest>", ExchangeFileView.as_view(), name="exchange-file"),
    re_path(rf"^exchange/(?P<dataset>{DATASETS})/?$", ExchangeDatasetView.as_view(), name="exchange-dataset"),
    re_path(
        rf"^exchange/(?P<dataset>{DATASETS})/(?P<key>[^/]+)/?$", ExchangeRecordView.as_view(), name="exchange-record"
    ),
]
