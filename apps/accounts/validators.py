"""Unified social credit code (统一社会信用代码), GB 32100-2015: shape and check character."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_character(first17: str) -> str:
    """The 18th character for the first 17: charset[(31 − Σ Ci·Wi mod 31) mod 31]."""
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def normalise_uscc(value: str) -> str:
    return (value or "").strip().upper()


def uscc_error(value: str) -> str | None:
    """Why ``value`` is not a valid USCC, or None when it is."""
    code = normalise_uscc(value)
    if len(code) != 18:
        return _("A unified social credit code has 18 characters (got %(n)d).") % {"n": len(code)}
    if not USCC_SHAPE.match(code):
        return _("The unified social credit code contains characters outside GB 32100 (no I, O, S, V, Z).")
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return _("Check character mismatch: expected %(c)s.") % {"c": expected}
    return None


def validate_uscc(value: str) -> None:
    error = uscc_error(value)
    if error:
        raise ValidationError(error, code="invalid_uscc")
