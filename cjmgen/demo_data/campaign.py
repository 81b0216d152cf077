"""The demo chain's autumn loyalty campaign: a seeded test group and a holdout control group of card holders who
bought in the half year before it (data/campaign_members.csv). The transactions are left as they are, so the
campaign's true effect is nil and the uplift chapter says what a real holdout test shows in that case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

CAMPAIGN = "Осенний кешбэк"
START, END = dt.date(2023, 10, 9), dt.date(2023, 11, 5)
"""Four weeks, Monday to Sunday."""
ELIGIBLE_DAYS = 180
"""Members are drawn from card holders with an order in this many days before the start."""
SHARE, TEST_SHARE = 0.4, 0.75
"""Share of eligible card holders in the campaign, and of members in the test group (the rest: holdout control)."""

COLUMNS = {"customer_id": pl.String, "campaign": pl.String, "group": pl.String, "start": pl.Date, "end": pl.Date}


def campaign_members(lines: pl.DataFrame, seed: int) -> pl.DataFrame:
    """customer_id, campaign, group (test | control), start, end — sorted by customer; the same lines and seed give
    the same members."""
    since = dt.datetime.combine(START - dt.timedelta(days=ELIGIBLE_DAYS), dt.time())
    eligible = (lines.filter(pl.col("customer_id").is_not_null() & (pl.col("date") >= since)
                             & (pl.col("date") < dt.datetime.combine(START, dt.time())))
                ["customer_id"].unique().sort())
    rng = np.random.default_rng([seed, 0xCA4])
    chosen = np.sort(rng.choice(eligible.len(), size=int(eligible.len() * SHARE), replace=False))
    test = rng.random(chosen.size) < TEST_SHARE
    return pl.DataFrame({"customer_id": eligible.gather(chosen), "campaign": CAMPAIGN,
                         "group": np.where(test, "test", "control"), "start": START, "end": END}, schema=COLUMNS)


def write_campaign_members(data_dir: Path, lines: pl.DataFrame, seed: int, fmt: str) -> Path:
    """data/campaign_members.csv (utf-8, canonical columns, ISO dates) or .parquet."""
    members = campaign_members(lines, seed)
    path = data_dir / f"campaign_members.{fmt}"
    if fmt == "parquet":
        members.write_parquet(path)
    else:
        members.write_csv(path)
    return path
