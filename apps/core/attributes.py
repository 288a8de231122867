"""Typed attributes described by data (属性模板).

A facility kind, an industry's special information (专项信息) and similar extensible records carry a
schema: a list of ``{"key", "label", "type", "required", "unit", "min", "max", "choices"}``. Values
are stored as JSON and validated here, so a new kind of facility is a new fixture row, not a model.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .exceptions import InvalidInput

TYPES = {"string", "text", "integer", "number", "boolean", "date", "choice", "substances"}


def _number(value, integer=False):
    if isinstance(value, bool):
        raise ValueError
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError
    if integer:
        if number != number.to_integral_value():
            raise ValueError
        return int(number)
    return float(number)


def clean_value(spec: dict, value):
    """The value converted to its JSON form, or ValueError with a message."""
    kind = spec["type"]
    if kind in ("string", "text"):
        text = str(value).strip()
        limit = 200 if kind == "string" else 4000
        if len(text) > limit:
            raise ValueError(_("At most %(n)d characters.") % {"n": limit})
        return text
    if kind in ("integer", "number"):
        try:
            number = _number(value, integer=kind == "integer")
        except (InvalidOperation, ValueError, TypeError):
            raise ValueError(
                _("A whole number is required.") if kind == "integer" else _("A number is required.")
            ) from None
        if spec.get("min") is not None and number < spec["min"]:
            raise ValueError(_("Must be at least %(min)s.") % {"min": spec["min"]})
        if spec.get("max") is not None and number > spec["max"]:
            raise ValueError(_("Must be at most %(max)s.") % {"max": spec["max"]})
        return number
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "是", "y"):
            return True
        if text in ("false", "0", "no", "否", "n"):
            return False
        raise ValueError(_("Yes or no is required."))
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            raise ValueError(_("A date (YYYY-MM-DD) is required.")) from None
    if kind == "choice":
        codes = {str(c[0]): c for c in spec.get("choices", [])}
        labels = {str(c[1]): c for c in spec.get("choices", [])}
        choice = codes.get(str(value)) or labels.get(str(value))
        if choice is None:
            raise ValueError(_("Not one of the allowed values: %(values)s.") % {"values": ", ".join(codes)})
        return choice[0]
    if kind == "substances":
        if not isinstance(value, list):
            raise ValueError(_("A list of substances is required."))
        items = []
        for item in value:
            if not isinstance(item, dict) or not str(item.get("name", "")).strip():
                raise ValueError(_("Each substance needs a name."))
            try:
                quantity = _number(item.get("quantity_t", 0))
            except (InvalidOperation, ValueError, TypeError):
                raise ValueError(_("Each substance needs a quantity in tonnes.")) from None
            if quantity < 0:
                raise ValueError(_("Quantities cannot be negative."))
            items.append({"name": str(item["name"]).strip(), "quantity_t": quantity})
        return items
    raise ValueError(_("Unknown attribute type %(type)s.") % {"type": kind})


def validate_attributes(schema: list[dict], values, *, field="attributes", partial=False) -> dict:
    """Validated attribute values; every problem is reported as ``{"<field>.<key>": [message]}``."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise InvalidInput(_("An object of attribute values is required."), field=field)
    specs = {s["key"]: s for s in schema}
    errors, cleaned = {}, {}
    for key in values:
        if key not in specs:
            errors[f"{field}.{key}"] = [_("Unknown attribute.")]
    for key, spec in specs.items():
        value = values.get(key)
        if value is None or value == "" or value == []:
            if spec.get("required") and not partial:
                errors[f"{field}.{key}"] = [_("This attribute is required.")]
            continue
        try:
            cleaned[key] = clean_value(spec, value)
        except ValueError as exc:
            errors[f"{field}.{key}"] = [str(exc)]
    if errors:
        raise InvalidInput(_("Some attributes are invalid."), errors=errors)
    return cleaned


def check_schema(schema) -> list[str]:
    """Problems in a schema itself (used when reference data is loaded)."""
    problems = []
    keys = set()
    for spec in schema:
        key = spec.get("key")
        if not key or key in keys:
            problems.append(f"missing or duplicate key {key!r}")
        keys.add(key)
        if spec.get("type") not in TYPES:
            problems.append(f"{key}: unknown type {spec.get('type')!r}")
        if spec.get("type") == "choice" and not spec.get("choices"):
            problems.append(f"{key}: a choice needs choices")
    return problems
