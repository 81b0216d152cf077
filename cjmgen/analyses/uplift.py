"""Campaign uplift (METHODS §8): test against control members before and during a campaign, difference in
differences per member with a bootstrap interval and Welch's t as a check, incremental effect and ROI, a pre-period
balance check, and a matched control from non-members when the campaign has none."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Annotated, Literal

import polars as pl
from pydantic import Field

from cjmgen.analyses.base import Context, NeedsFor, Result, Table
from cjmgen.analyses.uplift_members import (
    RFM_FEATURES,
    Window,
    checked_members,
    group_array,
    lookalikes,
    member_figures,
    pre_period,
    window_of,
)
from cjmgen.analyses.uplift_stats import Estimate, did, estimate, nearest, smd
from cjmgen.analyses.uplift_weekly import weekly
from cjmgen.errors import Problem, UserError
from cjmgen.facts import DIMENSIONS, Sales
from cjmgen.scoring import params_in, score_customers
from cjmgen.spec.common import Strict

__all__ = ["Balance", "Campaign", "Params", "SMD_LIMIT", "UpliftResult", "compute", "name", "needs", "needs_for", "spec_block"]

name = "uplift"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount"), "campaign_members": ("customer_id", "campaign", "group")}

SMD_LIMIT = 0.1
"""A pre-period feature whose |standardized mean difference| exceeds this is reported as unbalanced."""

MIN_GROUP = 2
"""Members each group of a segment needs for a row of its own."""


class Params(Strict):
    """Campaign effect: test against control members, difference in differences per member, incremental effect, ROI."""

    campaigns: Literal["all"] | list[str] = Field("all", description="Campaigns measured: all, or a list of names "
                                                                     "from campaign_members.campaign.")
    metric: Literal["revenue", "orders", "avg_check"] = Field(
        "revenue", description="Per member and window: revenue, orders, or the average check (revenue / orders of the "
                               "group).")
    before_days: int | None = Field(None, ge=1, description="Days of the before window (default: the campaign's "
                                                            "length); its totals are scaled to the campaign's length.")
    after_days: int | None = Field(None, ge=0, description="Days after the campaign the weekly chart follows "
                                                           "(default: the campaign's length).")
    cost: dict[str, float] = Field(default_factory=dict, description="Campaign → its cost in money, for ROI = "
                                                                     "(incremental margin or revenue − cost) / cost.")
    by: str | None = Field(None, description="Uplift per segment of members before the campaign: rfm (the RFM "
                                             "chapter's names, else codes), store, channel, manager (of the last order "
                                             "before), or a customers column (gender, region…).")
    confidence: float = Field(0.95, gt=0, lt=1, description="Confidence of the bootstrap interval.")
    bootstrap: int = Field(2000, ge=100, le=100_000, description="Bootstrap resamples of members.")
    seed: int = Field(0, description="Random seed of the bootstrap: the same data and seed give the same intervals.")


def needs_for(params: Params) -> NeedsFor:
    """`by` a store, channel or manager needs that transactions column; any other name but rfm a customers column."""
    if params.by is None or params.by == "rfm":
        return []
    return [(("by",), "transactions" if params.by in DIMENSIONS else "customers", params.by)]


@dataclass(frozen=True)
class Balance:
    """One pre-period feature's means in both groups and their standardized mean difference."""

    feature: str
    test_mean: float
    control_mean: float
    smd: float | None


