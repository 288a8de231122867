"""The verbs of organisations and access: authenticate, issue tokens, manage users and roles.

Every function here is callable from a view, a task, the shell or a test; each records the
authentication event (ACC-16) that its change implies.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from apps.core.exceptions import InvalidInput, PermissionDeniedError
from apps.core.http import client_ip, user_agent

from .exceptions import AccountDisabled, AccountLocked, InvalidCredentials, OutsideJurisdiction
from .models import ApiToken, AuthEvent, AuthEventKind, Organisation, OrganisationKind, Role, User


def record_event(kind, *, user=None, username="", actor=None, request=None, channel="", **detail) -> AuthEvent:
    return AuthEvent.objects.create(
        kind=kind,
        user=user,
        username=username or (user.username if user else ""),
        organisation_id=user.organisation_id if user else None,
        actor=actor if actor is not None and actor.is_authenticated else None,
        ip=client_ip(request),
        user_agent=user_agent(request),
        channel=channel,
        detail=detail,
    )


# ---------------------------------------------------------------- authentication


def authenticate_user(username: str, password: str, *, request=None, channel="api") -> User:
    """Check a password login, applying lock-out; raises a typed error the caller maps to HTTP."""
    username = (username or "").strip()
    user = User.objects.select_related("organisation__region").filter(username=username).first()
    if user is None:
        User().set_password(password or "")  # same work as a real check: no timing oracle on names
        record_event(
            AuthEventKind.LOGIN_FAILED, username=username[:150], request=request, channel=channel, reason="unknown user"
        )
        raise InvalidCredentials()
    if user.is_locked:
        record_event(AuthEventKind.LOGIN_FAILED, user=user, request=request, channel=channel, reason="locked")
        raise AccountLocked()
    if not user.check_password(password or ""):
        _register_failure(user, request=request, channel=channel)
        raise InvalidCredentials()
    if not user.is_active:
        record_event(AuthEventKind.LOGIN_FAILED, user=user, request=request, channel=channel, reason="disabled")
        raise AccountDisabled()
    if user.failed_login_count:
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        user.failed_login_count, user.locked_until = 0, None
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    record_event(AuthEventKind.LOGIN, user=user, request=request, channel=channel)
    return user


def _register_failure(user: User, *, request, channel) -> None:
    User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
    user.refresh_from_db(fields=["failed_login_count"])
    record_event(
        AuthEventKind.LOGIN_FAILED,
        user=user,
        request=request,
        channel=channel,
        reason="bad password",
        failures=user.failed_login_count,
    )
    if user.failed_login_count >= settings.ANQUAN_LOGIN_MAX_FAILURES:
        until = timezone.now() + timedelta(minutes=settings.ANQUAN_LOGIN_LOCK_MINUTES)
        User.objects.filter(pk=user.pk).update(locked_until=until, failed_login_count=0)
        record_event(AuthEventKind.ACCOUNT_LOCKED, user=user, request=request, channel=channel, until=until.isoformat())


def unlock_user(actor, user: User, *, request=None) -> User:
    _require_manageable(actor, user.organisation)
    User.objects.filter(pk=user.pk).update(locked_until=None, failed_login_count=0)
    user.refresh_from_db()
    record_event(AuthEventKind.ACCOUNT_UNLOCKED, user=user, actor=actor, request=request, channel="api")
    return user


def issue_token(user: User, *, name="api", request=None) -> tuple[ApiToken, str]:
    token, raw = ApiToken.new(user, name=name, ttl=timedelta(hours=settings.ANQUAN_TOKEN_TTL_HOURS))
    token.save()
    record_event(AuthEventKind.TOKEN_ISSUED, user=user, request=request, channel="api", token=token.prefix)
    return token, raw


def revoke_token(token: ApiToken, *, request=None) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record_event(AuthEventKind.TOKEN_REVOKED, user=token.user, request=request, channel="api", token=token.prefix)


def change_own_password(user: User, old_password: str, new_password: str, *, request=None, channel="api") -> None:
    """A user changes their own password; other sessions' API tokens are revoked."""
    if not user.check_password(old_password or ""):
        raise InvalidInput(_("The old password is incorrect"), field="old_password")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise InvalidInput(
            pgettext("separator between messages", "; ").join(exc.messages), field="new_password"
        ) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    keep = getattr(request, "api_token", None)
    tokens = user.api_tokens.filter(revoked_at__isnull=True)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    tokens.update(revoked_at=timezone.now())
    record_event(AuthEventKind.PASSWORD_CHANGED, user=user, actor=user, request=request, channel=channel)


