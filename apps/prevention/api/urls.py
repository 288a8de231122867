from apps.core.api.routers import OptionalSlashRouter

from .views import HiddenDangerViewSet, MyTaskViewSet, TaskPeriodViewSet, TaskResultViewSet

router = OptionalSlashRouter()
router.register("dp/hidden-dangers", HiddenDangerViewSet, basename="hidden-danger")
router.register("dp/task-periods", TaskPeriodViewSet, basename="task-period")
router.register("dp/my-tasks", MyTaskViewSet, basename="my-task")
router.register("dp/task-results", TaskResultViewSet, basename="task-result")

urlpatterns = router.urls
