"""Organisations (组织机构), users (用户), roles (角色), API tokens and authentication events."""

import hashlib
import secrets
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group, UserManager
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.core.scoping import FULL_ACCESS, NO_ACCESS, AccessScope, ScopedQuerySet
from apps.regions.models import RegionKind

from .validators import normalise_uscc, validate_uscc


class OrganisationKind(models.TextChoices):
    REGULATOR = "regulator", _("Regulator")  # 安全监管部门
    COMMITTEE_MEMBER = "committee_member", _("Safety committee member unit")  # 安委会成员单位
    ENTERPRISE = "enterprise", _("Enterprise")  # 生产经营单位
    SERVICE_PROVIDER = "service_provider", _("Service provider")  # 中介服务机构
    RESCUE_TEAM = "rescue_team", _("Rescue team")  # 救援队伍


class RegulatorLevel(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    PARK = "park", _("Chemical park")


# A regulator's level must match the kind of region it is bound to.
LEVEL_REGION_KIND = {
    RegulatorLevel.PROVINCE: RegionKind.PROVINCE,
    RegulatorLevel.CITY: RegionKind.CITY,
    RegulatorLevel.COUNTY: RegionKind.COUNTY,
    RegulatorLevel.PARK: RegionKind.PARK,
}


class UserType(models.TextChoices):
    """The five user classes of the integration platform (ACC-06), plus administrators."""

    SUPERVISION = "supervision", _("Safety supervision body")  # 安全监管监察机构
    COMMITTEE_MEMBER = "committee_member", _("Safety committee member unit")  # 安委会成员单位
    ENTERPRISE = "enterprise", _("Production and business unit")  # 生产经营单位
    SERVICE_AGENCY = "service_agency", _("Intermediary service agency")  # 中介服务机构
    PUBLIC = "public", _("Public")  # 社会公众
    ADMINISTRATOR = "administrator", _("Administrator")  # 系统管理员


USER_TYPE_BY_ORGANISATION_KIND = {
    OrganisationKind.REGULATOR: UserType.SUPERVISION,
    OrganisationKind.COMMITTEE_MEMBER: UserType.COMMITTEE_MEMBER,
    OrganisationKind.ENTERPRISE: UserType.ENTERPRISE,
    OrganisationKind.SERVICE_PROVIDER: UserType.SERVICE_AGENCY,
    # Rescue teams serve enterprises under agreements: the service-agency class (docs/decisions.md).
    OrganisationKind.RESCUE_TEAM: UserType.SERVICE_AGENCY,
}


class OrganisationQuerySet(ScopedQuerySet):
    def regulators(self):
        return self.filter(kind=OrganisationKind.REGULATOR)

    def enterprises(self):
        return self.filter(kind=OrganisationKind.ENTERPRISE)


class Organisation(TimeStampedModel):
    """Organisation (组织机构): a regulator, committee member unit, enterprise, agency or rescue team."""

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=24, choices=OrganisationKind.choices, db_index=True)
    level = models.CharField(_("regulator level"), max_length=16, choices=RegulatorLevel.choices, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="organisations"
    )
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, null=True, blank=True, unique=True, validators=[validate_uscc]
    )
    is_active = models.BooleanField(_("active"), default=True)
    # What an intermediary service agency (中介服务机构) does: codes of fixtures/codes/agency_service_type.json.
    service_types = ArrayField(
        models.CharField(max_length=32), verbose_name=_("service types"), default=list, blank=True
    )

    scope_organisation_field = ""  # the organisation owns itself
    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["kind", "region"], name="org_kind_region_idx")]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        self.uscc = normalise_uscc(self.uscc) or None
        if self.kind == OrganisationKind.ENTERPRISE and not self.uscc:
            errors["uscc"] = _("An enterprise needs its unified social credit code.")
        if self.kind == OrganisationKind.REGULATOR:
            if not self.level:
                errors["level"] = _("A regulator needs a level.")
            elif (
                self.region_id and self.level in LEVEL_REGION_KIND and self.region.kind != LEVEL_REGION_KIND[self.level]
            ):
                errors["region"] = _("A %(level)s regulator must be bound to a %(kind)s region.") % {
                    "level": self.get_level_display(),
                    "kind": RegionKind(LEVEL_REGION_KIND[self.level]).label,
                }
        elif self.level:
            errors["level"] = _("Only regulators have a level.")
        if self.service_types and self.kind != OrganisationKind.SERVICE_PROVIDER:
            errors["service_types"] = _("Only service providers have service types.")
        if errors:
            raise ValidationError(errors)

    @property
    def user_type(self):
        return USER_TYPE_BY_ORGANISATION_KIND[self.kind]


