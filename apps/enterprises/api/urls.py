from apps.core.api.routers import OptionalSlashRouter

from .views import AnnotationViewSet, EnterpriseViewSet, ShutdownViewSet

router = OptionalSlashRouter()
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("shutdowns", ShutdownViewSet, basename="shutdown")
router.register("annotations", AnnotationViewSet, basename="annotation")
urlpatterns = router.urls
