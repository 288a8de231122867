"""Routes of the online patrol, spot checks and supervision assignments."""

from apps.core.api.routers import OptionalSlashRouter

from .incidents import IncidentViewSet
from .patrol import MySupervisedRisksViewSet, PatrolViewSet, SpotCheckViewSet, SupervisionAssignmentViewSet
from .policies import WarningPolicyViewSet

router = OptionalSlashRouter()
router.register("risk/incidents", IncidentViewSet, basename="incident")
router.register("risk/warning-policies", WarningPolicyViewSet, basename="warning-policy")
router.register("spot-checks", SpotCheckViewSet, basename="spot-check")
router.register("risk/supervision-assignments", SupervisionAssignmentViewSet, basename="supervision-assignment")
router.register("my/supervised-risks", MySupervisedRisksViewSet, basename="my-supervised-risk")
router.register(r"patrol/(?P<industry>[a-z_]+)", PatrolViewSet, basename="patrol")

urlpatterns = [*router.urls]
