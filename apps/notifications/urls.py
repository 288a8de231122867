from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("read-all/", views.MarkAllReadView.as_view(), name="read-all"),
    path("<int:pk>/read/", views.MarkReadView.as_view(), name="read"),
]
