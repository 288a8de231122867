"""``Authorization: Token <token>`` of an exchange client (contract.md §4). A token that is not an
exchange client's is left to the people's token authentication that follows."""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from .models import ExchangeClient
from .services import client_for_token


class ExchangeClientAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != self.keyword.lower().encode():
            return None
        try:
            raw = header[1].decode()
        except UnicodeError:
            return None
        client = client_for_token(raw)
        if client is None:
            return None
        if not client.is_active:
            raise exceptions.PermissionDenied(_("This exchange client is disabled."))
        return AnonymousUser(), client

    def authenticate_header(self, request):
        return self.keyword


class IsExchangeClient(permissions.BasePermission):
    """Uploads come from exchange clients only; a person's token is told so (403)."""

    message = _("Only exchange clients may upload records.")

    def has_permission(self, request, view):
        if isinstance(request.auth, ExchangeClient):
            return True
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        return False


class ExchangeClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.exchange.authentication.ExchangeClientAuthentication"
    name = "exchangeClientToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>` printed by `manage.py create_exchange_client`",
        }
