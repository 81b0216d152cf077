"""The data-quality appendix rows: what was read, used, set aside and why, per source; and for a transaction log
the lines a consultant checks first (unidentified checks, returns, zero and negative prices)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cjmgen.data.readers import SourceData
from cjmgen.facts import MONEY_DECIMALS, Facts, Sales
from cjmgen.render.html import SourceQuality


@dataclass(frozen=True)
class LineChecks:
    """What a consultant checks first in a transaction log, over the lines used (up to as_of).

    None where the log cannot tell: no amount mapped (revenue, return value, prices), or neither amount nor
    quantity (returns). Returns are lines with a negative amount (METHODS §1), or a negative quantity when the log
    has no amount. Price = amount / quantity when quantity is mapped (a line of quantity 0 has none), else the
    line amount, so a return of a positive price is not a negative price.
    """

    lines: int
    revenue: float | None
    has_customer_id: bool
    unidentified_lines: int
    unidentified_revenue: float | None
    return_lines: int | None
    return_value: float | None
    price_from_quantity: bool
    zero_price_lines: int | None
    negative_price_lines: int | None

    @property
    def unidentified_line_share(self) -> float | None:
        """Share of lines without a customer id."""
        return self.unidentified_lines / self.lines if self.lines else None

    @property
    def unidentified_revenue_share(self) -> float | None:
        """Share of revenue (net of returns) on lines without a customer id; None when revenue is not positive."""
        if self.unidentified_revenue is None or not self.revenue or self.revenue <= 0:
            return None
        return self.unidentified_revenue / self.revenue

    @property
    def return_line_share(self) -> float | None:
        """Share of lines that are returns or cancellations."""
        return self.return_lines / self.lines if self.lines and self.return_lines is not None else None

    @property
    def zero_price_share(self) -> float | None:
        """Share of lines with a price of zero."""
        return self.zero_price_lines / self.lines if self.lines and self.zero_price_lines is not None else None

    @property
    def negative_price_share(self) -> float | None:
        """Share of lines with a negative price."""
        return self.negative_price_lines / self.lines if self.lines and self.negative_price_lines is not None else None

    @property
    def has_amount(self) -> bool:
        """Whether the log has amounts (revenue, return value and prices can be checked)."""
        return self.revenue is not None

    def as_dict(self) -> dict[str, object]:
        """The figures for build.json: counts, sums and shares (None where the log cannot tell)."""
        return {"lines": self.lines, "revenue": self.revenue,
                "lines_without_customer_id": self.unidentified_lines,
                "lines_without_customer_id_share": self.unidentified_line_share,
                "revenue_without_customer_id": self.unidentified_revenue,
                "revenue_without_customer_id_share": self.unidentified_revenue_share,
                "return_lines": self.return_lines, "return_value": self.return_value,
                "price": "amount / quantity" if self.price_from_quantity else "amount",
                "zero_price_lines": self.zero_price_lines, "negative_price_lines": self.negative_price_lines}


def quality_of(sources: dict[str, SourceData], facts: Facts | None) -> list[SourceQuality]:
    """Rows read / used / quarantined by reason, date coverage and notes per source."""
    rows = []
    for table, source in sources.items():
        sales = facts.sales if facts and table == "transactions" else None
        excluded = sales.excluded_after_as_of if sales else 0
        first, last = source.date_range()
        rows.append(SourceQuality(table, source.path.name, source.rows_read, source.rows_valid - excluded,
                                  source.quarantined_by_reason(), excluded, first, last, source.notes, source.nulled,
                                  line_checks(sales) if sales else None, source.blank_lines, source.duplicate_rows,
                                  source.duplicates_dropped))
    return rows


def line_checks(sales: Sales) -> LineChecks:
    """Unidentified lines, returns and price anomalies over the transaction lines used."""
    lines = sales.lines
    columns = set(lines.columns)
    amount = "amount" in columns
    quantity = "quantity" in columns
    unidentified = pl.col("customer_id").is_null()
    exprs: dict[str, pl.Expr] = {"unidentified_lines": unidentified.sum()}
    if amount:
        exprs |= {"revenue": pl.col("amount").sum(), "unidentified_revenue": pl.col("amount").filter(unidentified).sum()}
    sign = "amount" if amount else "quantity" if quantity else None
    if sign:
        exprs["return_lines"] = (pl.col(sign) < 0).sum()
    if amount:
        returned = pl.col("amount") < 0
        exprs["return_value"] = pl.col("amount").filter(returned).sum()
        price = (pl.when(pl.col("quantity") != 0).then(pl.col("amount") / pl.col("quantity"))
                 if quantity else pl.col("amount"))
        exprs |= {"zero_price_lines": (price == 0).sum(), "negative_price_lines": (price < 0).sum()}
    got = lines.select(**exprs).row(0, named=True) if lines.height else {k: 0 for k in exprs}

    def money(key: str) -> float | None:
        return round(float(got[key]), MONEY_DECIMALS) if key in got else None

    def count(key: str) -> int | None:
        return int(got[key]) if key in got else None

    return LineChecks(lines.height, money("revenue"), sales.has_customer_id, int(got["unidentified_lines"]),
                      money("unidentified_revenue"), count("return_lines"), money("return_value"), quantity,
                      count("zero_price_lines"), count("negative_price_lines"))
