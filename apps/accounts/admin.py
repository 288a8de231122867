from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdminMixin

from .models import ApiToken, AuthEvent, Organisation, Role, User


@admin.register(Organisation)
class OrganisationAdmin(GuardedModelAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "level", "region", "uscc", "is_active")
    list_filter = ("kind", "level", "is_active")
    search_fields = ("name", "uscc", "region__code", "region__name")
    raw_id_fields = ("region",)


@admin.register(User)
class UserAdmin(GuardedModelAdminMixin, DjangoUserAdmin):
    list_display = ("username", "real_name", "organisation", "is_active", "locked_until", "last_login")
    list_filter = ("is_active", "is_staff", "groups", "organisation__kind")
    search_fields = ("username", "real_name", "phone", "organisation__name")
    raw_id_fields = ("organisation",)
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Organisation"), {"fields": ("real_name", "phone", "organisation", "external_id", "locked_until")}),
    )


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "side", "manages_users")
    readonly_fields = ("code", "group")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
    raw_id_fields = ("user",)


@admin.register(AuthEvent)
class AuthEventAdmin(admin.ModelAdmin):
    """Read-only: an audit trail is never edited."""

    list_display = ("created_at", "kind", "username", "actor", "ip", "channel")
    list_filter = ("kind", "channel")
    search_fields = ("username", "ip")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
