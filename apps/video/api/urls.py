from apps.core.api.routers import OptionalSlashRouter

from .views import CameraViewSet

router = OptionalSlashRouter()
router.register("cameras", CameraViewSet, basename="camera")
urlpatterns = router.urls
