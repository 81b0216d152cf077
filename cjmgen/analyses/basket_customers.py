"""Customer-side product analytics (METHODS §7): sequence rules across a customer's orders, repurchase cycles,
RFM-P (lapse per customer × product) and next best product. All need identified purchases:
(customer_id, order_id, day, item) rows of basket lines with a customer id."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import polars as pl

from cjmgen.analyses.basket_rules import SEPARATOR

__all__ = ["INTERPOLATION", "MIN_REPEAT_BUYERS", "cycles", "next_best", "rfmp", "sequence_rules", "substituted"]

INTERPOLATION: Literal["linear"] = "linear"
MIN_REPEAT_BUYERS = 5
"""An item's cycle is read from at least this many customers who bought it on two days or more; with fewer, RFM-P
gives it no cycle and no status."""


def substituted(purchases: pl.DataFrame, substitutes: dict[str, list[str]]) -> pl.DataFrame:
    """Items of a substitute group replaced by the group's name (they count as one item)."""
    if not substitutes:
        return purchases
    mapping = {item: group for group, items in substitutes.items() for item in items}
    return purchases.with_columns(pl.col("item").replace(mapping))


def sequence_rules(purchases: pl.DataFrame, frequent: pl.Series, as_of: dt.date, within_days: int,
                   min_support: float, min_confidence: float) -> pl.DataFrame:
    """"After A, B within t days" between frequent items, on each customer's first purchase day of each item.

    A customer counts for A → B when their first A is at least t days before as_of (the whole window is observed)
    and they had not bought B by that day; the rule holds for them when their first B comes 1..t days later.
    confidence = customers for whom it holds / customers it counts for; median_days = median lag of those.
    Kept: customers ≥ min_support × customers with a purchase, confidence ≥ min_confidence."""
    customers = max(purchases["customer_id"].n_unique(), 1)
    need = min_support * customers  # a rule's customers bought A early enough and B: prune items below that
    known = frequent.unique().sort()
    first = _first_days(purchases, known, need)
    cut = (as_of - dt.timedelta(days=within_days) - dt.date(1970, 1, 1)).days
    start = first.filter(pl.col("first") <= cut).filter(pl.len().over("item") >= need).select(
        "who", pl.col("item").alias("antecedent"), pl.col("first").alias("fa"))
    counted = start.group_by("antecedent").agg(pl.len().cast(pl.Int64).alias("_base"))
    # one integer key per (antecedent, consequent): grouping ten million rows on one Int64 is much faster than on two
    key = pl.col("antecedent").cast(pl.Int64) * _KEY + pl.col("consequent")
    both = (start.lazy().join(first.lazy().select("who", pl.col("item").alias("consequent"), pl.col("first").alias("fb")),
                              on="who")
            .filter(pl.col("antecedent") != pl.col("consequent"))
            .select(key.alias("pair"), (pl.col("fb") - pl.col("fa")).alias("lag")).collect())
    within = (pl.col("lag") > 0) & (pl.col("lag") <= within_days)
    hits = both.filter(within).group_by("pair").agg(pl.len().cast(pl.Int64).alias("customers"),
                                                   pl.col("lag").median().alias("median_days")).filter(
        pl.col("customers") >= max(need, 1))
    before = both.filter(pl.col("lag") <= 0).group_by("pair").agg(pl.len().cast(pl.Int64).alias("_before"))
    tallies = hits.join(before, on="pair", how="left").with_columns(
        (pl.col("pair") // _KEY).cast(pl.Int32).alias("antecedent"), (pl.col("pair") % _KEY).cast(pl.Int32).alias("consequent"))
    names = pl.DataFrame({"item": known}).with_row_index("code").with_columns(pl.col("code").cast(pl.Int32))
    return _named_rules(tallies, counted, names, customers, min_support, min_confidence)


def _first_days(purchases: pl.DataFrame, known: pl.Series, need: float) -> pl.DataFrame:
    """who, item (integer codes of `known`), first purchase day — items with fewer than `need` customers left out."""
    width = max(known.len(), 1)
    # customer × item as one integer while grouping; then customer (who) and item as integer codes
    pair = pl.col("customer_id").cast(pl.Int64) * width + pl.col("item").cast(pl.Enum(known)).to_physical().cast(pl.Int64)
    return (purchases.lazy().filter(pl.col("item").is_in(known.implode()))
            .group_by(pair.alias("_pair")).agg(pl.col("day").min().cast(pl.Int32).alias("first"))
            .select((pl.col("_pair") // width).cast(pl.Int32).alias("who"),
                    (pl.col("_pair") % width).cast(pl.Int32).alias("item"), "first")
            .filter(pl.len().over("item") >= need).collect())


def _named_rules(tallies: pl.DataFrame, counted: pl.DataFrame, names: pl.DataFrame, customers: int,
                 min_support: float, min_confidence: float) -> pl.DataFrame:
    """Item codes back to names, confidence over the customers each rule counts for, thresholds, sorted."""
    for side in ("antecedent", "consequent"):
        tallies = tallies.join(names.rename({"code": side, "item": f"_{side}"}), on=side).drop(side).rename(
            {f"_{side}": side})
    return (tallies.join(counted.join(names.rename({"code": "antecedent"}), on="antecedent").drop("antecedent").rename(
                {"item": "antecedent"}), on="antecedent")
            .with_columns((pl.col("customers") / (pl.col("_base") - pl.col("_before").fill_null(0))).alias("confidence"))
            .filter((pl.col("customers") / customers >= min_support) & (pl.col("confidence") >= min_confidence))
            .select("antecedent", "consequent", "customers", "confidence", pl.col("median_days").cast(pl.Float64))
            .sort(["confidence", "customers", "antecedent", "consequent"], descending=[True, True, False, False]))


_KEY = 1 << 31
"""Pair key = antecedent code × _KEY + consequent code (codes are Int32)."""


def cycles(purchases: pl.DataFrame) -> pl.DataFrame:
    """Per item: buyers, repeat buyers (two purchase days or more), median and 80th percentile of the days between
    a customer's consecutive purchase days of it (pooled over customers; null without a repeat)."""
    names = purchases["item"].unique().sort()
    people = _people(purchases)
    first_day = purchases.select(pl.col("day").cast(pl.Int32).min().fill_null(0)).item()
    # (item, customer, day) packed into one Int64: sorting and deduplicating one integer column is the fast way;
    # a gap is the day minus the previous day of the same item × customer
    pair = (pl.col("item").cast(pl.Enum(names)).to_physical().cast(pl.Int64) * people
            + pl.col("customer_id").cast(pl.Int64))
    packed = (pair * _DAYS + (pl.col("day").cast(pl.Int32) - first_day)).alias("packed")
    days = (purchases.lazy().select(packed).unique().sort("packed")
            .select((pl.col("packed") // _DAYS).alias("key"), (pl.col("packed") % _DAYS).alias("day"))
            .with_columns((pl.col("key") // people).alias("code"),
                          pl.when(pl.col("key") == pl.col("key").shift()).then(pl.col("day") - pl.col("day").shift())
                          .alias("gap")).collect())
    per_customer = days.group_by("key").agg(pl.col("code").first(), pl.len().alias("days"))
    buyers = per_customer.group_by("code").agg(pl.len().cast(pl.Int64).alias("buyers"),
                                               (pl.col("days") >= 2).sum().cast(pl.Int64).alias("repeat_buyers"))
    lags = days.drop_nulls("gap").group_by("code").agg(
        pl.col("gap").quantile(0.5, INTERPOLATION).alias("median_days"),
        pl.col("gap").quantile(0.8, INTERPOLATION).alias("p80_days"))
    items = pl.DataFrame({"item": names}).with_row_index("code").with_columns(pl.col("code").cast(pl.Int64))
    return (buyers.join(lags, on="code", how="left").join(items, on="code")
            .select("item", "buyers", "repeat_buyers", pl.col("median_days").cast(pl.Float64),
                    pl.col("p80_days").cast(pl.Float64))
            .sort(["buyers", "item"], descending=[True, False]))


def _people(purchases: pl.DataFrame) -> int:
    """Customer numbers run below this (customers are numbered 0, 1, … while computing)."""
    top = purchases.select(pl.col("customer_id").max()).item()
    return int(top) + 1 if top is not None else 1


_DAYS = 1 << 17
"""Days a packed (item, customer, day) key spans: 358 years of purchases."""


def rfmp(purchases: pl.DataFrame, cycle_table: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Customer × item (items with a cycle): purchases (orders with it), last_date, days_since, cycle_days (the item's
    median) and status: active (days_since ≤ median), due (≤ 80th percentile), lapsed (beyond)."""
    known = (cycle_table.filter((pl.col("repeat_buyers") >= MIN_REPEAT_BUYERS) & pl.col("median_days").is_not_null())
             .select("item", pl.col("median_days").alias("cycle_days"), "p80_days"))
    names = known["item"].sort()
    people = _people(purchases)
    # customer × item as one integer (items without a cycle dropped first): grouping on it is the fast way
    code = pl.col("item").cast(pl.Enum(names)).to_physical().cast(pl.Int64)
    per = (purchases.lazy().filter(pl.col("item").is_in(names.implode()))
           .group_by((code * people + pl.col("customer_id").cast(pl.Int64)).alias("key"))
           .agg(pl.col("order_id").n_unique().cast(pl.Int64).alias("purchases"), pl.col("day").max().alias("last_date"))
           .select((pl.col("key") % people).cast(purchases.schema["customer_id"]).alias("customer_id"),
                   (pl.col("key") // people).alias("code"), "purchases", "last_date")
           .sort("customer_id", "code").collect())
    items = known.with_columns(code.alias("code"))
    since = (pl.lit(as_of) - pl.col("last_date")).dt.total_days().cast(pl.Int64)
    return (per.join(items, on="code", maintain_order="left")
            .with_columns(since.alias("days_since"))
            .with_columns(pl.when(pl.col("days_since") <= pl.col("cycle_days")).then(pl.lit("active"))
                          .when(pl.col("days_since") <= pl.col("p80_days")).then(pl.lit("due"))
                          .otherwise(pl.lit("lapsed")).alias("status"))
            .select("customer_id", "item", "purchases", "last_date", "days_since", "cycle_days", "status"))


def next_best(purchases: pl.DataFrame, co_purchase: pl.DataFrame, rules: pl.DataFrame, n: int) -> pl.DataFrame:
    """Top n items per customer that they never bought, scored by the highest confidence of a rule (or, below the
    thresholds, of a co-purchase pair) whose antecedent they bought; reason = that antecedent (the first
    alphabetically among equal scores); items of equal score in alphabetical order."""
    multi = rules.filter(pl.col("antecedent").str.contains(SEPARATOR, literal=True))
    # every (consequent, reason) a customer can be offered, in the order of preference: score, item, reason. An
    # offer's place in that order (its "pick") is all that the per-customer steps need: integers only.
    offers = (pl.concat([co_purchase.select("antecedent", "consequent", "confidence", pl.lit(False).alias("multi")),
                         multi.select("antecedent", "consequent", "confidence", pl.lit(True).alias("multi"))])
              .sort(["confidence", "consequent", "antecedent"], descending=[True, False, False])
              .with_row_index("pick"))
    names = pl.concat([purchases["item"], offers["consequent"], co_purchase["antecedent"]]).unique().sort()
    kind = pl.Enum(names)
    code = pl.col("item").cast(kind).to_physical().cast(pl.Int64)
    width = max(names.len(), 1)
    bought = (purchases.select((pl.col("customer_id").cast(pl.Int64) * width + code).alias("key")).unique()
              .with_columns((pl.col("key") // width).alias("customer_id"), (pl.col("key") % width).alias("item")))
    offers = offers.with_columns(pl.col("consequent").cast(kind).to_physical().cast(pl.Int64).alias("item"),
                                 pl.col("antecedent").cast(kind, strict=False).to_physical().cast(pl.Int64).alias("had"))
    multi_offers = offers.filter(pl.col("multi"))
    parts = (multi_offers.select("pick", pl.col("antecedent").str.split(SEPARATOR).alias("item")).explode("item")
             .unique().with_columns(pl.col("item").cast(kind, strict=False).to_physical().cast(pl.Int64)))
    if width > _MASK_BITS:
        best = _picks(bought, offers, multi_offers, parts, width, n)
    else:
        # customers with the same set of items get the same offers: compute them once per distinct set (a bit mask)
        bit = pl.col("item").replace_strict(list(range(width)), [1 << i for i in range(width)], return_dtype=pl.Int64)
        masks = bought.group_by("customer_id").agg(bit.sum().alias("mask"))
        sets = masks.select(pl.col("mask").unique().sort()).with_row_index("set").with_columns(pl.col("set").cast(pl.Int64))
        members = masks.join(sets, on="mask").select("customer_id", "set")
        first = members.group_by("set").agg(pl.col("customer_id").min().alias("one"))
        one_each = bought.join(first, left_on="customer_id", right_on="one").select(
            (pl.col("set") * width + pl.col("item")).alias("key"), pl.col("set").alias("customer_id"), "item")
        best = (members.join(_picks(one_each, offers, multi_offers, parts, width, n).rename({"customer_id": "set"}),
                             on="set").drop("set").sort("customer_id", "rank"))
    return (best.with_columns(pl.col("customer_id").cast(purchases.schema["customer_id"]))
            .join(offers.select("pick", pl.col("consequent").alias("item"), pl.col("confidence").alias("score"),
                                pl.col("antecedent").alias("reason")), on="pick", how="left", maintain_order="left")
            .select("customer_id", "item", "score", "rank", "reason"))


_MASK_BITS = 62
"""Up to this many items, a customer's set of items is one Int64 bit mask."""


def _picks(bought: pl.DataFrame, offers: pl.DataFrame, multi_offers: pl.DataFrame, parts: pl.DataFrame, width: int,
           n: int) -> pl.DataFrame:
    """customer_id, pick, rank: the n best picks of items the customer never bought (bought: key, customer_id, item
    with key = customer_id × width + item)."""
    key = pl.col("customer_id").cast(pl.Int64) * width + pl.col("item")  # customer × item as one integer
    singles = bought.lazy().join(offers.lazy().filter(~pl.col("multi")).select("had", "pick", pl.col("item").alias("offer")),
                                 left_on="item", right_on="had").select("customer_id", "pick", pl.col("offer").alias("item"))
    found = [singles]
    if multi_offers.height:
        size = parts.group_by("pick").agg(pl.len().alias("size"))
        met = (bought.lazy().join(parts.lazy().drop_nulls("item"), on="item")
               .group_by("customer_id", "pick").agg(pl.len().alias("had"))
               .join(size.lazy(), on="pick").filter(pl.col("had") == pl.col("size")))
        found.append(met.join(multi_offers.lazy().select("pick", "item"), on="pick").select("customer_id", "pick", "item"))
    # an item they bought is never offered; per customer, the n best picks of distinct items
    return (pl.concat(found).select(key.alias("key"), "pick")
            .join(bought.lazy().select("key"), on="key", how="anti")
            .group_by("key").agg(pl.col("pick").min())
            .group_by((pl.col("key") // width).alias("customer_id")).agg(pl.col("pick").bottom_k(n))
            .explode("pick").sort("customer_id", "pick")
            .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("customer_id").alias("rank"))
            .collect())
