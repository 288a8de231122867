"""Jurisdiction scoping (数据权限): the one mechanism that decides which rows a user may see.

A regulator sees the records of its region and every region below it, an enterprise user only its
own enterprise's records, ops everything, anyone else nothing. Per-object exceptions are granted
with django-guardian and widen the scope for that object only.

A scoped model declares where its owning organisation is (``scope_organisation_field``) and uses
``ScopedQuerySet``; every view and API reaches the rows through ``for_user`` (see the DRF base
viewset in ``core.api.viewsets`` and the portal mixin in ``core.views``). The user model supplies
``access_scope``; core knows nothing else about accounts, so it stays at the bottom of the stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Cast


@dataclass(frozen=True)
class AccessScope:
    """What a user may see: ``all``, a ``region`` subtree, one ``organisation``, or ``none``."""

    kind: str
    region_path: str | None = None
    organisation_id: int | None = None

    ALL = "all"
    REGION = "region"
    ORGANISATION = "organisation"
    NONE = "none"

    @classmethod
    def of(cls, user) -> AccessScope:
        if user is None or not user.is_authenticated:
            return NO_ACCESS
        if user.is_superuser:
            return FULL_ACCESS
        return user.access_scope


FULL_ACCESS = AccessScope(AccessScope.ALL)
NO_ACCESS = AccessScope(AccessScope.NONE)


def scope_q(model, scope: AccessScope) -> models.Q:
    """The filter that restricts ``model`` to ``scope``; '' means the model is the organisation."""
    field = model.scope_organisation_field
    prefix = f"{field}__" if field else ""
    if scope.kind == AccessScope.ALL:
        return models.Q()
    if scope.kind == AccessScope.REGION and scope.region_path:
        return models.Q(**{f"{prefix}region__path__startswith": scope.region_path})
    if scope.kind == AccessScope.ORGANISATION and scope.organisation_id:
        return models.Q(**{f"{prefix}pk": scope.organisation_id})
    return models.Q(pk__in=[])


def object_grants(model, user, action):
    """Primary keys of ``model`` rows granted to ``user`` (directly or by group) via guardian."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    content_type = ContentType.objects.get_for_model(model)
    codename = f"{action}_{model._meta.model_name}"
    pk = model._meta.pk
    while pk.is_relation:  # a one-to-one key onto a one-to-one key…: the column type is at the end
        pk = pk.target_field
    # guardian keeps object ids as text; compare as integers where the key is one.
    obj = (
        Cast("object_pk", models.BigIntegerField())
        if pk.get_internal_type().endswith(("AutoField", "IntegerField"))
        else models.F("object_pk")
    )
    by_user = UserObjectPermission.objects.filter(
        user=user, content_type=content_type, permission__codename=codename
    ).values_list(obj)
    by_group = GroupObjectPermission.objects.filter(
        group__user=user, content_type=content_type, permission__codename=codename
    ).values_list(obj)
    return models.Q(pk__in=by_user) | models.Q(pk__in=by_group)


class ScopedQuerySet(models.QuerySet):
    """QuerySet of a jurisdiction-scoped model; ``for_user`` is the only door to its rows."""

    def for_user(self, user, action: str = "view"):
        scope = AccessScope.of(user)
        if scope.kind == AccessScope.ALL:
            return self
        condition = scope_q(self.model, scope)
        if user is not None and user.is_authenticated:
            condition |= object_grants(self.model, user, action)
        return self.filter(condition)

    def in_region(self, region):
        """Rows whose owning organisation lies in ``region`` or below it."""
        return self.filter(scope_q(self.model, AccessScope(AccessScope.REGION, region_path=region.path)))


def is_scoped(model) -> bool:
    return hasattr(model, "scope_organisation_field") and hasattr(model.objects, "for_user")
