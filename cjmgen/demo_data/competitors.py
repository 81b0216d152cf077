"""A competitor panel for the demo: what a sample of card holders spent at other pharmacy chains.

About 30% of card holders are in the panel. Each buys from one to three competitors; a latent share of wallet, higher
for frequent customers of ours, sets how much they spend elsewhere relative to their spend with us. Pharmacy needs do
not stop when a customer stops buying from us: most panel customers keep buying from competitors to the end of the
data, so customers who lapse with us show up as leaking. Seeded on its own stream: the transactions are unchanged.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cjmgen.demo_data.reference import CAT_W_MAIN_F, CATEGORIES, PERIOD_END

COMPETITORS = ["Аптека Плюс", "Ригла-Лайк", "Фарма-Маркет"]
COMPETITOR_WEIGHTS = np.array([0.5, 0.32, 0.18])
PANEL_SHARE = 0.3
COLUMNS = ("customer_id", "competitor", "date", "amount", "category")


def _our_history(lines: pl.DataFrame) -> pl.DataFrame:
    """Per card holder: first and last purchase day, orders and revenue with us (returns excluded)."""
    sales = lines.filter(pl.col("customer_id").is_not_null() & (pl.col("amount") > 0))
    orders = sales.group_by("customer_id", "order_id").agg(pl.col("date").min().dt.date().alias("day"),
                                                            pl.col("amount").sum())
    return orders.group_by("customer_id").agg(
        pl.col("day").min().alias("first_day"), pl.col("day").max().alias("last_day"),
        pl.len().alias("orders"), pl.col("amount").sum().alias("revenue")).sort("customer_id")


def _panel_members(history: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The sampled card holders with their latent share, the end of their competitor buying and their rate there."""
    members = history.filter(pl.Series(rng.random(history.height) < PANEL_SHARE))
    k = members.height
    orders = members["orders"].to_numpy().astype(float)
    share = np.clip(rng.beta(3.0, 2.5, k) + 0.06 * np.log(orders), 0.15, 0.95)
    end = int(PERIOD_END.astype(np.int64))
    last = members["last_day"].cast(pl.Int32).to_numpy().astype(np.int64)
    stops = rng.random(k) < 0.6  # some leave the category altogether soon after leaving us
    until = np.where(stops, np.minimum(last + rng.integers(0, 90, k), end), end)
    first = members["first_day"].cast(pl.Int32).to_numpy().astype(np.int64) - rng.integers(0, 60, k)
    years_with_us = np.maximum(last - members["first_day"].cast(pl.Int32).to_numpy() + 30, 180) / 365.25
    check = members["revenue"].to_numpy() / orders * rng.lognormal(0.0, 0.3, k)
    yearly_them = members["revenue"].to_numpy() / years_with_us * (1 - share) / share
    return members.select("customer_id").with_columns(
        pl.Series("start", first), pl.Series("until", np.maximum(until, first + 1)),
        pl.Series("check", check), pl.Series("per_year", yearly_them / check),
        pl.Series("competitors", rng.integers(1, 4, k)))


def _purchases(members: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Purchase lines: a Poisson number per member over their window, each at a chosen competitor."""
    span = (members["until"] - members["start"]).to_numpy() / 365.25
    counts = rng.poisson(np.minimum(members["per_year"].to_numpy(), 40) * span)
    who = np.repeat(np.arange(members.height), counts)
    n = who.size
    start, until = members["start"].to_numpy()[who], members["until"].to_numpy()[who]
    day = start + (rng.random(n) * (until - start)).astype(np.int64)
    # each member's competitors: the first `competitors` of a member-specific order of the three
    order = np.argsort(rng.random((members.height, 3)) / COMPETITOR_WEIGHTS, axis=1)
    pick = order[who, rng.integers(0, 10**6, n) % members["competitors"].to_numpy()[who]]
    amount = np.round(members["check"].to_numpy()[who] * rng.lognormal(-0.05, 0.35, n), 2)
    category = rng.choice(len(CATEGORIES), size=n, p=CAT_W_MAIN_F / CAT_W_MAIN_F.sum())
    frame = pl.DataFrame({
        "customer_id": members["customer_id"].gather(who.astype(np.uint32)),
        "competitor": pl.Series(COMPETITORS).gather(pick.astype(np.uint32)),
        "date": pl.Series(day.astype(np.int32)).cast(pl.Date),
        "amount": amount, "category": pl.Series(CATEGORIES).gather(category.astype(np.uint32)),
    })
    end = int(PERIOD_END.astype(np.int64))
    return frame.filter(pl.col("date").cast(pl.Int32) <= end).sort("customer_id", "date", "competitor")


def competitor_panel(lines: pl.DataFrame, seed: int) -> pl.DataFrame:
    """The panel's purchase lines (COLUMNS) for the demo's transaction lines, seeded by `seed`."""
    rng = np.random.default_rng([seed, 0xC0_4E7])
    return _purchases(_panel_members(_our_history(lines), rng), rng).select(COLUMNS)
