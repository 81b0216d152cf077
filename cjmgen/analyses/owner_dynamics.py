"""Client-base dynamics per owner (METHODS §9): per period, each owner's active customers split into new and repeat
by order-number band, and who grows a repeat base ("farmer") vs who mostly brings new customers ("hunter")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import Field, field_validator

from cjmgen.analyses.base import Context, Result, Table
from cjmgen.facts import numbered_orders as numbered
from cjmgen.periods import GRACE_DAYS, period_index, period_label
from cjmgen.spec.common import IntList, Strict

__all__ = ["MAX_CHARTED", "OwnerResult", "Params", "compute", "name", "needs", "needs_for", "spec_block"]

name = "owner_dynamics"
spec_block = None
needs = {"transactions": ("customer_id", "date", "amount")}

NO_OWNER = "—"
NETWORK = "network"
ALL_OWNERS = "all owners"
MAX_CHARTED = 8
"""Owners drawn in the small multiples; more are summarised in the tables."""


class Params(Strict):
    """New and repeat customers per owner and period, repeat customers banded by order number."""

    owner: Literal["manager", "store", "channel"] = Field(
        "store", description="Who owns an order: the order's manager, store or channel (the transactions column).")
    period: Literal["month", "quarter"] = Field("quarter", description="Period of the dynamics.")
    bands: IntList = Field(
        default_factory=lambda: [2, 3, 5],
        description="Lower bounds of the repeat bands by order number, starting at 2: [2, 3, 5] = orders 2, 3–4, 5+.")
    margin: float = Field(
        0.05, ge=0, le=1, description="How far (0.05 = 5 percentage points) an owner's repeat-base growth or new share "
                                      "must exceed all owners pooled to be called a farmer or a hunter.")
    min_customers: int = Field(
        30, ge=1, description="An owner with fewer active customers over the compared periods is too small to be "
                              "named a farmer or a hunter in the text; it stays in the tables, flagged.")

    @field_validator("bands")
    @classmethod
    def _ascending(cls, bands: list[int]) -> list[int]:
        if not bands or bands[0] != 2 or any(x >= y for x, y in zip(bands, bands[1:], strict=False)) or len(bands) > 8:
            raise ValueError(f"expected 1–8 strictly ascending order numbers starting at 2, e.g. [2, 3, 5], got {bands}")
        return bands

    @property
    def grace_days(self) -> int:
        """Days the data may start after a period and still cover it (the methodology quotes it)."""
        return GRACE_DAYS

    def band_names(self) -> list[tuple[int, str, str]]:
        """(lower bound, label, column) per band: (3, '3–4', 'repeat_3_4'), (5, '5+', 'repeat_5_plus')."""
        out = []
        for i, low in enumerate(self.bands):
            high = self.bands[i + 1] - 1 if i + 1 < len(self.bands) else None
            if high is None:
                out.append((low, f"{low}+", f"repeat_{low}_plus"))
            elif high == low:
                out.append((low, str(low), f"repeat_{low}"))
            else:
                out.append((low, f"{low}–{high}", f"repeat_{low}_{high}"))
        return out


@dataclass(frozen=True)
class OwnerResult(Result):
    """Owner × period counts, each owner's summary with its type, the network's figures and the named types."""

    owner: str
    period: str
    reference: dict[str, Any]
    """The owner summary of all owners pooled (what types compare with)."""
    network: dict[str, Any]
    """The owner summary of every order taken as one owner (each customer counted once)."""
    margin: float
    bands: list[str]
    band_columns: list[str]
    owners: int
    charted: list[str]
    """Owners drawn in the small multiples (the MAX_CHARTED with the most active customers)."""
    types: dict[str, list[str]]
    """farmer / hunter / mixed → owners of that type with at least min_customers active customers (named in text)."""
    small_owners: list[str]
    """Owners under min_customers: typed in the tables, flagged, never named in sentences."""
    min_customers: int
    network_periods: list[dict[str, Any]]
    last_period_rows: pl.DataFrame
    """The owner × period rows of the last compared period."""
    dynamics: Annotated[pl.DataFrame, Table("owner_dynamics")]
    summary: Annotated[pl.DataFrame, Table("owner_summary")]


def needs_for(params: Params) -> list[tuple[tuple[str | int, ...], str, str]]:
    """The owner column: checked against the data and located at `owner` before any compute."""
    return [(("owner",), "transactions", params.owner)]


def compute(ctx: Context, params: Params) -> OwnerResult:
    """The owner × period table, each owner's summary with its type, and the network's figures."""
    assert ctx.facts is not None and ctx.facts.sales is not None
    sales = ctx.facts.sales
    numbered = numbered_orders(sales.orders, params.owner)
    last = int(pl.select(period_index(pl.lit(sales.as_of), params.period)).item())
    dynamics = owner_table(numbered, params, last)
    network = owner_table(numbered.with_columns(pl.lit(NETWORK).alias("owner")), params, last)
    first, last_period = comparison(complete_periods(dynamics, sales.first_day, sales.as_of, params.period), params.period)
    reference = summarise(pooled(dynamics), first, last_period).row(0, named=True)
    summary = classify(summarise(dynamics, first, last_period), reference, params.margin)
    small = summary.filter(pl.col("active_customers") < params.min_customers)["owner"].to_list()
    named = summary.filter(~pl.col("owner").is_in(small))
    return OwnerResult(
        owner=params.owner, period=params.period, reference=reference,
        network=summarise(network, first, last_period).row(0, named=True), margin=params.margin,
        bands=[label for _, label, _ in params.band_names()], band_columns=[c for *_, c in params.band_names()],
        owners=summary.height, charted=summary.head(MAX_CHARTED)["owner"].to_list(),
        types={k: named.filter(pl.col("type") == k)["owner"].to_list() for k in ("farmer", "hunter", "mixed")},
        small_owners=small, min_customers=params.min_customers, network_periods=network.drop("owner").to_dicts(),
        last_period_rows=dynamics.filter(pl.col("period") == last_period), dynamics=dynamics, summary=summary)


def numbered_orders(orders: pl.DataFrame, owner: str) -> pl.DataFrame:
    """Real orders of identified customers with the customer's order number (all owners, by time, then order id)
    and the order's owner ("—" when empty)."""
    return numbered(orders).select(
        "customer_id", "day", pl.col(owner).cast(pl.String).fill_null(NO_OWNER).alias("owner"), "order_number")


