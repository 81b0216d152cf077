"""Gain/loss between two periods (METHODS §9): per store, category, channel, manager or competitor, the revenue
gained from new customers and from other entities, lost with lost customers and to other entities, and the change
within retained customers — parts that add up to the net change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cjmgen.analyses.base import Context, NeedsFor, Result, Table
from cjmgen.analyses.gain_loss_core import COMPONENTS, bridge, customer_entity, switching
from cjmgen.errors import Problem, UserError
from cjmgen.facts import Sales
from cjmgen.spec.common import Strict

__all__ = ["COMPONENTS", "GainLossResult", "Params", "compute", "default_windows", "name", "needs", "needs_for",
           "spec_block"]

name = "gain_loss"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

NO_ENTITY = "—"
OURS = "ours"
"""The client's own spend, as an entity among the competitors (dimension competitor)."""
TOP_FLOWS = 10
"""Switching flows the chapter lists (all are in tables/gain_loss.csv)."""


class Window(BaseModel):
    """A period: first and last day, both included."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: dt.date = Field(description="First day.")
    end: dt.date = Field(description="Last day (included).")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Windows(BaseModel):
    """The two periods compared."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base: Window = Field(description="The earlier period.")
    current: Window = Field(description="The later period.")

    @model_validator(mode="after")
    def _apart(self) -> Windows:
        if self.current.start <= self.base.end:
            raise ValueError("the current period must start after the base period ends")
        return self


class Params(Strict):
    """Revenue gained and lost between two periods per entity: new and lost customers, switching, retained change."""

    dimension: Literal["store", "category", "channel", "manager", "competitor"] = Field(
        "store", description="Entities compared: the order's store, channel or manager, the line's category, or the "
                             "competitors of the competitor_purchases source (the client's own spend is one entity).")
    periods: Windows | None = Field(
        None, description="{base: {start, end}, current: {start, end}}; default the last 12 months to the analysis "
                          "date vs the 12 before, or the data's two halves when it covers less than two years.")
    focus: str | None = Field(
        None, description="The entity whose bridge the chart draws (default the one with the most revenue in both "
                          "periods together).")


@dataclass(frozen=True)
class Step:
    """One bar of the focus entity's bridge."""

    component: str
    counterpart: str | None
    customers: int
    revenue: float


@dataclass(frozen=True)
class GainLossResult(Result):
    """Every entity's bridge from base to current revenue, the switching matrix and the focus entity's figures."""

    gain_loss: Annotated[pl.DataFrame, Table("gain_loss")]
    """entity, component, counterpart, customers, revenue (components in COMPONENTS order)."""
    switching: pl.DataFrame
    """from, to, customers, revenue: retained customers' spend moved from one entity to another."""
    top_flows: pl.DataFrame
    """The TOP_FLOWS largest switching flows (from, to, customers, revenue)."""
    entities: pl.DataFrame
    """entity, base, current, change, new, lost, switching (net), retained_change; largest first."""
    dimension: str
    base_start: dt.date
    base_end: dt.date
    current_start: dt.date
    current_end: dt.date
    windows: Literal["given", "years", "halves"]
    """How the periods were chosen: given in the spec, the last 12 months vs the 12 before, or the data's halves."""
    focus: str | None
    steps: list[Step]
    """The focus entity's bridge, base to current (None focus: empty)."""
    base: float
    current: float
    new: float
    lost: float
    net_switching: float
    retained: float
    """The focus entity's totals: revenue in both periods, and its parts."""


def needs_for(params: Params) -> NeedsFor:
    """The entity's column: an order or line column of transactions, or the competitor_purchases source."""
    if params.dimension == "competitor":
        return [(("dimension",), "competitor_purchases", c) for c in ("customer_id", "competitor", "date", "amount")]
    return [(("dimension",), "transactions", params.dimension)]


