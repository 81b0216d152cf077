"""Association rules within baskets (METHODS §7), in polars: baskets, frequent items, pairs and triples, rules.

Items are coded as integers before the self-joins (a join on small integers is several times faster than on text)
and decoded at the end. Pairs come from a self-join of the (basket, frequent item) rows with a < b; triples extend
the frequent pairs by a third frequent item c > b of the same basket. No Python loop runs over baskets.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cjmgen.facts import basket_lines

__all__ = ["Itemsets", "RULE_COLUMNS", "SEPARATOR", "basket_items", "itemsets", "rules", "pair_rules"]

SEPARATOR = " + "
"""Joins the items of a rule's antecedent (sorted alphabetically)."""

RULE_COLUMNS = ("antecedent", "consequent", "orders", "support", "confidence", "lift")


def basket_items(lines: pl.DataFrame, item: str) -> tuple[pl.DataFrame, int]:
    """(order_id, item) once per basket and distinct item, and the number of baskets."""
    kept = basket_lines(lines, item).select("order_id", "item")
    baskets = int(kept.select(pl.col("order_id").n_unique()).collect().item())
    pairs = kept.drop_nulls("item").unique().collect(engine="streaming")
    return pairs, baskets


@dataclass(frozen=True)
class Itemsets:
    """Frequent itemsets with their basket counts: items (item, orders), pairs (a, b, orders) with a < b, triples
    (a, b, c, orders) with a < b < c (empty unless max_len is 3)."""

    items: pl.DataFrame
    pairs: pl.DataFrame
    triples: pl.DataFrame


def itemsets(orders_items: pl.DataFrame, baskets: int, min_support: float, max_len: int) -> Itemsets:
    """Every itemset of up to max_len items whose support (baskets with all of them / all baskets) ≥ min_support."""
    counts = orders_items.group_by("item").agg(pl.len().cast(pl.Int64).alias("orders"))
    frequent = counts.filter(pl.col("orders") / max(baskets, 1) >= min_support).sort("item")
    codes = frequent.with_columns(pl.int_range(pl.len(), dtype=pl.Int32).alias("code"))
    coded = (orders_items.lazy().filter(pl.col("item").is_in(frequent["item"].implode()))
             .select(pl.col("order_id").rank("dense").cast(pl.Int64).alias("basket"),
                     pl.col("item").cast(pl.Enum(frequent["item"])).to_physical().cast(pl.Int32).alias("code")))
    left = coded.rename({"code": "a"})
    right = coded.rename({"code": "b"})
    pair_rows = left.join(right, on="basket").filter(pl.col("a") < pl.col("b"))
    pairs = (pair_rows.group_by("a", "b").agg(pl.len().cast(pl.Int64).alias("orders"))
             .filter(pl.col("orders") / max(baskets, 1) >= min_support).collect(engine="streaming"))
    triples = pl.DataFrame(schema={"a": pl.Int32, "b": pl.Int32, "c": pl.Int32, "orders": pl.Int64})
    if max_len >= 3 and pairs.height:
        # candidates: every pair inside a < b < c frequent (a frequent triple has only frequent pairs)
        known = pairs.lazy().select("a", "b")
        candidates = (known.join(known.rename({"b": "c"}), on="a").filter(pl.col("c") > pl.col("b"))
                      .join(known.rename({"a": "b", "b": "c"}), on=["b", "c"], how="semi"))
        rows = (pair_rows.join(candidates, on=["a", "b"])
                .join(coded.rename({"code": "c"}), on=["basket", "c"], how="semi"))
        triples = (rows.group_by("a", "b", "c").agg(pl.len().cast(pl.Int64).alias("orders"))
                   .filter(pl.col("orders") / max(baskets, 1) >= min_support).collect(engine="streaming"))
    decode = dict(zip(codes["code"].to_list(), codes["item"].to_list(), strict=True))
    names = pl.DataFrame({"code": list(decode), "item": list(decode.values())},
                         schema={"code": pl.Int32, "item": pl.String})

    def named(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
        for column in columns:
            frame = frame.join(names.rename({"code": column, "item": f"{column}_item"}), on=column, how="left")
        return frame.select(*[pl.col(f"{c}_item").alias(c) for c in columns], "orders")

    return Itemsets(frequent, named(pairs, ("a", "b")), named(triples, ("a", "b", "c")))


def pair_rules(sets: Itemsets, baskets: int) -> pl.DataFrame:
    """Both rules a → b and b → a of every frequent pair, unfiltered: the co-purchase table."""
    counts = sets.items.select("item", "orders")
    both = pl.concat([sets.pairs.select(pl.col("a").alias("antecedent"), pl.col("b").alias("consequent"), "orders"),
                      sets.pairs.select(pl.col("b").alias("antecedent"), pl.col("a").alias("consequent"), "orders")])
    return _measured(both, counts, counts, baskets)


def rules(sets: Itemsets, baskets: int, min_confidence: float, min_lift: float) -> pl.DataFrame:
    """Rules with one item as consequent from every frequent pair and triple, passing confidence and lift,
    sorted by lift, confidence and support (descending), then antecedent and consequent."""
    counts = sets.items.select("item", "orders")
    found = [pair_rules(sets, baskets)]
    if sets.triples.height:
        pair_counts = sets.pairs.select(
            pl.concat_str([pl.col("a"), pl.col("b")], separator=SEPARATOR).alias("item"), "orders")
        t = sets.triples
        three = pl.concat([
            t.select(pl.concat_str([pl.col(x), pl.col(y)], separator=SEPARATOR).alias("antecedent"),
                     pl.col(z).alias("consequent"), "orders")
            for x, y, z in (("a", "b", "c"), ("a", "c", "b"), ("b", "c", "a"))])
        found.append(_measured(three, pair_counts, counts, baskets))
    return (pl.concat(found)
            .filter((pl.col("confidence") >= min_confidence) & (pl.col("lift") >= min_lift))
            .sort(["lift", "confidence", "support", "antecedent", "consequent"],
                  descending=[True, True, True, False, False]))


def _measured(frame: pl.DataFrame, antecedents: pl.DataFrame, consequents: pl.DataFrame, baskets: int) -> pl.DataFrame:
    """support = orders / baskets, confidence = orders / orders(antecedent), lift = orders × baskets /
    (orders(antecedent) × orders(consequent)) — written so that lift(A → B) and lift(B → A) are the same float."""
    n = max(baskets, 1)
    joined = (frame.join(antecedents.rename({"item": "antecedent", "orders": "_a"}), on="antecedent", how="left")
              .join(consequents.rename({"item": "consequent", "orders": "_b"}), on="consequent", how="left"))
    return joined.select(
        "antecedent", "consequent", "orders",
        (pl.col("orders") / n).alias("support"),
        (pl.col("orders") / pl.col("_a")).alias("confidence"),
        ((pl.col("orders") * n) / (pl.col("_a") * pl.col("_b"))).alias("lift"))
