"""GB/T 28181 device codes (国标编码), 20 digits: centre code (8) + industry (2) + type (3) + network (1) + serial (6)."""

import re

from django.utils.translation import gettext as _

CODE = re.compile(r"^\d{20}$")
# Type codes of front-end peripheral devices that are cameras (131 摄像机, 132 网络摄像机 IPC).
CAMERA_TYPES = {"131", "132"}
# Industry codes (digits 9–10) of GB/T 28181 (domain.md §7.1).
INDUSTRY_CODES = {f"{n:02d}" for n in range(0, 15)} | {"40", "41", "42", "43", "44", "45"}


def camera_code_error(code: str, *, province_code: str = "") -> str | None:
    """Why ``code`` is not a valid camera code, or None.

    Shandong requires the alarm-channel form: 9-digit provincial enterprise code + "0132" + 7-digit
    serial (004 A5 table 4, VIDEO_CODE), which is a GB/T 28181 IPC code; when the enterprise's
    provincial code is known, the prefix must match it.
    """
    code = (code or "").strip()
    if not CODE.match(code):
        return _("A GB/T 28181 code has exactly 20 digits.")
    if province_code:
        if code[:9] != province_code or code[9:13] != "0132":
            return _("Expected the provincial form %(prefix)s0132 followed by a 7-digit serial.") % {
                "prefix": province_code
            }
        return None
    if code[10:13] not in CAMERA_TYPES:
        return _("Digits 11–13 (type code) must be 131 or 132 for a camera, not %(type)s.") % {"type": code[10:13]}
    if code[8:10] not in INDUSTRY_CODES:
        return _("Digits 9–10 (industry code) %(code)s are not a GB/T 28181 industry code.") % {"code": code[8:10]}
    return None
