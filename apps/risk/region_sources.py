"""Region indicator sources (区域指标数据来源): where each leaf of a region model gets its raw value.

The same shape as ``apps.risk.sources`` for enterprises, one level up: a source is computed for *all*
regions of a grading run at once — one query per (source, params), never one per region — and
returns ``{region_id: value}``. A region missing from the answer has no data for that indicator
(shown as such, never as zero): a county without coal mines has no mine-risk figure.

Mine figures are taken over a region's whole subtree (a city's mines are its counties' and parks'
mines) from the mines' *current* enterprise results (``EnterpriseRisk``), so the regional grading
reuses the enterprise grading instead of repeating it. Regional factors (geography, meteorology,
rescue capability) are reported by regulators as ``RegionIndicatorRecord`` rows.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from .sources import Context, Registry

DEFAULT_INDUSTRY = "coal"


REGION_SOURCES = Registry()
register_region_source = REGION_SOURCES.register
get_region_source = REGION_SOURCES.get
all_region_sources = REGION_SOURCES.all
known_region_codes = REGION_SOURCES.codes
fetch = REGION_SOURCES.fetch


class RegionContext(Context):
    """One regional grading run: the regions (id and path), the time, the industry whose enterprises
    are the region's mines (the model's, unless a leaf's params say otherwise), and values fetched."""

    def __init__(self, regions: list[tuple[int, str]], at: dt.datetime, industry: str = DEFAULT_INDUSTRY):
        super().__init__([r[0] for r in regions], at)
        self.paths = [r[1] for r in regions]
        self.industry = industry or DEFAULT_INDUSTRY

    def sql_params(self) -> dict:
        return {**super().sql_params(), "paths": self.paths}


# --- the region's mines ----------------------------------------------------------------------------

# The run's regions as a relation r(id, path); a mine is in r when its organisation's region path
# starts with r.path (the region itself or anything below it).
REGIONS = "unnest(%(ids)s::bigint[], %(paths)s::text[]) AS r(id, path)"
MINES = """
  SELECT e.organisation_id AS id, g.path
    FROM enterprises_enterprise e
    JOIN accounts_organisation o ON o.id = e.organisation_id
    JOIN regions_region g ON g.id = o.region_id
   WHERE NOT e.deleted AND e.status <> 'closed'
     AND EXISTS (SELECT 1 FROM enterprises_enterprise_industries ei
                   JOIN enterprises_industry i ON i.id = ei.industry_id
                  WHERE ei.enterprise_id = e.organisation_id AND i.code = %(industry)s)
"""


def _industry(ctx: RegionContext, params: dict) -> str:
    return params.get("industry") or ctx.industry


def _mine_figures(ctx: RegionContext, industry: str) -> dict[int, tuple]:
    """Per region with mines: (mines, graded mines, mean score, max score, graded mines at level 1–2)."""

    def compute():
        rows = ctx.rows(
            f"""
            SELECT r.id, COUNT(*), COUNT(er.score), AVG(er.score), MAX(er.score),
                   COUNT(*) FILTER (WHERE er.level IN (1, 2))
              FROM {REGIONS}
              JOIN ({MINES}) m ON starts_with(m.path, r.path)
              LEFT JOIN risk_enterpriserisk er ON er.enterprise_id = m.id AND er.score IS NOT NULL
             GROUP BY r.id
            """,
            {"industry": industry},
        )
        return {row[0]: row[1:] for row in rows}

    return ctx.cached(("mines", industry), compute)


def mine_risk_mean(ctx: RegionContext, params: dict) -> dict:
    """Mean current risk score of the region's graded mines (区域内煤矿平均风险值)."""
    return {
        r: round(mean, 4)
        for r, (_n, graded, mean, _max, _high) in _mine_figures(ctx, _industry(ctx, params)).items()
        if graded
    }


