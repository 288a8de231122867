"""Routes of the situation warnings and the regional risk index (RSK-31..35)."""

from apps.core.api.routers import OptionalSlashRouter

from .situation import RiskIndexViewSet, SituationViewSet

router = OptionalSlashRouter()
router.include_root_view = False
router.register("situation", SituationViewSet, basename="situation")
router.register("risk-index", RiskIndexViewSet, basename="risk-index")

urlpatterns = [*router.urls]
