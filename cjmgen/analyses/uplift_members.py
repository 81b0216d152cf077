"""Campaign members, their windows and per-member figures for the uplift analysis (METHODS §8)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from cjmgen.errors import Problem, UserError
from cjmgen.facts import Sales

RFM_FEATURES = ("recency_days", "frequency", "monetary")
"""The pre-period features of the balance check and of matching."""


@dataclass(frozen=True)
class Window:
    """A campaign's days: before [before_start, start − 1], during [start, end], all inclusive."""

    campaign: str
    start: dt.date
    end: dt.date
    before_start: dt.date
    chart_end: dt.date
    truncated: bool
    """True when the campaign ends after the analysis date (during is cut at as_of)."""

    @property
    def days(self) -> int:
        """Days of the campaign window."""
        return (self.end - self.start).days + 1

    @property
    def before_days(self) -> int:
        """Days of the before window."""
        return (self.start - self.before_start).days


def _day(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Datetime("us")).dt.date() if column in ("start", "end") else pl.col(column)


def checked_members(members: pl.DataFrame, where: str) -> pl.DataFrame:
    """customer_id, campaign, group (test | control), start, end — one row per member; located errors for a group
    other than test/control, a customer in both groups, or a campaign with several start or end dates."""
    frame = members.select(
        pl.col("customer_id").cast(pl.String), pl.col("campaign").cast(pl.String),
        pl.col("group").cast(pl.String).str.strip_chars().str.to_lowercase().alias("group"),
        *[_day(c) for c in ("start", "end") if c in members.columns]).drop_nulls(["customer_id", "campaign", "group"])
    wrong = sorted(set(frame["group"].to_list()) - {"test", "control"})
    if wrong:
        raise UserError(Problem(where, f"group: expected test or control, got {', '.join(map(repr, wrong[:5]))}", "group"))
    both = frame.unique(["campaign", "customer_id", "group"]).group_by("campaign", "customer_id").len().filter(
        pl.col("len") > 1).sort("campaign", "customer_id")
    if both.height:
        first = both.row(0, named=True)
        raise UserError(Problem(where, f"customer {first['customer_id']!r} is in both groups of campaign "
                                       f"{first['campaign']!r} ({both.height} such customers)", "group"))
    for column in ("start", "end"):
        if column not in frame.columns:
            raise UserError(Problem(where, f"campaign_members needs a {column} column (the campaign window)", column))
        many = frame.group_by("campaign").agg(pl.col(column).n_unique().alias("n")).filter(pl.col("n") > 1)
        if many.height:
            raise UserError(Problem(where, f"campaign {sorted(many['campaign'])[0]!r} has several {column} dates", column))
    return frame.unique(["campaign", "customer_id"], keep="first").sort("campaign", "group", "customer_id")


def window_of(members: pl.DataFrame, campaign: str, before_days: int | None, after_days: int | None,
              as_of: dt.date, where: str) -> Window:
    """The campaign's window from its members' start and end dates."""
    one = members.filter(pl.col("campaign") == campaign)
    start, end = one["start"].drop_nulls().min(), one["end"].drop_nulls().max()
    shown = [str(v) if isinstance(v, dt.date) else "none" for v in (start, end)]
    if not isinstance(start, dt.date) or not isinstance(end, dt.date) or end < start:
        raise UserError(Problem(where, f"campaign {campaign!r}: expected a start and an end on or after it, "
                                       f"got {shown[0]} and {shown[1]}", "start"))
    if start > as_of:
        raise UserError(Problem(where, f"campaign {campaign!r} starts on {start}, after the analysis date {as_of}",
                                "start"))
    cut = min(end, as_of)
    length = (cut - start).days + 1
    before = dt.timedelta(days=before_days or length)
    after = dt.timedelta(days=after_days if after_days is not None else length)
    return Window(campaign, start, cut, start - before, min(as_of, cut + after), end > as_of)


