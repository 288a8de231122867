from django.urls import path

from .views import PortalMenuView

urlpatterns = [path("portal/menu", PortalMenuView.as_view(), name="portal-menu")]
