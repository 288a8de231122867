from apps.core.api.routers import OptionalSlashRouter

from .views import ImportJobViewSet

router = OptionalSlashRouter()
router.register("imports", ImportJobViewSet, basename="import-job")
urlpatterns = router.urls
