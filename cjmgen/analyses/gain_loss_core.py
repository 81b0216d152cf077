"""Gain/loss arithmetic (METHODS §9), polars only: per customer and entity the revenue of two periods, the switching
flows between entities, and each entity's bridge from base to current revenue. Not an analysis (no `name`)."""

from __future__ import annotations

import polars as pl

from cjmgen.facts import MONEY_DECIMALS

COMPONENTS = ("base", "new", "lost", "gained_from", "lost_to", "retained_change", "current")
"""The rows of an entity's bridge, in order: base + new − lost + gained − lost to + retained change = current."""


def customer_entity(spend: pl.DataFrame) -> pl.DataFrame:
    """customer_id, entity, base, current, status from (customer_id, entity, window, amount) rows, window base |
    current. status: new (no line in the base window, at any entity), lost (none in the current one), retained."""
    sums = (spend.group_by("customer_id", "entity")
            .agg(pl.col("amount").filter(pl.col("window") == w).sum().round(MONEY_DECIMALS).alias(w)
                 for w in ("base", "current")))
    present = spend.group_by("customer_id").agg(
        (pl.col("window") == "base").any().alias("in_base"), (pl.col("window") == "current").any().alias("in_current"))
    status = (pl.when(~pl.col("in_base")).then(pl.lit("new")).when(~pl.col("in_current")).then(pl.lit("lost"))
              .otherwise(pl.lit("retained")))
    return (sums.join(present.select("customer_id", status.alias("status")), on="customer_id")
            .sort("customer_id", "entity"))


def switching(cells: pl.DataFrame) -> pl.DataFrame:
    """from, to, customers, revenue: retained customers' spend moved between entities. Per customer, the switched
    amount S = min(total decrease, total increase) over the entities; the flow from A to B is S × (A's share of the
    decreases) × (B's share of the increases)."""
    kept = cells.filter(pl.col("status") == "retained").with_columns((pl.col("current") - pl.col("base")).alias("d"))
    kept = kept.with_columns(pl.when(pl.col("d") < 0).then(-pl.col("d")).otherwise(0.0).alias("down"),
                             pl.when(pl.col("d") > 0).then(pl.col("d")).otherwise(0.0).alias("up"))
    totals = kept.group_by("customer_id").agg(pl.col("down").sum().alias("downs"), pl.col("up").sum().alias("ups"))
    moving = totals.filter((pl.col("downs") > 0) & (pl.col("ups") > 0)).with_columns(
        pl.min_horizontal("downs", "ups").alias("switched"))
    losers = kept.filter(pl.col("down") > 0).join(moving, on="customer_id").select(
        "customer_id", pl.col("entity").alias("from"), (pl.col("down") / pl.col("downs")).alias("from_share"),
        "switched")
    gainers = kept.filter(pl.col("up") > 0).join(moving, on="customer_id").select(
        "customer_id", pl.col("entity").alias("to"), (pl.col("up") / pl.col("ups")).alias("to_share"))
    pairs = losers.join(gainers, on="customer_id").with_columns(
        (pl.col("switched") * pl.col("from_share") * pl.col("to_share")).alias("revenue"))
    return (pairs.group_by("from", "to").agg(pl.col("customer_id").n_unique().alias("customers"),
                                            pl.col("revenue").sum())
            .with_columns(pl.col("customers").cast(pl.Int64)).sort("from", "to"))


def retained_change(cells: pl.DataFrame) -> pl.DataFrame:
    """entity, customers, revenue: retained customers' change at each entity not explained by switching (a
    customer's increase there beyond their switched share, minus their decrease beyond it)."""
    kept = cells.filter(pl.col("status") == "retained").with_columns((pl.col("current") - pl.col("base")).alias("d"))
    totals = kept.group_by("customer_id").agg(
        pl.when(pl.col("d") < 0).then(-pl.col("d")).otherwise(0.0).sum().alias("downs"),
        pl.when(pl.col("d") > 0).then(pl.col("d")).otherwise(0.0).sum().alias("ups"))
    switched = pl.min_horizontal("downs", "ups")
    own = (pl.when(pl.col("d") > 0).then(pl.col("d") * (1 - switched / pl.col("ups")))
           .when(pl.col("d") < 0).then(pl.col("d") * (1 - switched / pl.col("downs"))).otherwise(0.0))
    active = (pl.col("base") != 0) | (pl.col("current") != 0)
    return (kept.join(totals, on="customer_id").group_by("entity")
            .agg(active.sum().cast(pl.Int64).alias("customers"), own.sum().alias("revenue")))


def bridge(cells: pl.DataFrame, flows: pl.DataFrame) -> pl.DataFrame:
    """entity, component, counterpart, customers, revenue: every entity's base, new, lost, gained from and lost to
    each other entity, retained change and current revenue, so that the parts add up to the net change."""
    spent = (pl.col("base") != 0) | (pl.col("current") != 0)
    ends = cells.group_by("entity").agg(
        *[x for w in ("base", "current") for x in ((pl.col(w) != 0).sum().cast(pl.Int64).alias(f"{w}_n"),
                                                   pl.col(w).sum().alias(f"{w}_r"))],
        *[x for s, w, sign in (("new", "current", 1), ("lost", "base", -1)) for x in (
            (spent & (pl.col("status") == s)).sum().cast(pl.Int64).alias(f"{s}_n"),
            (pl.col(w).filter(pl.col("status") == s).sum() * sign).alias(f"{s}_r"))])
    parts = [ends.select("entity", pl.lit(c).alias("component"), pl.lit(None, pl.String).alias("counterpart"),
                         pl.col(f"{w}_n").alias("customers"), pl.col(f"{w}_r").alias("revenue"))
             for c, w in (("base", "base"), ("new", "new"), ("lost", "lost"), ("current", "current"))]
    parts.append(flows.select(pl.col("to").alias("entity"), pl.lit("gained_from").alias("component"),
                              pl.col("from").alias("counterpart"), "customers", "revenue"))
    parts.append(flows.select(pl.col("from").alias("entity"), pl.lit("lost_to").alias("component"),
                              pl.col("to").alias("counterpart"), "customers", (-pl.col("revenue")).alias("revenue")))
    within = retained_change(cells)
    parts.append(ends.select("entity").join(within, on="entity", how="left").select(
        "entity", pl.lit("retained_change").alias("component"), pl.lit(None, pl.String).alias("counterpart"),
        pl.col("customers").fill_null(0), pl.col("revenue").fill_null(0.0)))
    order = {c: i for i, c in enumerate(COMPONENTS)}
    table = balanced(pl.concat(parts, how="vertical_relaxed").with_columns(pl.col("revenue").round(MONEY_DECIMALS)))
    return (table.with_columns(pl.col("component").replace_strict(order, return_dtype=pl.Int64).alias("_order"))
            .sort("entity", "_order", "counterpart", nulls_last=False).drop("_order"))


def balanced(table: pl.DataFrame) -> pl.DataFrame:
    """The retained change set to current − base − the other parts of the rounded table, so the bridge adds up to
    the cent in the file; it equals `retained_change` (computed per customer) up to the rounding of the parts."""
    sign = pl.when(pl.col("component") == "current").then(1.0).when(pl.col("component") == "retained_change").then(0.0) \
        .otherwise(-1.0)
    rest = table.group_by("entity").agg((pl.col("revenue") * sign).sum().round(MONEY_DECIMALS).alias("_rest"))
    return table.join(rest, on="entity").with_columns(
        pl.when(pl.col("component") == "retained_change").then(pl.col("_rest")).otherwise(pl.col("revenue"))
        .alias("revenue")).drop("_rest")
