"""Dual prevention feeds the risk model (风险研判): hidden dangers overdue for rectification."""

from django.utils.translation import gettext_lazy as _


def overdue_hidden_dangers(ctx, params: dict) -> dict:
    """Hidden dangers past their rectification deadline and not accepted (逾期未整改隐患), per
    enterprise. An enterprise that keeps a hidden-danger list has a figure (zero when none is
    overdue); one that reports none at all has no data, which is not the same as zero."""
    rows = ctx.rows(
        """
        SELECT enterprise_id,
               COUNT(*) FILTER (WHERE state <> 9 AND deadline < %(at)s AND registered_at <= %(at)s)
          FROM prevention_hiddendanger
         WHERE enterprise_id = ANY(%(ids)s) AND NOT deleted
         GROUP BY enterprise_id
        """,
        {},
    )
    return dict(rows)


def register() -> None:
    from apps.risk.sources import register_source

    register_source(
        "hidden_danger.overdue",
        _("Hidden dangers overdue for rectification"),
        provider=overdue_hidden_dangers,
        description=_("Hidden dangers past their deadline and not accepted, from the dual-prevention list."),
    )