class Role(models.Model):
    """Role (角色): a Django group with its side and the organisation kinds it fits."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64)
    side = models.CharField(_("side"), max_length=16)
    organisation_kinds = ArrayField(models.CharField(max_length=24), default=list, blank=True)
    manages_users = models.BooleanField(_("manages users"), default=False)
    description = models.CharField(_("description"), max_length=255, blank=True)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="role")

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["side", "code"]

    def __str__(self):
        return self.name

    def fits(self, organisation) -> bool:
        if organisation is None:
            return not self.organisation_kinds
        return organisation.kind in self.organisation_kinds


class UserQuerySet(ScopedQuerySet):
    pass


class AnquanUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """Platform user (用户). Belongs to at most one organisation; roles are its groups."""

    real_name = models.CharField(_("real name"), max_length=64, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # Lock-out after repeated failed logins.
    failed_login_count = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # For single sign-on and certificate login to come (ACC-03/05): identity at an external source.
    external_id = models.CharField(_("external identity"), max_length=128, null=True, blank=True, unique=True)

    scope_organisation_field = "organisation"
    objects = AnquanUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.real_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("groups")
        if prefetched is not None:  # lists prefetch groups: no query per row
            return frozenset(g.name for g in prefetched)
        return frozenset(self.groups.values_list("name", flat=True))

    @property
    def user_type(self):
        if self.is_superuser or "ops" in self.role_codes:
            return UserType.ADMINISTRATOR
        if self.organisation_id is None:
            return UserType.PUBLIC
        return USER_TYPE_BY_ORGANISATION_KIND[self.organisation.kind]

    @cached_property
    def access_scope(self) -> AccessScope:
        if not self.is_active:
            return NO_ACCESS
        if self.is_superuser or "ops" in self.role_codes:
            return FULL_ACCESS
        org = self.organisation
        if org is None or not org.is_active:
            return NO_ACCESS
        if org.kind in (OrganisationKind.REGULATOR, OrganisationKind.COMMITTEE_MEMBER):
            if org.level == RegulatorLevel.MINISTRY:
                return FULL_ACCESS
            return AccessScope(AccessScope.REGION, region_path=org.region.path, organisation_id=org.pk)
        return AccessScope(AccessScope.ORGANISATION, organisation_id=org.pk)

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """API token (访问令牌) for the mobile app and API clients; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64, default="api")
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def new(cls, user, *, name="api", ttl: timedelta | None = None):
        raw = secrets.token_urlsafe(32)
        token = cls(
            user=user,
            name=name,
            prefix=raw[:8],
            key_hash=_hash_token(raw),
            expires_at=timezone.now() + ttl if ttl else None,
        )
        return token, raw

    @classmethod
    def lookup(cls, raw: str):
        return (
            cls.objects.usable()
            .select_related("user", "user__organisation__region")
            .filter(key_hash=_hash_token(raw))
            .first()
        )


class AuthEventKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    TOKEN_ISSUED = "token_issued", _("Token issued")
    TOKEN_REVOKED = "token_revoked", _("Token revoked")
    ACCOUNT_LOCKED = "account_locked", _("Account locked")
    ACCOUNT_UNLOCKED = "account_unlocked", _("Account unlocked")
    USER_CREATED = "user_created", _("User created")
    USER_UPDATED = "user_updated", _("User updated")
    USER_DISABLED = "user_disabled", _("User disabled")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    ROLES_CHANGED = "roles_changed", _("Roles changed")
    PERMISSION_GRANTED = "permission_granted", _("Object permission granted")
    PERMISSION_REVOKED = "permission_revoked", _("Object permission revoked")


class AuthEvent(models.Model):
    """Authentication and authorisation event (登录与权限日志), kept for audit (ACC-16)."""

    kind = models.CharField(_("event"), max_length=24, choices=AuthEventKind.choices, db_index=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="auth_events",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)  # portal / api / admin / shell
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    scope_organisation_field = "organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("authentication event")
        verbose_name_plural = _("authentication events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="authevent_user_time_idx")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"
