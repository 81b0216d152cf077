"""The `analyses.ltv` spec block, in a module of its own so that ltv and ltv_forecast both read it without a cycle."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from cjmgen.spec.common import Strict

YEAR_IN_UNITS = {"day": 365.0, "week": 52.0, "month": 12.0}
"""The default forecast horizon: one year in each time unit."""
UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
"""Length of the BTYD time unit in calendar days (a month is a twelfth of an average year)."""
RFM = "rfm"
"""The `by` entry that groups customers by their RFM segment (name when named, else code)."""


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Params(Strict):
    """Historical LTV per customer (by cohort age and dimensions) and a BG/NBD + Gamma-Gamma forecast."""

    value: Literal["auto", "revenue", "margin"] = Field(
        "auto", description="Value per customer: revenue, margin (revenue − cost), or auto (margin when cost is "
                            "mapped).")
    by: Annotated[list[str], BeforeValidator(_listify)] = Field(
        default_factory=list, description="Breakdowns: store, channel, manager (of the first order), any customers "
                                          "column (gender, region, …) or rfm (the RFM segment).")
    cohort_age_bands: list[int] = Field(
        [3, 6, 12, 24], description="Cut points in full months since the first order: [3, 6, 12, 24] gives 0–2, 3–5, "
                                    "6–11, 12–23 and 24+ months.")
    histogram_bins: int = Field(
        20, ge=5, le=60, description="Bars of the LTV histogram up to the 95th percentile (plus one open bar above).")
    predictive: bool = Field(True, description="Fit BG/NBD and Gamma-Gamma and forecast each customer.")
    time_unit: Literal["day", "week", "month"] = Field(
        "week", description="Time unit of the BTYD model (frequency, recency, T, horizon); a month is 365.25/12 days.")
    horizon: float | None = Field(
        None, gt=0, le=3650,
        description="Forecast horizon in time units. Default: one year (52 weeks, 12 months, 365 days).")
    discount_rate: float = Field(
        0.0, ge=0, lt=1, description="Annual discount rate of the expected value, e.g. 0.15; 0 = undiscounted.")
    holdout_start: dt.date | None = Field(
        None, description="First day of the holdout period: the model is also fitted on purchases before it and its "
                          "predicted repeat purchases from this day to as_of are compared with the actual ones.")
    min_repeat_customers: int = Field(
        20, ge=5, description="Fewest customers with a repeat purchase (of positive value) needed to fit the models.")
    top: int = Field(20, ge=1, le=200, description="Customers listed in the report's top of expected value.")

    @field_validator("cohort_age_bands")
    @classmethod
    def _ascending(cls, cuts: list[int]) -> list[int]:
        if not cuts or cuts != sorted(set(cuts)) or cuts[0] < 1 or len(cuts) > 12:
            raise ValueError(f"expected 1–12 strictly ascending month counts ≥ 1, got {cuts}")
        return cuts

    @model_validator(mode="after")
    def _unique_by(self) -> Params:
        doubles = sorted({d for d in self.by if self.by.count(d) > 1})
        if doubles:
            raise ValueError(f"by: expected each dimension once, got {doubles} twice")
        return self

    @property
    def horizon_units(self) -> float:
        """The forecast horizon in time units."""
        return self.horizon if self.horizon is not None else YEAR_IN_UNITS[self.time_unit]

    @property
    def unit_days(self) -> float:
        """Length of the time unit in calendar days."""
        return UNIT_DAYS[self.time_unit]

    @property
    def discount_steps(self) -> int:
        """Steps the horizon is cut into when discounting (at most 104)."""
        import math

        return int(min(math.ceil(self.horizon_units), 104))
