"""Card holders: card numbers issued in signup order, age, region; the customers frame."""

from __future__ import annotations

import numpy as np
import polars as pl

from cjmgen.demo_data.pool import Identified
from cjmgen.demo_data.reference import D0, END_YEAR, N_DAYS, REGIONS, STORE_REGION
from cjmgen.demo_data.sampling import cdf, sample


def _cards(rng: np.random.Generator, ident: Identified) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signup day, card number, card order) per card holder: signup on or up to 60 days before the first
    purchase, card numbers increasing along the card order (signup day, ties at random)."""
    k = ident.k
    first_day = np.full(k, N_DAYS, np.int64)
    np.minimum.at(first_day, ident.cust, ident.day)
    signup = first_day - np.where(rng.random(k) < 0.25, rng.integers(1, 61, k), 0)
    signup = np.maximum(signup, 0)
    card_order = np.lexsort((rng.random(k), signup))
    card = np.empty(k, np.int64)
    card[card_order] = 7_700_000_000 + np.cumsum(rng.integers(1, 21, k))
    return signup, card, card_order


def _birth_and_region(rng: np.random.Generator, ident: Identified) -> tuple[np.ndarray, np.ndarray]:
    """(birth epoch day, region index) per card holder: ages 18-80, region mostly the home store's city."""
    k = ident.k
    ages = np.arange(18, 81)
    age_w = (ages - 16.5) ** 2.2 * np.exp(-(ages - 16.5) / 9.0)
    age = ages[sample(rng, cdf(age_w), k)]
    next_year = (END_YEAR - age + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    year_end = next_year.astype(np.int64) - 1  # 31 Dec of (2023 - age): exact age on 2023-12-31
    birth = year_end - rng.integers(0, 365, k)
    region = np.where(rng.random(k) < 0.9, STORE_REGION[ident.home], rng.integers(0, len(REGIONS), k))
    to_oblast = (region == REGIONS.index("Москва")) & (rng.random(k) < 0.15)
    region = np.where(to_oblast, REGIONS.index("Московская область"), region)
    return birth, region


def customers(rng: np.random.Generator, ident: Identified) -> tuple[pl.DataFrame, pl.Series]:
    """(customers frame sorted by customer_id, card number as text indexed by card holder)."""
    signup, card, card_order = _cards(rng, ident)
    birth, region = _birth_and_region(rng, ident)
    card_str = pl.Series("customer_id", card).cast(pl.String)  # indexed by customer
    co = card_order  # card numbers increase along card_order -> sorted by customer_id
    frame = pl.DataFrame(
        {
            "customer_id": card_str.gather(co.astype(np.uint32)),
            "gender": pl.Series(["F", "M"]).gather(ident.gender_m[co].astype(np.uint32)),
            "birth_date": pl.Series(birth[co].astype(np.int32)).cast(pl.Date),
            "region": pl.Series(REGIONS).gather(region[co].astype(np.uint32)),
            "signup_date": pl.Series((signup[co] + D0).astype(np.int32)).cast(pl.Date),
        }
    )
    return frame, card_str