def owner_table(numbered: pl.DataFrame, params: Params, last: int) -> pl.DataFrame:
    """One row per owner × period from the first period with an order to the period of as_of (empty periods are
    zeros): each active customer counted once, by the order number of their first order with the owner there."""
    keyed = numbered.with_columns(period_index(pl.col("day"), params.period).alias("index"))
    first = keyed.group_by("owner", "index", "customer_id").agg(pl.col("order_number").min())
    bands = params.band_names()
    counts = [(pl.col("order_number") == 1).sum().alias("new_customers"),
              (pl.col("order_number") > 1).sum().alias("repeat_customers")]
    for i, (low, _, column) in enumerate(bands):
        upper = bands[i + 1][0] if i + 1 < len(bands) else None
        inside = (pl.col("order_number") >= low) & (pl.col("order_number") < upper if upper else pl.lit(True))
        counts.append(inside.sum().alias(column))
    cells = first.group_by("owner", "index").agg(*counts, pl.len().alias("active_customers"))
    start = int(keyed["index"].cast(pl.Int64).min() or last) if keyed.height else last  # type: ignore[arg-type]
    grid = (pl.DataFrame({"owner": sorted(keyed["owner"].unique().to_list())}, schema={"owner": pl.String})
            .join(pl.DataFrame({"index": list(range(start, last + 1))}, schema={"index": pl.Int64}), how="cross"))
    columns = ["new_customers", "repeat_customers", *[c for *_, c in bands], "active_customers"]
    table = grid.join(cells, on=["owner", "index"], how="left").with_columns(pl.col(columns).fill_null(0).cast(pl.Int64))
    return table.sort("owner", "index").select(
        "owner", period_label(pl.col("index"), params.period).alias("period"), *columns,
        pl.when(pl.col("active_customers") > 0).then(pl.col("repeat_customers") / pl.col("active_customers"))
        .otherwise(None).alias("repeat_share"))


