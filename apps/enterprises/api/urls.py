from rest_framework.routers import DefaultRouter

from .views import AnnotationViewSet, EnterpriseViewSet, ShutdownViewSet

router = DefaultRouter(trailing_slash="/?")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("shutdowns", ShutdownViewSet, basename="shutdown")
router.register("annotations", AnnotationViewSet, basename="annotation")
urlpatterns = router.urls