@dataclass(frozen=True)
class Campaign:
    """One campaign's window, groups and whole-campaign estimate (the `all` row of the table)."""

    campaign: str
    start: dt.date
    end: dt.date
    before_start: dt.date
    days: int
    before_days: int
    truncated: bool
    matched: bool
    """True when the control group is matched from non-members (an observational estimate)."""
    test_members: int
    control_members: int
    """Distinct control customers (a matched customer can stand for several test members)."""
    test_before: float | None
    test_during: float | None
    control_before: float | None
    control_during: float | None
    uplift: float
    low: float
    high: float
    p_value: float | None
    incremental: float | None
    incremental_low: float | None
    incremental_high: float | None
    cost: float | None
    roi: float | None
    unbalanced: list[str]
    """Pre-period features (recency_days, frequency, monetary) with |SMD| > SMD_LIMIT."""
    balance: list[Balance]

    @property
    def excludes_zero(self) -> bool:
        """The interval lies wholly above or below zero."""
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class UpliftResult(Result):
    """The uplift table, the balance check, weekly series and one summary per campaign."""

    table: Annotated[pl.DataFrame, Table("uplift")]
    balance: Annotated[pl.DataFrame, Table("uplift_balance")]
    """campaign, feature, test_mean, control_mean, smd: the pre-period balance of the groups."""
    weekly: pl.DataFrame
    """campaign, week (its first day; weeks counted from the campaign's start), group, value: the metric per member."""
    campaigns: list[Campaign]
    segments: pl.DataFrame
    """The rows of the table by segment (empty without `by`)."""
    metric: str
    by: str | None
    confidence: float
    margin_basis: bool
    """True when ROI uses margin (transactions have a cost column), False when it uses revenue."""
    any_matched: bool
    lead: Campaign
    """The campaign the headline quotes: the one with the most test members."""
    lookalikes: dict[str, pl.DataFrame]
    """Campaign → non-members most like its responders (see uplift_members.lookalikes)."""

    def customer_lists(self) -> dict[str, pl.DataFrame]:
        """segments/uplift_lookalikes_<campaign>.csv: the next wave's candidates."""
        return {f"uplift_lookalikes_{campaign}": frame for campaign, frame in self.lookalikes.items() if frame.height}


