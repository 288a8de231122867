from apps.core.api.routers import OptionalSlashRouter

from .views import FacilityKindViewSet, FacilityViewSet

router = OptionalSlashRouter()
router.register("facility-kinds", FacilityKindViewSet, basename="facility-kind")
router.register("facilities", FacilityViewSet, basename="facility")
urlpatterns = router.urls
