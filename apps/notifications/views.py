"""Portal inbox (消息中心): the user's notifications, read marks and link-through."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView

from apps.core.exceptions import NotFoundError

from . import services
from .models import Notification


class InboxView(LoginRequiredMixin, ListView):
    """Every signed-in user has an inbox; it lists only their own messages (``for_user``)."""

    template_name = "notifications/inbox.html"
    context_object_name = "notifications"
    paginate_by = 25

    def get_queryset(self):
        queryset = Notification.objects.for_user(self.request.user).order_by("-created_at", "-id")
        return queryset.unread() if self.unread_only else queryset

    @property
    def unread_only(self) -> bool:
        return self.request.GET.get("unread") in ("1", "true")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            unread_only=self.unread_only,
            unread_total=services.unread_count(self.request.user),
            **kwargs,
        )


class MarkReadView(LoginRequiredMixin, View):
    """POST: mark one message read, then open its link (``open=1``) or go back to the inbox."""

    def post(self, request, pk):
        try:
            notification = services.mark_read(request.user, pk)
        except NotFoundError:
            raise Http404 from None
        link = notification.link
        if request.POST.get("open") and link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
            return redirect(link)
        return _back(request)


class MarkAllReadView(LoginRequiredMixin, View):
    def post(self, request):
        services.mark_all_read(request.user)
        return _back(request)


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:inbox")
