from django.contrib.auth.password_validation import password_validators_help_texts
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.accounts.models import AuthEvent, Organisation, Role, User
from apps.accounts.validators import normalise_uscc, uscc_error
from apps.regions.models import Region


def _password_help() -> str:
    return " ".join(str(t) for t in password_validators_help_texts())


# Lazy, so that the validators' help follows the language of each request, not of import time.
_password_help_text = lazy(_password_help, str)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()
    user_type = serializers.CharField()


class RegionCodeField(serializers.SlugRelatedField):
    """A region given by its GB/T 2260 code; an unknown code is a field error, not a 500."""

    # DRF formats these with str.format, hence the {value} placeholder.
    default_error_messages = {
        "does_not_exist": _("Unknown region code: {value}"),
        "invalid": _("Invalid region code format"),
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Region.objects.all(), **kwargs)


class OrganisationSerializer(serializers.ModelSerializer):
    region = RegionCodeField()
    region_name = serializers.CharField(source="region.name", read_only=True)
    user_type = serializers.CharField(read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "kind",
            "level",
            "region",
            "region_name",
            "uscc",
            "service_types",
            "is_active",
            "user_type",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_active", "created_at", "updated_at"]
        extra_kwargs = {"uscc": {"validators": []}}  # uniqueness is reported below, with the check char

    def validate_service_types(self, value):
        from apps.core.codes import codes_of

        unknown = sorted(set(value) - set(codes_of("agency_service_type")))
        if unknown:
            raise serializers.ValidationError(_("Unknown service types: %(codes)s") % {"codes": ", ".join(unknown)})
        return value

    def validate_uscc(self, value):
        if not value:
            return None
        error = uscc_error(value)
        if error:
            raise serializers.ValidationError(error)
        value = normalise_uscc(value)
        clash = Organisation.objects.filter(uscc=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(_("This unified social credit code is already registered"))
        return value


class OrganisationUpdateSerializer(OrganisationSerializer):
    """Only the name changes here: kind, level, region and credit code are the organisation's identity."""

    region = serializers.CharField(source="region.code", read_only=True)

    class Meta(OrganisationSerializer.Meta):
        read_only_fields = ["kind", "level", "region", "uscc", "is_active", "created_at", "updated_at"]


class UserSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True, default=None)
    roles = serializers.SerializerMethodField()
    user_type = serializers.CharField(read_only=True)
    is_locked = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "real_name",
            "phone",
            "email",
            "organisation",
            "organisation_name",
            "user_type",
            "roles",
            "is_active",
            "is_locked",
            "last_login",
            "date_joined",
        ]
        read_only_fields = fields

    def get_roles(self, obj) -> list[str]:
        # Prefetched groups: no query per row.
        return sorted(g.name for g in obj.groups.all())


class UserCreateSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, help_text=_password_help_text())
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    roles = serializers.ListField(child=serializers.SlugField(), default=list)
    real_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    phone = serializers.RegexField(r"^\+?[0-9-]{5,20}$", required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class UserUpdateSerializer(serializers.Serializer):
    real_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    phone = serializers.RegexField(r"^\+?[0-9-]{5,20}$", required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    roles = serializers.ListField(child=serializers.SlugField(), required=False)
    password = serializers.CharField(max_length=128, trim_whitespace=False, required=False)


class RolesSerializer(serializers.Serializer):
    roles = serializers.ListField(child=serializers.SlugField())


class UserPermissionsSerializer(serializers.Serializer):
    can_login = serializers.BooleanField()
    locked_until = serializers.DateTimeField(allow_null=True)
    user_type = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    permissions = serializers.ListField(child=serializers.CharField())
    object_permissions = serializers.ListField(child=serializers.DictField())
    scope = serializers.DictField()


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["code", "name", "name_en", "side", "organisation_kinds", "manages_users", "description"]


class UserTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MeSerializer(UserSerializer):
    scope = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = UserSerializer.Meta.fields + ["scope"]
        read_only_fields = fields

    def get_scope(self, obj) -> dict:
        scope = obj.access_scope
        return {"kind": scope.kind, "region_path": scope.region_path, "organisation_id": scope.organisation_id}


class AuthEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = AuthEvent
        fields = [
            "id",
            "kind",
            "created_at",
            "user",
            "username",
            "organisation",
            "actor",
            "ip",
            "user_agent",
            "channel",
            "detail",
        ]


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)
