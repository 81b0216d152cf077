"""Benchmark: basket rules (analyses.basket, max_len 2) on UCI Online Retail at SKU level against a plain-Python
reference (sets and itertools.combinations over the baskets), checking both give the same rules.

Reproduce: .venv/bin/python bench/bench_basket.py [--file ../shared/data/online_retail_uci_2010_2011.csv.xz]
           [--min-support 0.01] [--min-confidence 0.3] [--limit N]   (--limit: the first N lines, a smoke run)

With --project SPEC (e.g. a demo engagement: `cjmgen demo /tmp/demo --rows 1000000`): the whole basket analysis
(rules, sequence rules, cycles, RFM-P, next best product) as the build runs it, against RFM on the same facts.
"""

from __future__ import annotations

import argparse
import itertools
import lzma
import time
from collections import Counter
from pathlib import Path

import polars as pl

from cjmgen.analyses.basket_rules import basket_items, itemsets, rules

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail_uci_2010_2011.csv.xz"


def read(path: Path, limit: int | None) -> pl.DataFrame:
    """Canonical lines: order_id (InvoiceNo), sku (StockCode), quantity."""
    with lzma.open(path) if path.suffix == ".xz" else path.open("rb") as fh:
        raw = pl.read_csv(fh.read(), columns=["InvoiceNo", "StockCode", "Quantity"], n_rows=limit,
                          schema_overrides={"InvoiceNo": pl.String, "StockCode": pl.String})
    return raw.select(pl.col("InvoiceNo").alias("order_id"), pl.col("StockCode").alias("sku"),
                      pl.col("Quantity").cast(pl.Float64).alias("quantity"))


def polars_rules(lines: pl.DataFrame, min_support: float, min_confidence: float) -> tuple[pl.DataFrame, int]:
    orders_items, baskets = basket_items(lines, "sku")
    return rules(itemsets(orders_items, baskets, min_support, 2), baskets, min_confidence, 1.0), baskets


def python_rules(lines: pl.DataFrame, min_support: float, min_confidence: float) -> dict[tuple[str, str], tuple]:
    """(antecedent, consequent) → (orders, support, confidence, lift), loops over the baskets."""
    baskets: dict[str, set[str]] = {}
    for order, sku, quantity in lines.iter_rows():
        if quantity is not None and quantity > 0:
            baskets.setdefault(order, set())
            if sku is not None:
                baskets[order].add(sku)
    n = len(baskets)
    single = Counter(item for items in baskets.values() for item in items)
    frequent = {item for item, c in single.items() if c / n >= min_support}
    pairs: Counter[tuple[str, str]] = Counter()
    for items in baskets.values():
        pairs.update(itertools.combinations(sorted(items & frequent), 2))
    out = {}
    for (a, b), c in pairs.items():
        if c / n < min_support:
            continue
        for x, y in ((a, b), (b, a)):
            confidence = c / single[x]
            lift = c * n / (single[x] * single[y])
            if confidence >= min_confidence and lift >= 1.0:
                out[(x, y)] = (c, c / n, confidence, lift)
    return out


def project_timings(spec: Path) -> None:
    """Read the project as a build does, then time analyses.rfm and analyses.basket once each (one process)."""
    from cjmgen import api
    from cjmgen.analyses import ANALYSES, Context, params_of
    from cjmgen.facts import build_facts

    loaded = api.validate(spec)
    sources = api.read_sources(loaded)
    facts = build_facts({t: s.frame for t, s in sources.items()}, loaded.spec.project.as_of)
    ctx = Context(loaded.spec, facts)
    lines = facts.sales.lines.height if facts is not None and facts.sales is not None else 0
    took = {}
    for name in ("rfm", "basket"):
        start = time.perf_counter()
        ANALYSES[name].compute(ctx, params_of(ANALYSES[name], loaded.spec))
        took[name] = time.perf_counter() - start
    print(f"lines {lines:,}  rfm {took['rfm']:.2f} s  basket {took['basket']:.2f} s  "
          f"ratio {took['basket'] / max(took['rfm'], 1e-9):.0f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path, default=None, help="time rfm and basket on this spec instead")
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--min-support", type=float, default=0.01)
    parser.add_argument("--min-confidence", type=float, default=0.3)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if args.project is not None:
        project_timings(args.project)
        return
    lines = read(args.file, args.limit)
    start = time.perf_counter()
    found, baskets = polars_rules(lines, args.min_support, args.min_confidence)
    fast = time.perf_counter() - start
    start = time.perf_counter()
    expected = python_rules(lines, args.min_support, args.min_confidence)
    slow = time.perf_counter() - start
    got = {(r["antecedent"], r["consequent"]): (r["orders"], r["support"], r["confidence"], r["lift"])
           for r in found.iter_rows(named=True)}
    same = got.keys() == expected.keys() and all(
        got[k][0] == expected[k][0] and all(abs(g - e) < 1e-12 for g, e in zip(got[k][1:], expected[k][1:], strict=True))
        for k in got)
    print(f"lines {lines.height:,}  baskets {baskets:,}  rules {found.height:,}  same rules: {same}")
    print(f"polars {fast:.2f} s   plain Python {slow:.2f} s   ratio {slow / max(fast, 1e-9):.1f}×")
    print(found.head(5))


if __name__ == "__main__":
    main()
