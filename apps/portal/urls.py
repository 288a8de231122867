from django.contrib.auth import views as auth_views
from django.urls import path

from . import registry_views as registry
from . import views, views_imports, views_monitoring

app_name = "portal"
urlpatterns = [
    path("", views.PortalHomeView.as_view(), name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("gov/", views.GovHomeView.as_view(), name="gov-home"),
    path("gov/enterprises/", views.EnterpriseListView.as_view(), name="gov-enterprises"),
    path("gov/enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="gov-enterprise"),
    path("gov/stats/", registry.GovStatsView.as_view(), name="gov-stats"),
    path("gov/hazard-sources/", registry.GovHazardSourceListView.as_view(), name="gov-hazard-sources"),
    path("gov/alarms/", views_monitoring.GovAlarmListView.as_view(), name="gov-alarms"),
    path("gov/alarms/<int:pk>/", views_monitoring.GovAlarmDetailView.as_view(), name="gov-alarm"),
    path("gov/points/<int:pk>/history/", views_monitoring.GovPointHistoryView.as_view(), name="gov-point-history"),
    path(
        "gov/maintenance-windows/",
        views_monitoring.GovMaintenanceWindowView.as_view(),
        name="gov-maintenance-windows",
    ),
    path(
        "gov/monitoring/statistics/",
        views_monitoring.GovMonitoringStatisticsView.as_view(),
        name="gov-monitoring-statistics",
    ),
    path("gov/monitoring/quality/", views_monitoring.GovDataQualityView.as_view(), name="gov-monitoring-quality"),
    path("ent/", views.EntHomeView.as_view(), name="ent-home"),
    path("ent/profile/", registry.EntProfileView.as_view(), name="ent-profile"),
    path("ent/facilities/", registry.EntFacilityListView.as_view(), name="ent-facilities"),
    path("ent/facilities/new/", registry.EntFacilityFormView.as_view(), name="ent-facility-create"),
    path("ent/facilities/<int:pk>/", registry.EntFacilityFormView.as_view(), name="ent-facility-edit"),
    path("ent/facilities/<int:pk>/status/", registry.EntFacilityStatusView.as_view(), name="ent-facility-status"),
    path("ent/hazard-sources/", registry.EntHazardSourceListView.as_view(), name="ent-hazard-sources"),
    path("ent/hazard-sources/new/", registry.EntHazardSourceFormView.as_view(), name="ent-hazard-source-create"),
    path("ent/hazard-sources/<int:pk>/", registry.EntHazardSourceFormView.as_view(), name="ent-hazard-source-edit"),
    path("ent/points/", registry.EntPointListView.as_view(), name="ent-points"),
    path("ent/points/new/", registry.EntPointFormView.as_view(), name="ent-point-create"),
    path("ent/points/<int:pk>/", registry.EntPointFormView.as_view(), name="ent-point-edit"),
    path("ent/cameras/", registry.EntCameraListView.as_view(), name="ent-cameras"),
    path("ent/cameras/new/", registry.EntCameraFormView.as_view(), name="ent-camera-create"),
    path("ent/cameras/<int:pk>/", registry.EntCameraFormView.as_view(), name="ent-camera-edit"),
    path("ent/gateways/", registry.EntGatewayView.as_view(), name="ent-gateways"),
    path("ent/monitoring/", views_monitoring.EntMonitoringBoardView.as_view(), name="ent-monitoring"),
    path("ent/alarms/", views_monitoring.EntAlarmListView.as_view(), name="ent-alarms"),
    path("ent/alarms/<int:pk>/", views_monitoring.EntAlarmDetailView.as_view(), name="ent-alarm"),
    path("ent/points/<int:pk>/history/", views_monitoring.EntPointHistoryView.as_view(), name="ent-point-history"),
    path(
        "ent/maintenance-windows/",
        views_monitoring.EntMaintenanceWindowView.as_view(),
        name="ent-maintenance-windows",
    ),
    path("users/", views.UserListView.as_view(), name="users"),
    path("users/new/", views.UserCreateView.as_view(), name="user-create"),
    path("users/<int:pk>/", views.UserEditView.as_view(), name="user-edit"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("imports/", views_imports.ImportListView.as_view(), name="imports"),
    path("imports/<int:pk>/", views_imports.ImportJobView.as_view(), name="import-job"),
]
