"""Routes of the coal regional risk (RSK-19..21, GIS-16)."""

from django.urls import re_path

from .regions import RegionIndicatorRecordViewSet, RegionRiskViewSet

urlpatterns = [
    re_path(r"^coal/region-risk/?$", RegionRiskViewSet.as_view({"get": "report"}), name="coal-region-risk"),
    re_path(
        r"^coal/region-risk/indicator-tree/?$",
        RegionRiskViewSet.as_view({"get": "indicator_tree"}),
        name="coal-region-risk-indicator-tree",
    ),
    re_path(r"^gis/coal/region-risk/?$", RegionRiskViewSet.as_view({"get": "layer"}), name="coal-region-risk-layer"),
    re_path(
        r"^coal/region-indicators/?$",
        RegionIndicatorRecordViewSet.as_view({"get": "list", "post": "create"}),
        name="coal-region-indicators",
    ),
    re_path(
        r"^coal/region-indicators/catalogue/?$",
        RegionIndicatorRecordViewSet.as_view({"get": "catalogue"}),
        name="coal-region-indicator-catalogue",
    ),
]
