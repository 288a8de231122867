from apps.core.exceptions import DomainError, InvalidInput, PermissionDeniedError


class InvalidCredentials(InvalidInput):
    default_message = "用户名或密码错误"


class AccountLocked(DomainError):
    status_code = 403
    default_message = "账户已锁定，请稍后再试或联系管理员"


class AccountDisabled(DomainError):
    status_code = 403
    default_message = "账户已停用"


class OutsideJurisdiction(PermissionDeniedError):
    default_message = "该机构不在您的管辖范围内"
