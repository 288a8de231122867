from django.utils.translation import gettext_lazy as _

from apps.core.exceptions import DomainError, InvalidInput, PermissionDeniedError


class InvalidCredentials(InvalidInput):
    default_message = _("Wrong username or password")


class AccountLocked(DomainError):
    status_code = 403
    default_message = _("Account is locked; try again later or contact an administrator")


class AccountDisabled(DomainError):
    status_code = 403
    default_message = _("Account is disabled")


class OutsideJurisdiction(PermissionDeniedError):
    default_message = _("This organisation is outside your jurisdiction")
