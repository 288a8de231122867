"""Who changed what: the audit trail's actor and address for every request, portal or API."""

from auditlog.middleware import AuditlogMiddleware
from django.utils.functional import SimpleLazyObject

from .http import client_ip


class AuditContextMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with two corrections.

    - The actor is resolved when a change is logged, not when the request arrives: API clients
      authenticate with tokens inside DRF, after middleware has run.
    - The address comes from ``core.http.client_ip``, which trusts X-Forwarded-For only behind
      configured proxies (auditlog's own reading lets any client forge it).
    """

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_actor(request):
        def actor():
            user = getattr(request, "user", None)
            return user if user is not None and user.is_authenticated else None

        return SimpleLazyObject(actor)
