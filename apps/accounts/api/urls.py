from django.urls import path

from apps.core.api.routers import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("users", views.UserViewSet, basename="user")
router.register("roles", views.RoleViewSet, basename="role")
router.register("audit/auth-events", views.AuthEventViewSet, basename="auth-event")
router.register("audit/changes", views.ChangeLogViewSet, basename="change-log")

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="auth-token"),
    path("auth/logout", views.TokenRevokeView.as_view(), name="auth-logout"),
    path("me", views.MeView.as_view(), name="me"),
    path("me/password", views.PasswordChangeView.as_view(), name="me-password"),
    path("user-types", views.UserTypesView.as_view(), name="user-types"),
    *router.urls,
]