def period_bounds(label: str, period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a YYYY-MM or YYYY-Qn period."""
    year = int(label[:4])
    month = int(label[5:]) if period == "month" else (int(label[6]) - 1) * 3 + 1
    span = 1 if period == "month" else 3
    after = dt.date(year + (month + span - 1) // 12, (month + span - 1) % 12 + 1, 1)
    return dt.date(year, month, 1), after - dt.timedelta(days=1)


def complete_periods(dynamics: pl.DataFrame, first_day: dt.date, as_of: dt.date, period: str) -> list[str]:
    """Periods wholly observed (the data starts at most GRACE_DAYS after the period starts; the period ends by
    as_of); all periods when none is."""
    labels = sorted(dynamics["period"].unique().to_list())
    grace = dt.timedelta(days=GRACE_DAYS)
    whole = [p for p in labels if period_bounds(p, period)[0] + grace >= first_day and period_bounds(p, period)[1] <= as_of]
    return whole or labels


def comparison(window: list[str], period: str) -> tuple[str, str]:
    """(first, last): the last complete period and the same period a year before when the window has it (same
    season), else the window's first period."""
    last = window[-1]
    year_ago = f"{int(last[:4]) - 1}{last[4:]}"
    return (year_ago if year_ago in window else window[0]), last


def summarise(dynamics: pl.DataFrame, first: str, last: str) -> pl.DataFrame:
    """Per owner: repeat customers in the first and last comparison periods and their growth; new customers as a
    share of active customers summed over the periods from first to last."""
    span = dynamics.filter(pl.col("period").is_between(pl.lit(first), pl.lit(last)))

    def at(label: str, column: str) -> pl.DataFrame:
        return span.filter(pl.col("period") == label).select("owner", pl.col("repeat_customers").alias(column))

    totals = span.group_by("owner").agg(pl.col("new_customers").sum(), pl.col("active_customers").sum())
    return (totals.join(at(first, "repeat_first"), on="owner", how="left")
            .join(at(last, "repeat_last"), on="owner", how="left")
            .with_columns(
                pl.lit(first).alias("first_period"), pl.lit(last).alias("last_period"),
                pl.when(pl.col("repeat_first") > 0).then(pl.col("repeat_last") / pl.col("repeat_first") - 1)
                .otherwise(None).alias("repeat_growth"),
                pl.when(pl.col("active_customers") > 0).then(pl.col("new_customers") / pl.col("active_customers"))
                .otherwise(None).alias("new_share"))
            .sort(["active_customers", "owner"], descending=[True, False])
            .select("owner", "first_period", "last_period", "repeat_first", "repeat_last", "repeat_growth",
                    "new_customers", "active_customers", "new_share"))


def pooled(dynamics: pl.DataFrame) -> pl.DataFrame:
    """All owners summed per period (a customer buying from two owners counts at each): the reference owners are
    compared with, counted the same way they are."""
    columns = [c for c in dynamics.columns if c.endswith("_customers") or c.startswith("repeat_") and c != "repeat_share"]
    return dynamics.group_by("period").agg(pl.col(columns).sum()).with_columns(pl.lit(ALL_OWNERS).alias("owner"))


def classify(summary: pl.DataFrame, reference: dict[str, Any], margin: float) -> pl.DataFrame:
    """farmer: a growing repeat base, its growth at least `margin` above all owners pooled, the new share not;
    hunter: a new share at least `margin` above theirs, the repeat growth not; mixed: both, neither, or no comparison."""
    growth, new = reference["repeat_growth"], reference["new_share"]
    if growth is None or new is None:
        return summary.with_columns(pl.lit("mixed").alias("type"))
    farms = ((pl.col("repeat_growth") > 0) & (pl.col("repeat_growth") >= growth + margin)).fill_null(False)
    hunts = (pl.col("new_share") >= new + margin).fill_null(False)
    kind = (pl.when(farms & ~hunts).then(pl.lit("farmer")).when(hunts & ~farms).then(pl.lit("hunter"))
            .otherwise(pl.lit("mixed")))
    return summary.with_columns(kind.alias("type"))