# ---------------------------------------------------------------- user administration


def manageable_organisations(actor):
    """Organisations whose users ``actor`` may administer (hierarchical administration, ACC-02)."""
    if not actor.has_perm("accounts.add_user"):
        return Organisation.objects.none()
    return Organisation.objects.for_user(actor, "change")


def _require_manageable(actor, organisation) -> None:
    if actor.is_superuser or "ops" in actor.role_codes:
        return
    if organisation is None or not manageable_organisations(actor).filter(pk=organisation.pk).exists():
        raise OutsideJurisdiction()


def _resolve_roles(actor, organisation, role_codes) -> list[Role]:
    codes = list(dict.fromkeys(role_codes or []))
    roles = {r.code: r for r in Role.objects.filter(code__in=codes).select_related("group")}
    unknown = [c for c in codes if c not in roles]
    if unknown:
        raise InvalidInput(_("Unknown roles: %(codes)s") % {"codes": ", ".join(unknown)}, field="roles")
    for role in roles.values():
        if not role.fits(organisation):
            raise InvalidInput(
                _('Role "%(role)s" does not apply to users of this kind of organisation') % {"role": role.name},
                field="roles",
            )
        if role.code == "ops" and not (actor.is_superuser or "ops" in actor.role_codes):
            raise PermissionDeniedError(_("Only operations staff can grant the operations role"))
        if actor.organisation_id and actor.organisation.kind == "enterprise" and role.side != "enterprise":
            raise PermissionDeniedError(_("Enterprise administrators can only grant enterprise roles"))
    return [roles[c] for c in codes]


def _check_password(password, user):
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(pgettext("separator between messages", "; ").join(exc.messages), field="password") from exc


@transaction.atomic
def create_user(
    actor, *, username, password, organisation=None, roles=(), real_name="", phone="", email="", request=None
) -> User:
    _require_manageable(actor, organisation)
    if User.objects.filter(username=username).exists():
        raise InvalidInput(_("Username already exists"), field="username")
    role_objs = _resolve_roles(actor, organisation, roles)
    user = User(username=username, organisation=organisation, real_name=real_name, phone=phone, email=email)
    _check_password(password, user)
    user.set_password(password)
    user.save()
    user.groups.set([r.group for r in role_objs])
    record_event(
        AuthEventKind.USER_CREATED,
        user=user,
        actor=actor,
        request=request,
        channel="api",
        roles=[r.code for r in role_objs],
    )
    return user


