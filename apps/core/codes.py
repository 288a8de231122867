"""Code tables (代码表): lookups and validation of stored codes."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from .exceptions import InvalidInput
from .models import CodeItem

CODES_DIR = Path(settings.BASE_DIR) / "fixtures" / "codes"


def codes_of(table: str) -> dict[str, str]:
    """``{code: name}`` of a table, in order."""
    return dict(CodeItem.objects.filter(table=table).order_by("sort", "code").values_list("code", "name"))


def codes_where(table: str, **extra) -> list[str]:
    """Codes of ``table`` whose extra properties match, e.g. ``codes_where("hazchem_category", sd_scope=True)``."""
    return list(CodeItem.objects.filter(table=table, extra__contains=extra).values_list("code", flat=True))


def choices_of(table: str) -> list[tuple[str, str]]:
    return list(codes_of(table).items())


def check_codes(table: str, values, *, field: str) -> list[str]:
    """``values`` (a code or a list of codes) if all belong to ``table``, else a field error."""
    many = isinstance(values, list | tuple)
    items = list(values) if many else [values]
    known = set(CodeItem.objects.filter(table=table, code__in=items).values_list("code", flat=True))
    unknown = [v for v in items if v not in known]
    if unknown:
        raise InvalidInput(
            _("Unknown code(s) %(codes)s for %(table)s.") % {"codes": ", ".join(map(str, unknown)), "table": table},
            field=field,
        )
    return items


@transaction.atomic
def load_code_tables(directory: Path = CODES_DIR) -> dict:
    counts = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        table = data["table"]
        seen = []
        for sort, item in enumerate(data["items"]):
            CodeItem.objects.update_or_create(
                table=table,
                code=str(item["code"]),
                defaults={
                    "name": item["name"],
                    "name_en": item.get("name_en", ""),
                    "sort": item.get("sort", sort),
                    "extra": {k: v for k, v in item.items() if k not in ("code", "name", "name_en", "sort")},
                },
            )
            seen.append(str(item["code"]))
        CodeItem.objects.filter(table=table).exclude(code__in=seen).delete()
        counts[table] = len(seen)
    return counts
