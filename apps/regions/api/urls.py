from apps.core.api.routers import OptionalSlashRouter

from .views import RegionViewSet

router = OptionalSlashRouter()
router.register("regions", RegionViewSet, basename="region")
urlpatterns = router.urls