@transaction.atomic
def update_user(actor, user: User, *, request=None, **changes) -> User:
    _require_manageable(actor, user.organisation)
    allowed = {"real_name", "phone", "email", "is_active"}
    unknown = set(changes) - allowed - {"roles", "password"}
    if unknown:
        raise InvalidInput(_("Cannot change: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for field in allowed & set(changes):
        setattr(user, field, changes[field])
    if "password" in changes:
        _check_password(changes["password"], user)
        user.set_password(changes["password"])
        record_event(AuthEventKind.PASSWORD_CHANGED, user=user, actor=actor, request=request, channel="api")
    user.save()
    if "roles" in changes:
        set_roles(actor, user, changes["roles"], request=request)
    if changes.get("is_active") is False:
        user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        record_event(AuthEventKind.USER_DISABLED, user=user, actor=actor, request=request, channel="api")
    else:
        record_event(
            AuthEventKind.USER_UPDATED,
            user=user,
            actor=actor,
            request=request,
            channel="api",
            fields=sorted(set(changes) - {"password"}),
        )
    return user


@transaction.atomic
def set_roles(actor, user: User, role_codes, *, request=None) -> User:
    _require_manageable(actor, user.organisation)
    roles = _resolve_roles(actor, user.organisation, role_codes)
    before = sorted(user.groups.values_list("name", flat=True))
    user.groups.set([r.group for r in roles])
    user.__dict__.pop("role_codes", None)
    after = sorted(r.code for r in roles)
    if before != after:
        record_event(
            AuthEventKind.ROLES_CHANGED,
            user=user,
            actor=actor,
            request=request,
            channel="api",
            before=before,
            after=after,
        )
    return user


def grant_object_permission(actor, user: User, perm: str, obj, *, request=None) -> None:
    """A per-object exception (django-guardian) on top of the user's roles and jurisdiction."""
    from guardian.shortcuts import assign_perm

    _require_manageable(actor, user.organisation)
    if not (actor.is_superuser or actor.has_perm(perm, obj) or actor.has_perm(perm)):
        raise PermissionDeniedError(_("You cannot grant a permission you do not have"))
    assign_perm(perm, user, obj)
    record_event(
        AuthEventKind.PERMISSION_GRANTED,
        user=user,
        actor=actor,
        request=request,
        channel="api",
        permission=perm,
        object=f"{obj._meta.label}:{obj.pk}",
    )


def revoke_object_permission(actor, user: User, perm: str, obj, *, request=None) -> None:
    from guardian.shortcuts import remove_perm

    _require_manageable(actor, user.organisation)
    remove_perm(perm, user, obj)
    record_event(
        AuthEventKind.PERMISSION_REVOKED,
        user=user,
        actor=actor,
        request=request,
        channel="api",
        permission=perm,
        object=f"{obj._meta.label}:{obj.pk}",
    )


def permissions_of(user: User) -> dict:
    """The login right, roles, model permissions, object grants and scope of ``user`` (ACC-02)."""
    from guardian.models import UserObjectPermission

    scope = user.access_scope
    grants = UserObjectPermission.objects.filter(user=user).select_related("permission", "content_type")
    return {
        "can_login": user.is_active and not user.is_locked,
        "locked_until": user.locked_until,
        "user_type": user.user_type,
        "roles": sorted(user.role_codes),
        "permissions": sorted(user.get_all_permissions()),
        "object_permissions": [
            {"permission": f"{g.content_type.app_label}.{g.permission.codename}", "object_id": g.object_pk}
            for g in grants
        ],
        "scope": {"kind": scope.kind, "region_path": scope.region_path, "organisation_id": scope.organisation_id},
    }


# ---------------------------------------------------------------- organisations


@transaction.atomic
def create_organisation(
    actor, *, name, kind, region, level="", uscc=None, service_types=(), request=None
) -> Organisation:
    if kind == OrganisationKind.ENTERPRISE:
        # An enterprise is an organisation plus its registry record: the enterprise registry creates both.
        raise InvalidInput(_("Create enterprises through the enterprise registry (/api/v1/enterprises/)"), field="kind")
    organisation = Organisation(
        name=name,
        kind=kind,
        region=region,
        level=level or "",
        uscc=uscc or None,
        service_types=list(service_types or []),
    )
    try:
        organisation.full_clean()
    except ValidationError as exc:
        raise InvalidInput.from_validation_error(exc) from exc
    if not (actor.is_superuser or "ops" in actor.role_codes):
        scope = actor.access_scope
        if scope.kind != "region" or not region.path.startswith(scope.region_path):
            raise OutsideJurisdiction(_("You can only create organisations within your jurisdiction"))
        if not actor.has_perm("accounts.add_organisation"):
            raise PermissionDeniedError()
    organisation.save()
    return organisation


@transaction.atomic
def update_organisation(actor, organisation: Organisation, **changes) -> Organisation:
    """Change an organisation's name or (for agencies) its service types; its identity stays."""
    unknown = set(changes) - {"name", "service_types"}
    if unknown:
        raise InvalidInput(_("Cannot change: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for field, value in changes.items():
        setattr(organisation, field, value)
    try:
        organisation.full_clean()
    except ValidationError as exc:
        raise InvalidInput.from_validation_error(exc) from exc
    organisation.save()
    return organisation
