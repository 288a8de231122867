from django.urls import re_path

from apps.core.api.routers import OptionalSlashRouter

from .views import AssessView, HazardCategoryViewSet, HazardSourceViewSet, SubstanceViewSet

router = OptionalSlashRouter()
router.register("hazard-sources", HazardSourceViewSet, basename="hazard-source")
router.register("gb18218/categories", HazardCategoryViewSet, basename="hazard-category")
router.register("gb18218/substances", SubstanceViewSet, basename="substance")
urlpatterns = [
    # Contract §3: stateless, for any authenticated user; before the router so "assess" is no id.
    re_path(r"^hazard-sources/assess/?$", AssessView.as_view(), name="hazard-assess"),
    *router.urls,
]