def compute(ctx: Context, params: Params) -> GainLossResult:
    """Spend per customer × entity in both periods, the switching flows and every entity's bridge."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    (b0, b1), (c0, c1), kind = default_windows(sales, params.periods)
    spend = windowed(entity_spend(ctx, params.dimension), (b0, b1), (c0, c1))
    cells = customer_entity(spend)
    flows = switching(cells)
    table = bridge(cells, flows)
    entities = entity_summary(table)
    focus = params.focus if params.focus is not None else (entities["entity"][0] if entities.height else None)
    if focus is not None and focus not in entities["entity"].to_list():
        raise UserError(Problem(_where(ctx), f"focus {focus!r} is not among the {params.dimension} values of the two "
                                             f"periods", "analyses.gain_loss.focus"))
    steps = [Step(r["component"], r["counterpart"], r["customers"], r["revenue"])
             for r in table.filter(pl.col("entity") == pl.lit(focus, pl.String)).to_dicts()]
    row = entities.filter(pl.col("entity") == pl.lit(focus, pl.String)).to_dicts()
    got = row[0] if row else {}
    return GainLossResult(
        gain_loss=table, switching=flows, entities=entities,
        top_flows=flows.sort(["revenue", "from", "to"], descending=[True, False, False]).head(TOP_FLOWS), dimension=params.dimension, base_start=b0, base_end=b1,
        current_start=c0, current_end=c1, windows=kind, focus=focus, steps=steps,
        base=float(got.get("base", 0.0)), current=float(got.get("current", 0.0)), new=float(got.get("new", 0.0)),
        lost=float(got.get("lost", 0.0)), net_switching=float(got.get("switching", 0.0)),
        retained=float(got.get("retained_change", 0.0)))


def _where(ctx: Context) -> str:
    return str(getattr(ctx.spec, "path", None) or "spec")


Span = tuple[dt.date, dt.date]


def default_windows(sales: Sales, given: Windows | None) -> tuple[Span, Span, Literal["given", "years", "halves"]]:
    """The spec's periods; else the 12 months to as_of vs the 12 before when the data covers them (a year ago is
    the same calendar day, Feb 29 falling back to Feb 28), else the data's span cut into two equal halves."""
    if given is not None:
        return (given.base.start, given.base.end), (given.current.start, given.current.end), "given"
    as_of = sales.as_of
    start = _years_before(as_of, 1) + dt.timedelta(days=1)
    earlier = _years_before(as_of, 2) + dt.timedelta(days=1)
    if earlier >= sales.first_day:
        return (earlier, start - dt.timedelta(days=1)), (start, as_of), "years"
    half = max(((as_of - sales.first_day).days + 1) // 2, 1)
    middle = as_of - dt.timedelta(days=half)
    return (middle - dt.timedelta(days=half - 1), middle), (middle + dt.timedelta(days=1), as_of), "halves"


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # February 29th
        return day.replace(year=day.year - years, day=28)


def entity_spend(ctx: Context, dimension: str) -> pl.DataFrame:
    """customer_id, entity, day, amount for every identified customer's line (category), order-day (store,
    channel, manager) or purchase (the client's own and competitors')."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    if dimension == "category":
        frame = sales.lines.select("customer_id", pl.col("category").cast(pl.String).alias("entity"), "day",
                                   pl.col("amount").cast(pl.Float64))
    else:
        own = pl.lit(OURS) if dimension == "competitor" else pl.col(dimension).cast(pl.String)
        frame = sales.order_days.select("customer_id", own.alias("entity"), "day",
                                        pl.col("revenue").cast(pl.Float64).alias("amount"))
    if dimension == "competitor":
        others = ctx.facts.tables["competitor_purchases"].select(
            pl.col("customer_id").cast(pl.String), pl.col("competitor").cast(pl.String).alias("entity"),
            pl.col("date").dt.date().alias("day"), pl.col("amount").cast(pl.Float64))
        frame = pl.concat([frame.with_columns(pl.col("customer_id").cast(pl.String)),
                           others.filter(pl.col("day") <= sales.as_of)])
    return frame.filter(pl.col("customer_id").is_not_null() & pl.col("amount").is_not_null()).with_columns(
        pl.col("customer_id").cast(pl.String), pl.col("entity").fill_null(NO_ENTITY))


def windowed(spend: pl.DataFrame, base: Span, current: Span) -> pl.DataFrame:
    """The rows of either period, with window base | current."""
    which = (pl.when(pl.col("day").is_between(pl.lit(base[0]), pl.lit(base[1]))).then(pl.lit("base"))
             .when(pl.col("day").is_between(pl.lit(current[0]), pl.lit(current[1]))).then(pl.lit("current")))
    return spend.with_columns(which.alias("window")).filter(pl.col("window").is_not_null()).select(
        "customer_id", "entity", "window", "amount")


def entity_summary(table: pl.DataFrame) -> pl.DataFrame:
    """One row per entity: base and current revenue, the change, and its parts (switching netted); largest first."""
    wide = table.group_by("entity", "component").agg(pl.col("revenue").sum()).pivot(
        "component", index="entity", values="revenue")
    missing = [pl.lit(0.0).alias(c) for c in COMPONENTS if c not in wide.columns]
    wide = wide.with_columns(*missing).with_columns(pl.col(list(COMPONENTS)).fill_null(0.0))
    return wide.select(
        "entity", "base", "current", (pl.col("current") - pl.col("base")).round(6).alias("change"), "new", "lost",
        (pl.col("gained_from") + pl.col("lost_to")).round(6).alias("switching"), "retained_change",
    ).sort([pl.col("base") + pl.col("current"), pl.col("entity")], descending=[True, False])
