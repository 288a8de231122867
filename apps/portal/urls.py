from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.PortalHomeView.as_view(), name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("gov/", views.GovHomeView.as_view(), name="gov-home"),
    path("gov/enterprises/", views.EnterpriseListView.as_view(), name="gov-enterprises"),
    path("gov/enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="gov-enterprise"),
    path("ent/", views.EntHomeView.as_view(), name="ent-home"),
    path("users/", views.UserListView.as_view(), name="users"),
    path("users/new/", views.UserCreateView.as_view(), name="user-create"),
    path("users/<int:pk>/", views.UserEditView.as_view(), name="user-edit"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password-change"),
]
