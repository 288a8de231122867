"""Routes of the online patrol, spot checks and supervision assignments."""


from apps.core.api.routers import OptionalSlashRouter

from .patrol import MySupervisedRisksViewSet, PatrolViewSet, SpotCheckViewSet, SupervisionAssignmentViewSet

router = OptionalSlashRouter()
router.register("spot-checks", SpotCheckViewSet, basename="spot-check")
router.register("risk/supervision-assignments", SupervisionAssignmentViewSet, basename="supervision-assignment")
router.register("my/supervised-risks", MySupervisedRisksViewSet, basename="my-supervised-risk")
router.register(r"patrol/(?P<industry>[a-z_]+)", PatrolViewSet, basename="patrol")

urlpatterns = [*router.urls]
