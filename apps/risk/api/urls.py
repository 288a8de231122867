from django.urls import re_path

from apps.core.api.routers import OptionalSlashRouter

from .statistics import RiskDashboardViewSet, RiskMapViewSet, RiskStatisticsViewSet
from .views import (
    EnterpriseRiskViewSet,
    IndicatorRecordViewSet,
    RiskAssessmentViewSet,
    RiskLevelViewSet,
    RiskModelViewSet,
    RiskSourceViewSet,
    StaticAssessmentViewSet,
)
from .warnings import MyWarningViewSet, WarningQualityViewSet, WarningViewSet

router = OptionalSlashRouter()
router.register("risk/levels", RiskLevelViewSet, basename="risk-level")
router.register("risk/enterprises", EnterpriseRiskViewSet, basename="enterprise-risk")
router.register("risk/assessments", RiskAssessmentViewSet, basename="risk-assessment")
router.register("risk/models", RiskModelViewSet, basename="risk-model")
router.register("risk/sources", RiskSourceViewSet, basename="risk-source")
router.register("warnings", WarningViewSet, basename="warning")
router.register("my/warnings", MyWarningViewSet, basename="my-warning")
router.register("quality/warnings-unhandled", WarningQualityViewSet, basename="warning-unhandled")
router.register("stats", RiskStatisticsViewSet, basename="risk-stats")
router.register("gis", RiskMapViewSet, basename="risk-map")
router.register("dashboard", RiskDashboardViewSet, basename="risk-dashboard")

# Routes under an enterprise (the registry's router is the enterprises app's; risk adds its own here).
ENTERPRISE = r"^enterprises/(?P<enterprise_id>[0-9]+)"

urlpatterns = [
    re_path(
        rf"{ENTERPRISE}/risk/?$",
        EnterpriseRiskViewSet.as_view({"get": "enterprise_risk"}),
        name="enterprise-risk-current",
    ),
    re_path(
        rf"{ENTERPRISE}/risk/history/?$", RiskAssessmentViewSet.as_view({"get": "list"}), name="enterprise-risk-history"
    ),
    re_path(
        rf"{ENTERPRISE}/risk/trend/?$",
        RiskStatisticsViewSet.as_view({"get": "enterprise_trend"}),
        name="enterprise-risk-trend",
    ),
    re_path(
        rf"{ENTERPRISE}/static-assessments/?$",
        StaticAssessmentViewSet.as_view({"get": "list", "post": "create"}),
        name="enterprise-static-assessments",
    ),
    re_path(
        rf"{ENTERPRISE}/indicator-records/?$",
        IndicatorRecordViewSet.as_view({"get": "list", "post": "create"}),
        name="enterprise-indicator-records",
    ),
    re_path(r"^my/risk/?$", EnterpriseRiskViewSet.as_view({"get": "my_risk"}), name="my-risk"),
    re_path(
        r"^risk/static-assessment/items/?$", StaticAssessmentViewSet.as_view({"get": "items"}), name="risk-guide-items"
    ),
    re_path(
        r"^risk/indicator-catalogue/?$",
        IndicatorRecordViewSet.as_view({"get": "catalogue"}),
        name="risk-indicator-catalogue",
    ),
    *router.urls,
]