def mine_risk_max(ctx: RegionContext, params: dict) -> dict:
    """Highest current risk score of the region's mines (区域内煤矿最高风险值)."""
    return {
        r: top for r, (_n, graded, _mean, top, _high) in _mine_figures(ctx, _industry(ctx, params)).items() if graded
    }


def mines_high_risk_share(ctx: RegionContext, params: dict) -> dict:
    """Per cent of the region's graded mines at level 1 or 2 (重大、较大风险煤矿占比)."""
    return {
        r: round(100.0 * high / graded, 2)
        for r, (_n, graded, _mean, _max, high) in _mine_figures(ctx, _industry(ctx, params)).items()
        if graded
    }


def mine_alarms(ctx: RegionContext, params: dict) -> dict:
    """Alarms raised by the region's mines in the last ``window_h`` hours, per mine (矿均报警次数);
    shelved and offline alarms left out. Every region with mines has a figure (0 when quiet)."""
    industry = _industry(ctx, params)
    window = dt.timedelta(hours=float(params.get("window_h", 24)))
    rows = ctx.rows(
        f"""
        SELECT r.id, COUNT(DISTINCT m.id), COUNT(a.id)
          FROM {REGIONS}
          JOIN ({MINES}) m ON starts_with(m.path, r.path)
          LEFT JOIN monitoring_alarm a ON a.enterprise_id = m.id AND NOT a.shelved AND a.side <> 'offline'
                                      AND a.started_at >= %(start)s AND a.started_at < %(at)s
         GROUP BY r.id
        """,
        {"industry": industry, "start": ctx.at - window},
    )
    return {r: round(alarms / mines, 4) for r, mines, alarms in rows if mines}


# --- regional factors reported by regulators ------------------------------------------------------------


def record_value(ctx: RegionContext, params: dict) -> dict:
    """The latest value of a regional factor (区域指标填报) within its validity. A region without a record
    of its own takes its nearest ancestor's: geography, weather and rescue capability are commonly
    assessed for a whole city (its weather warnings, its rescue teams) and hold for its counties, so a
    county is not left without data because only its city reported; its own record, when there is
    one, wins. (A parent does not take its children's records: no mean of them is implied.)"""
    valid = dt.timedelta(days=int(params.get("valid_days", 400)))
    rows = ctx.rows(
        f"""
        SELECT DISTINCT ON (r.id) r.id, rec.value
          FROM {REGIONS}
          JOIN regions_region g ON starts_with(r.path, g.path)
          JOIN risk_regionindicatorrecord rec ON rec.region_id = g.id
         WHERE rec.indicator = %(indicator)s AND rec.period <= %(day)s AND rec.period > %(since)s
         ORDER BY r.id, g.depth DESC, rec.period DESC, rec.id DESC
        """,
        {"indicator": params.get("indicator", ""), "day": ctx.day, "since": ctx.day - valid},
    )
    return dict(rows)


def register_builtin_region_sources() -> None:
    industry = {"industry": _("industry code of the region's mines (default: the model's, else coal)")}
    register_region_source(
        "region.mine_risk_mean",
        _("Mean risk score of the region's mines"),
        unit=_("points"),
        provider=mine_risk_mean,
        params=industry,
    )
    register_region_source(
        "region.mine_risk_max",
        _("Highest risk score of the region's mines"),
        unit=_("points"),
        provider=mine_risk_max,
        params=industry,
    )
    register_region_source(
        "region.mines_high_risk_share",
        _("Share of the region's mines at major or larger risk"),
        unit="%",
        provider=mines_high_risk_share,
        params=industry,
    )
    register_region_source(
        "region.mine_alarms",
        _("Alarms per mine"),
        unit=_("alarms"),
        provider=mine_alarms,
        params={"window_h": _("window in hours (default 24)"), **industry},
    )
    register_region_source(
        "region.records",
        _("Reported regional factor"),
        provider=record_value,
        params={"indicator": _("regional indicator code"), "valid_days": _("valid for (days)")},
    )