def compute(ctx: Context, params: Params) -> UpliftResult:
    """Every chosen campaign: windows, groups (matched when no control), estimates overall and by segment."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales, where = ctx.facts.sales, _where(ctx)
    members = checked_members(ctx.facts.tables["campaign_members"], where)
    chosen = _chosen(members, params, where)
    rows: list[dict[str, object]] = []
    balance: list[pl.DataFrame] = []
    series: list[pl.DataFrame] = []
    summaries: list[Campaign] = []
    similar: dict[str, pl.DataFrame] = {}
    for campaign in chosen:
        window = window_of(members, campaign, params.before_days, params.after_days, sales.as_of, where)
        test, control, matched = _groups(sales, members, campaign, window.start, where)
        found = _campaign(ctx, sales, window, test, control, matched, params)
        rows += found[0]
        balance.append(found[1])
        series.append(weekly(sales, window, test, control, params.metric))
        summaries.append(found[2])
        similar[campaign] = lookalikes(sales, member_figures(sales, test, window), members.filter(
            pl.col("campaign") == campaign)["customer_id"], window.days / window.before_days)
    table = pl.DataFrame(rows, schema=TABLE_SCHEMA, orient="row")
    return UpliftResult(
        table=table, balance=pl.concat(balance), weekly=pl.concat(series), campaigns=summaries,
        segments=table.filter(pl.col("segment") != "all") if params.by else table.clear(),
        metric=params.metric, by=params.by, confidence=params.confidence, margin_basis=sales.has_cost,
        any_matched=any(c.matched for c in summaries),
        lead=max(summaries, key=lambda c: (c.test_members, c.start)), lookalikes=similar)


TABLE_SCHEMA = {"campaign": pl.String, "segment": pl.String, "test_members": pl.Int64, "control_members": pl.Int64,
                "test_before": pl.Float64, "test_during": pl.Float64, "control_before": pl.Float64,
                "control_during": pl.Float64, "uplift_per_member": pl.Float64, "uplift_low": pl.Float64,
                "uplift_high": pl.Float64, "p_value": pl.Float64, "incremental": pl.Float64,
                "incremental_low": pl.Float64, "incremental_high": pl.Float64, "cost": pl.Float64, "roi": pl.Float64}


def _where(ctx: Context) -> str:
    return str(ctx.spec.sources["campaign_members"].path) if ctx.spec is not None else "campaign_members"


def _chosen(members: pl.DataFrame, params: Params, where: str) -> list[str]:
    known = sorted(set(members["campaign"].to_list()))
    if not known:
        raise UserError(Problem(where, "expected at least one campaign member, got none", "campaign"))
    if params.campaigns == "all":
        chosen = known
    else:
        for i, campaign in enumerate(params.campaigns):
            if campaign not in known:
                raise UserError(Problem(where, f"no campaign {campaign!r}; campaigns: {', '.join(known)}",
                                        f"analyses.uplift.campaigns.{i}"))
        chosen = list(dict.fromkeys(params.campaigns))
    for campaign in params.cost:
        if campaign not in known:
            raise UserError(Problem(where, f"no campaign {campaign!r}; campaigns: {', '.join(known)}",
                                    f"analyses.uplift.cost.{campaign}"))
    return chosen


def _groups(sales: Sales, members: pl.DataFrame, campaign: str, start: dt.date,
            where: str) -> tuple[pl.Series, pl.Series, bool]:
    """Test ids, control ids (matched with replacement from non-members when none is given) and whether matched."""
    one = members.filter(pl.col("campaign") == campaign)
    test = one.filter(pl.col("group") == "test")["customer_id"]
    control = one.filter(pl.col("group") == "control")["customer_id"]
    if test.len() < MIN_GROUP:
        raise UserError(Problem(where, f"campaign {campaign!r}: expected at least {MIN_GROUP} test members, "
                                       f"got {test.len()}", "group"))
    if control.len() >= MIN_GROUP:
        return test, control, False
    # with no control group: non-members who bought before the campaign, nearest on pre-period R, F, M
    candidates = sales.customers.filter((pl.col("first_day") < start) & ~pl.col("customer_id").is_in(
        one["customer_id"].implode()))["customer_id"].sort()
    if candidates.len() < MIN_GROUP:
        raise UserError(Problem(where, f"campaign {campaign!r} has no control group and too few non-members to match "
                                       "one", "group"))
    features = pre_period(sales, pl.concat([test, candidates]), start).select(RFM_FEATURES).to_numpy()
    index = nearest(features[: test.len()], features[test.len():])
    return test, candidates.gather(index), True


def _campaign(ctx: Context, sales: Sales, window: Window, test: pl.Series, control: pl.Series, matched: bool,
              params: Params) -> tuple[list[dict[str, object]], pl.DataFrame, Campaign]:
    scale = window.days / window.before_days
    figures_t, figures_c = member_figures(sales, test, window), member_figures(sales, control, window)
    ratio = params.metric == "avg_check"
    cost = params.cost.get(window.campaign)
    money = "margin" if sales.has_cost else "revenue"
    seed = params.seed
    overall = estimate(group_array(figures_t, params.metric, scale), group_array(figures_c, params.metric, scale),
                       ratio, params.bootstrap, params.confidence, seed)
    money_did = did(group_array(figures_t, money, scale), group_array(figures_c, money, scale))
    roi = (money_did * test.len() - cost) / cost if cost else None
    rows = [_row(window.campaign, "all", test.len(), control.n_unique(), overall, ratio, cost, roi)]
    if params.by is not None:
        rows += _segment_rows(ctx, sales, window, (figures_t, figures_c), params, scale)
    balance = _balance(sales, window, test, control)
    unbalanced = [f for f, s in zip(balance["feature"], balance["smd"], strict=True) if s is not None and abs(s) > SMD_LIMIT]
    head = rows[0]
    summary = Campaign(window.campaign, window.start, window.end, window.before_start, window.days,
                       window.before_days, window.truncated, matched, test.len(), control.n_unique(),
                       _num(head["test_before"]), _num(head["test_during"]), _num(head["control_before"]),
                       _num(head["control_during"]), overall.uplift,
                       overall.low, overall.high, overall.p_value, _num(head["incremental"]),
                       _num(head["incremental_low"]), _num(head["incremental_high"]), cost, roi, unbalanced,
                       [Balance(*row) for row in balance.drop("campaign").iter_rows()])
    return rows, balance, summary


def _segment_rows(ctx: Context, sales: Sales, window: Window, figures: tuple[pl.DataFrame, pl.DataFrame],
                  params: Params, scale: float) -> list[dict[str, object]]:
    """One row per segment with at least MIN_GROUP members in each group."""
    assert params.by is not None
    ids = pl.concat([figures[0]["customer_id"], figures[1]["customer_id"]]).unique()
    labels = _segments(ctx, sales, ids, window.start, params.by)
    rows = []
    for segment in sorted({v for v in labels.values() if v is not None}):
        t, c = (f.filter(pl.col("customer_id").replace_strict(labels, default=None, return_dtype=pl.String) == segment)
                for f in figures)
        if t.height >= MIN_GROUP and c.height >= MIN_GROUP:
            found = estimate(group_array(t, params.metric, scale), group_array(c, params.metric, scale),
                             params.metric == "avg_check", params.bootstrap, params.confidence, params.seed)
            rows.append(_row(window.campaign, segment, t.height, c["customer_id"].n_unique(), found,
                             params.metric == "avg_check", None, None))
    return rows


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _row(campaign: str, segment: str, n_test: int, n_control: int, found: Estimate, ratio: bool, cost: float | None,
         roi: float | None) -> dict[str, object]:
    def clean(value: float) -> float | None:
        return None if math.isnan(value) else value

    times = None if ratio else n_test
    return {"campaign": campaign, "segment": segment, "test_members": n_test, "control_members": n_control,
            "test_before": clean(found.test_before), "test_during": clean(found.test_during),
            "control_before": clean(found.control_before), "control_during": clean(found.control_during),
            "uplift_per_member": clean(found.uplift), "uplift_low": clean(found.low), "uplift_high": clean(found.high),
            "p_value": found.p_value,
            "incremental": None if times is None else clean(found.uplift * times),
            "incremental_low": None if times is None else clean(found.low * times),
            "incremental_high": None if times is None else clean(found.high * times), "cost": cost, "roi": roi}


def _balance(sales: Sales, window: Window, test: pl.Series, control: pl.Series) -> pl.DataFrame:
    """Pre-period R, F, M of both groups (a matched control with its repeats) and their SMD."""
    t = pre_period(sales, test, window.start)
    c = pl.DataFrame({"customer_id": control}).join(pre_period(sales, control.unique(), window.start),
                                                    on="customer_id", how="left")
    rows = [(window.campaign, f, float(t[f].mean()), float(c[f].mean()),  # type: ignore[arg-type]
             smd(t[f].to_numpy(), c[f].to_numpy())) for f in RFM_FEATURES]
    return pl.DataFrame(rows, schema={"campaign": pl.String, "feature": pl.String, "test_mean": pl.Float64,
                                      "control_mean": pl.Float64, "smd": pl.Float64}, orient="row")


def _segments(ctx: Context, sales: Sales, ids: pl.Series, start: dt.date, by: str) -> dict[str, str | None]:
    """Each member's segment before the campaign: RFM (name, else code) on orders before the start, the store /
    channel / manager of the last order before it, or a customers attribute; None without one."""
    before = sales.orders.filter((pl.col("day") < start) & pl.col("is_order") & pl.col("customer_id").is_in(ids.implode()))
    if by == "rfm":
        rfm = params_in(ctx.spec)
        people = before.group_by("customer_id").agg(pl.col("day").max().alias("last_day"), pl.len().alias("orders"),
                                                     pl.col("revenue").sum())
        scored = score_customers(people, start - dt.timedelta(days=1), rfm)
        column = "name" if rfm.names else "segment"
        pairs = scored.select("customer_id", pl.col(column).alias("v"))
    elif by in DIMENSIONS:
        pairs = before.sort("day", "placed_at").group_by("customer_id").agg(pl.col(by).last().cast(pl.String).alias("v"))
    else:
        if by not in sales.customers.columns:
            raise UserError(Problem(_where(ctx), f"no customer attribute {by!r}", "analyses.uplift.by"))
        pairs = sales.customers.select("customer_id", pl.col(by).cast(pl.String).alias("v"))
    return dict(pairs.iter_rows())  # type: ignore[arg-type]

