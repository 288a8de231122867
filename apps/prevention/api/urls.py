from apps.core.api.routers import OptionalSlashRouter

from .views import HiddenDangerViewSet

router = OptionalSlashRouter()
router.register("dp/hidden-dangers", HiddenDangerViewSet, basename="hidden-danger")

urlpatterns = router.urls
