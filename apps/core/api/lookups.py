"""Objects named in a request body, looked up through the caller's scope."""

from django.utils.translation import gettext as _

from apps.core.exceptions import InvalidInput


def in_scope(queryset, user, pk, *, field: str, unknown: str = ""):
    """Row ``pk`` of a scoped ``queryset`` that ``user`` may see, else a field error.

    Out of scope and non-existent answer the same, so a body cannot probe other jurisdictions.
    """
    if pk in (None, ""):
        raise InvalidInput(_("This field is required."), field=field)
    try:
        obj = queryset.for_user(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise InvalidInput(unknown or _("Unknown %(field)s.") % {"field": field}, field=field)
    return obj
