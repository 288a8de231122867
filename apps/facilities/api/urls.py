from rest_framework.routers import DefaultRouter

from .views import FacilityKindViewSet, FacilityViewSet

router = DefaultRouter(trailing_slash="/?")
router.register("facility-kinds", FacilityKindViewSet, basename="facility-kind")
router.register("facilities", FacilityViewSet, basename="facility")
urlpatterns = router.urls
