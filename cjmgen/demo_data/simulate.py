"""``generate(rows, seed)``: the seeded steps in their fixed order (the order of random draws is the contract
that keeps the data byte-identical for a seed)."""

from __future__ import annotations

import numpy as np
import polars as pl

from cjmgen.demo_data.customers import customers
from cjmgen.demo_data.lines import line_values, lines_frame
from cjmgen.demo_data.pool import identified_receipts
from cjmgen.demo_data.receipts import anonymous_receipts, chronological, plan_returns
from cjmgen.demo_data.sampling import calendar, catalog


def generate(rows: int = 60_000, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return ``(lines, customers)`` with the canonical column names, typed.

    ``lines`` has exactly ``rows`` rows (one per receipt line, returns included),
    sorted by ``date, order_id``.  ``customers`` has one row per card holder that
    appears in ``lines``, sorted by ``customer_id``.
    """
    rows = int(rows)
    if rows < 1:
        raise ValueError("rows must be >= 1")
    rng = np.random.default_rng(seed)
    cal = calendar()
    cat_data = catalog(rng)
    ident = identified_receipts(rng, cal, rows)
    returns = plan_returns(rng, ident, rows)
    anon = anonymous_receipts(rng, cal, rows - int(ident.lines.sum()) - returns.n)
    receipts = chronological(rng, ident, anon, returns)
    del anon
    values = line_values(rng, cat_data, receipts, returns)
    people, cards = customers(rng, ident)
    del ident, returns
    return lines_frame(values, receipts, cat_data, cards), people
