"""Seeded synthetic demo data: a Russian pharmacy/cosmetics retail chain with a loyalty card.

The generator is fully vectorised (numpy + polars, no per-row Python loops) and
deterministic: the same ``(rows, seed)`` always yields identical frames and
byte-identical files.

Public API
----------
``generate(rows, seed) -> (lines, customers)``
    Canonical, typed frames (see ``LINE_COLUMNS`` / ``CUSTOMER_COLUMNS``).
``write_demo_data(directory, rows, seed, fmt) -> {"transactions": path, "customers": path}``
    Writes ``directory/data/receipts.{csv,parquet}`` and ``customers.{csv,parquet}``.
    CSV is a "Russian-style" export (cp1251, ``;``, decimal comma, Russian headers)
    with a tiny amount of deterministic dirt in ``receipts.csv``.

Model overview
--------------
* Period 2022-01-01 .. 2023-12-31. A daily intensity curve (month seasonality with
  December / early-March peaks and a summer dip, Fri/Sat weekday peak) drives all
  dates.  Repeat purchases are simulated in "operational time" (gaps ~ gamma) and
  mapped back to the calendar through the cumulative intensity, so seasonality
  applies to repeat orders as well as to acquisition.
* Acquisition grows mildly over the period with a Q4 boost.
* Each customer continues after order ``n`` with probability ``1 - churn(n)``,
  ``churn`` falling with ``n`` (loyalty build-up) and scaled by a per-customer
  latent multiplier; loyal customers also have shorter gaps (mean 22-55 days).
* Lines per receipt ``1 + min(7, Poisson(lambda))`` with ``lambda`` growing with
  the order number (average check grows with loyalty).
* Categories per line are drawn by buyer gender (main lines) or from add-on weights; a later line of a receipt
  takes the partner of the first line's category with probability 0.3 (face care with cosmetics, vitamins with
  medicines, baby goods with hygiene), so those pairs are bought together more often than chance.
* ~20% of receipts are anonymous (no card), ~2% of receipts are followed within
  1-14 days by a one-line return receipt (negative quantity/amount/cost).
* A large iid customer pool is simulated and a prefix of it is kept so that the
  identified lines hit their target; anonymous receipts then pad the line count
  to exactly ``rows``.

Modules, in the order ``simulate.generate`` uses them: ``reference`` (the fixed world), ``sampling`` (helpers, calendar,
catalogue), ``pool`` (card holders' receipts), ``receipts`` (returns, anonymous receipts, time order), ``lines``
(products and money, the lines frame), ``customers`` (the customers frame); ``writing`` writes the files.
"""

from __future__ import annotations

from cjmgen.demo_data.reference import CUSTOMER_COLUMNS, CUSTOMERS_CSV_HEADER, LINE_COLUMNS, RECEIPTS_CSV_HEADER
from cjmgen.demo_data.simulate import generate
from cjmgen.demo_data.writing import write_demo_data

__all__ = [
    "generate",
    "write_demo_data",
    "LINE_COLUMNS",
    "CUSTOMER_COLUMNS",
    "RECEIPTS_CSV_HEADER",
    "CUSTOMERS_CSV_HEADER",
]
