"""Typed domain errors. Services raise these; core.api.exceptions maps them to HTTP once."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext


class DomainError(Exception):
    """Base of every error a service reports to a caller; never a 500."""

    status_code = 400
    default_message = _("The request could not be processed")

    def __init__(self, message=None, *, field=None, code=None, errors=None):
        # str() translates a lazy message now, in the language of the current request.
        self.message = str(message or self.default_message)
        self.field = field
        self.code = code or self.__class__.__name__
        self.errors = errors  # {field: [messages]} when several fields are wrong at once
        super().__init__(self.message)

    def as_dict(self):
        if self.errors:
            return self.errors
        if self.field:
            return {self.field: [self.message]}
        return {"detail": self.message}


class InvalidInput(DomainError):
    status_code = 400

    @classmethod
    def from_validation_error(cls, exc):
        """Field-level errors from a Django ``ValidationError`` (e.g. from ``full_clean``)."""
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return cls(pgettext("separator between messages", "; ").join(exc.messages), errors=errors)


class PermissionDeniedError(DomainError):
    status_code = 403
    default_message = _("You are not permitted to perform this action")


class NotFoundError(DomainError):
    status_code = 404
    default_message = _("Object not found")


class ConflictError(DomainError):
    status_code = 409
    default_message = _("Conflicts with existing data")
