"""Action permissions: Django model permissions from roles, or a guardian grant on the object."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

ACTION_BY_METHOD = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def action_for(request, view=None) -> str:
    """The permission verb of a request; a viewset may map its custom actions in ``scope_actions``."""
    custom = getattr(view, "scope_actions", {}).get(getattr(view, "action", None))
    return custom or ACTION_BY_METHOD.get(request.method, "view")


def perm_name(model, action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


class RolePermissions(BasePermission):
    """Model permission required for lists and creation; for one object a guardian grant suffices."""

    message = _("Your role does not permit this action")

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        model = view.get_queryset().model
        perm = perm_name(model, action_for(request, view))
        if request.user.has_perm(perm):
            return True
        # Object-level grants are checked once the object is known (detail routes only).
        return bool(view.kwargs.get(getattr(view, "lookup_url_kwarg", None) or view.lookup_field))

    def has_object_permission(self, request, view, obj):
        perm = perm_name(type(obj), action_for(request, view))
        return request.user.has_perm(perm) or request.user.has_perm(perm, obj)
