"""The risk section of the one-screen enterprise overview (一企一档)."""

from ..models import EnterpriseRisk, RiskLevel, Warning


def overview_section(enterprise, user) -> dict:
    risk = EnterpriseRisk.objects.for_user(user).filter(enterprise=enterprise).first()
    levels = {lvl.code: lvl for lvl in RiskLevel.objects.all()}
    level = levels.get(risk.level) if risk and risk.level else None
    warning = Warning.objects.for_user(user).open().filter(enterprise=enterprise).first()
    return {
        "level": risk.level if risk else None,
        "level_name": level.name if level else None,
        "colour": level.hex if level else None,
        "score": risk.score if risk else None,
        "assessed_at": risk.assessed_at.isoformat() if risk and risk.assessed_at else None,
        "open_warning": (
            {
                "id": warning.pk,
                "level": warning.level,
                "status": warning.status,
                "raised_at": warning.raised_at.isoformat(),
            }
            if warning
            else None
        ),
    }
