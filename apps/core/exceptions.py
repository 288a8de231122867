"""Typed domain errors. Services raise these; core.api.exceptions maps them to HTTP once."""


class DomainError(Exception):
    """Base of every error a service reports to a caller; never a 500."""

    status_code = 400
    default_message = "请求无法处理"

    def __init__(self, message=None, *, field=None, code=None, errors=None):
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
        return cls("；".join(exc.messages), errors=errors)


class PermissionDeniedError(DomainError):
    status_code = 403
    default_message = "无权执行此操作"


class NotFoundError(DomainError):
    status_code = 404
    default_message = "对象不存在"


class ConflictError(DomainError):
    status_code = 409
    default_message = "与现有数据冲突"
