from rest_framework.routers import DefaultRouter

from .views import EnterpriseViewSet

router = DefaultRouter(trailing_slash="/?")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
urlpatterns = router.urls
