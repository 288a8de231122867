"""Writes on an enterprise's own records (facilities, points, cameras, hazard sources, …).

Reads are scoped by ``for_user``; a write additionally needs the role's model permission and the
enterprise within the actor's scope for changes. Every service of the apps that hang records from an
enterprise calls this one check.
"""

from django.utils.translation import gettext as _

from apps.core.api.permissions import perm_name
from apps.core.exceptions import NotFoundError, PermissionDeniedError

from .models import Enterprise


def require_enterprise_write(actor, enterprise: Enterprise, model, action: str = "add") -> None:
    if actor is None:  # shell, data loading and system tasks
        return
    if not Enterprise.objects.for_user(actor).filter(pk=enterprise.pk).exists():
        raise NotFoundError(_("Enterprise not found."), field="enterprise")
    if not actor.has_perm(perm_name(model, action)):
        raise PermissionDeniedError()
