"""Writing the demo data: parquet with canonical columns, or a Russian-style CSV export with a little dirt."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from cjmgen.demo_data.campaign import write_campaign_members
from cjmgen.demo_data.competitors import competitor_panel
from cjmgen.demo_data.reference import CUSTOMERS_RU, RECEIPTS_RU
from cjmgen.demo_data.simulate import generate


def _money_str(col: str) -> pl.Expr:
    """Format a 2-dp float as ``-1234,50`` (decimal comma, no thousands separator)."""
    cents = (pl.col(col) * 100).round(0).cast(pl.Int64)
    absval = cents.abs()
    return (
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
        + (absval // 100).cast(pl.String)
        + pl.lit(",")
        + (absval % 100).cast(pl.String).str.zfill(2)
    ).alias(col)


def _dirt_plan(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic row indices (sorted) and kinds of dirty dates / amounts."""
    rng = np.random.default_rng([seed, 0xD127])
    n_dirty = min(n, max(1, int(round(n * 0.0005))))
    date_idx = np.sort(rng.choice(n, size=n_dirty, replace=False))
    amt_idx = np.sort(rng.choice(n, size=n_dirty, replace=False))
    return date_idx, rng.integers(0, 4, n_dirty), amt_idx, rng.integers(0, 3, n_dirty)


def _dirty_date(good: str, kind: int) -> str | None:
    # impossible calendar dates, blanks, "н/д"
    return ("31.02." + good[6:], None, "н/д", "30.02." + good[6:])[kind]  # None -> empty field


def _dirty_amount(good: str, kind: int) -> str:
    # broken decimal separators ("1234,5,0"), dashes, spreadsheet errors
    return (good[:-1] + "," + good[-1], "—", "#ЗНАЧ!")[kind]


def _write_cp1251_csv(df: pl.DataFrame, fh: io.BufferedWriter, header: bool) -> None:
    buf = io.BytesIO()
    df.write_csv(
        buf,
        separator=";",
        include_header=header,
        null_value="",
        decimal_comma=True,
        float_precision=2,
        date_format="%d.%m.%Y",
        datetime_format="%d.%m.%Y %H:%M",
    )
    fh.write(buf.getvalue().decode("utf-8").encode("cp1251"))


def _write_receipts_csv(lines: pl.DataFrame, path: Path, seed: int, chunk_rows: int = 250_000) -> None:
    n = lines.height
    date_idx, date_kind, amt_idx, amt_kind = _dirt_plan(n, seed)
    with open(path, "wb") as fh:
        for start in range(0, max(n, 1), chunk_rows):
            stop = min(start + chunk_rows, n)
            chunk = lines.slice(start, stop - start).with_columns(
                pl.col("date").dt.to_string("%d.%m.%Y %H:%M"),
                _money_str("amount"),
                _money_str("price"),
                _money_str("cost"),
            )
            a, b = np.searchsorted(date_idx, [start, stop])
            if b > a:
                local = date_idx[a:b] - start
                good = chunk["date"].gather(local).to_list()
                bad = [_dirty_date(d, kd) for d, kd in zip(good, date_kind[a:b], strict=False)]
                chunk = chunk.with_columns(chunk["date"].scatter(local, pl.Series(bad, dtype=pl.String)))
            a, b = np.searchsorted(amt_idx, [start, stop])
            if b > a:
                local = amt_idx[a:b] - start
                good = chunk["amount"].gather(local).to_list()
                bad = [_dirty_amount(v, ka) for v, ka in zip(good, amt_kind[a:b], strict=False)]
                chunk = chunk.with_columns(chunk["amount"].scatter(local, pl.Series(bad, dtype=pl.String)))
            _write_cp1251_csv(chunk.rename(RECEIPTS_RU), fh, header=start == 0)


def write_demo_data(
    directory: Path,
    rows: int = 60_000,
    seed: int = 7,
    fmt: Literal["csv", "parquet"] = "csv",
) -> dict[str, Path]:
    """Write data files into ``directory/data/``; return the paths of ``transactions``, ``customers``,
    ``competitor_purchases`` and ``campaign_members``.

    ``fmt="csv"``: ``receipts.csv`` / ``customers.csv`` as a Russian-style export
    (cp1251, ``;``, decimal comma, Russian headers, gender Ж/М, a little dirt in
    receipts).  ``fmt="parquet"``: ``receipts.parquet`` / ``customers.parquet`` with
    canonical columns and types, no dirt.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    data_dir = Path(directory) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    lines, customers = generate(rows, seed)
    panel = competitor_panel(lines, seed)
    members = write_campaign_members(data_dir, lines, seed, fmt)
    if fmt == "parquet":
        tx_path, cu_path = data_dir / "receipts.parquet", data_dir / "customers.parquet"
        lines.write_parquet(tx_path)
        customers.write_parquet(cu_path)
        panel.write_parquet(data_dir / "competitor_purchases.parquet")
        return {"transactions": tx_path, "customers": cu_path,
                "competitor_purchases": data_dir / "competitor_purchases.parquet", "campaign_members": members}

    tx_path, cu_path = data_dir / "receipts.csv", data_dir / "customers.csv"
    panel.write_csv(data_dir / "competitor_purchases.csv")  # a panel provider's file: utf-8, canonical headers
    _write_receipts_csv(lines, tx_path, seed)
    del lines
    cust_export = customers.with_columns(
        pl.col("gender").replace_strict({"F": "Ж", "M": "М"}, return_dtype=pl.String)
    ).rename(CUSTOMERS_RU)
    with open(cu_path, "wb") as fh:
        _write_cp1251_csv(cust_export, fh, header=True)
    return {"transactions": tx_path, "customers": cu_path, "competitor_purchases": data_dir / "competitor_purchases.csv",
            "campaign_members": members}