def member_figures(sales: Sales, ids: pl.Series, window: Window) -> pl.DataFrame:
    """Per member (every id, zeros without orders): revenue, orders and margin before and during the campaign."""
    days = sales.order_days.filter(pl.col("customer_id").is_in(ids.implode()))
    margin = (pl.col("revenue") - pl.col("cost").fill_null(0)) if "cost" in days.columns else pl.lit(0.0)
    phase = (pl.when(pl.col("day") < window.before_start).then(None)
             .when(pl.col("day") < window.start).then(pl.lit("b"))
             .when(pl.col("day") <= window.end).then(pl.lit("d")))
    money = (days.with_columns(phase.alias("phase"), margin.alias("margin")).drop_nulls("phase")
             .group_by("customer_id", "phase").agg(pl.col("revenue").sum(), pl.col("margin").sum()))
    orders = (sales.orders.filter(pl.col("customer_id").is_in(ids.implode()) & pl.col("is_order"))
              .with_columns(phase.alias("phase")).drop_nulls("phase").group_by("customer_id", "phase").len("orders"))
    base = pl.DataFrame({"customer_id": ids})  # a matched control keeps its repeats
    for ph in ("b", "d"):
        base = base.join(money.filter(pl.col("phase") == ph).select(
            "customer_id", pl.col("revenue").alias(f"revenue_{ph}"), pl.col("margin").alias(f"margin_{ph}")),
            on="customer_id", how="left").join(orders.filter(pl.col("phase") == ph).select(
                "customer_id", pl.col("orders").cast(pl.Float64).alias(f"orders_{ph}")), on="customer_id", how="left")
    return base.fill_null(0.0)


def group_array(figures: pl.DataFrame, metric: str, scale: float) -> np.ndarray:
    """(members, 4) numerator/denominator before and during; a before total scaled to the campaign's length."""
    if metric == "avg_check":
        cols = [figures["revenue_b"], figures["orders_b"], figures["revenue_d"], figures["orders_d"]]
        return np.column_stack([c.to_numpy().astype(float) for c in cols])
    ones = np.ones(figures.height)
    before = figures[f"{metric}_b"].to_numpy().astype(float) * scale
    return np.column_stack([before, ones, figures[f"{metric}_d"].to_numpy().astype(float), ones])


def pre_period(sales: Sales, ids: pl.Series, start: dt.date) -> pl.DataFrame:
    """Per id: recency_days, frequency, monetary from the orders before the campaign; without orders, recency is
    the days since the first day of the data plus one, frequency and monetary 0."""
    history = (sales.orders.filter(pl.col("day") < start).filter(pl.col("customer_id").is_in(ids.implode()))
               .group_by("customer_id").agg(pl.col("day").filter(pl.col("is_order")).max().alias("last_day"),
                                            pl.col("is_order").sum().cast(pl.Float64).alias("frequency"),
                                            pl.col("revenue").sum().cast(pl.Float64).alias("monetary")))
    empty = (start - sales.first_day).days + 1
    return (pl.DataFrame({"customer_id": ids}).unique(maintain_order=True).join(history, on="customer_id", how="left")
            .with_columns((pl.lit(start) - pl.col("last_day")).dt.total_days().cast(pl.Float64).fill_null(float(empty))
                          .alias("recency_days"), pl.col("frequency").fill_null(0.0), pl.col("monetary").fill_null(0.0)))


def lookalikes(sales: Sales, figures: pl.DataFrame, members: pl.Series, scale: float) -> pl.DataFrame:
    """Non-members most like the campaign's responders, for its next wave. Responders: test members whose revenue
    during the campaign exceeds their (scaled) revenue before it. Each responder's nearest customer who is not a
    member (recency, frequency, monetary as of the analysis date, standardized); each look-alike listed once, with
    the responder it resembles most (the first, by customer id, on a tie of distance)."""
    from cjmgen.analyses.uplift_stats import nearest

    responders = figures.filter(pl.col("revenue_d") > pl.col("revenue_b") * scale)["customer_id"].unique().sort()
    candidates = sales.customers.filter(~pl.col("customer_id").is_in(members.implode()))["customer_id"].sort()
    schema = {"customer_id": pl.String, "recency_days": pl.Float64, "frequency": pl.Float64, "monetary": pl.Float64,
              "responder": pl.String}
    if responders.is_empty() or candidates.is_empty():
        return pl.DataFrame(schema=schema)
    day_after = sales.as_of + dt.timedelta(days=1)
    profile = pre_period(sales, pl.concat([responders, candidates]), day_after)
    features = profile.select(RFM_FEATURES).to_numpy()
    index = nearest(features[: responders.len()], features[responders.len():])
    pairs = pl.DataFrame({"customer_id": candidates.gather(index), "responder": responders})
    return (pairs.unique("customer_id", keep="first", maintain_order=True)
            .join(profile.select("customer_id", *RFM_FEATURES), on="customer_id")
            .select(list(schema)).sort("customer_id"))
