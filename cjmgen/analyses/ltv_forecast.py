"""The LTV chapter's forecast: transactions → BTYD inputs (polars) → fits and predictions (btyd) → holdout test.

Conventions: one purchase per customer per calendar day with ≥1 real order; frequency = purchase days − 1;
recency = first → last purchase; T = first purchase → end of the observation; all in the spec's time unit.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from cjmgen.analyses import btyd

if TYPE_CHECKING:
    from cjmgen.analyses.ltv import Params

UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
"""Length of the BTYD time unit in calendar days (a month is a twelfth of an average year)."""
BUCKETS = 8
"""Holdout buckets of calibration repeat purchases: 0, 1, …, 6 and 7+."""
Fits = dict[str, tuple[btyd.Fit, btyd.Fit]]
"""Fit scope (full, calibration) → (BG/NBD, Gamma-Gamma)."""



def btyd_inputs(purchases: pl.DataFrame, end: dt.date, unit_days: float) -> pl.DataFrame:
    """Per customer with a purchase on or before end: frequency (repeat days), recency, T, average repeat value."""
    kept = purchases.filter(pl.col("day") <= end)
    first = pl.col("day").min()
    out = kept.group_by("customer_id").agg(
        (pl.len() - 1).cast(pl.Int64).alias("frequency"),
        ((pl.col("day").max() - first).dt.total_days() / unit_days).alias("recency"),
        ((pl.lit(end) - first).dt.total_days() / unit_days).alias("T"),
        pl.col("value").filter(pl.col("day") > first).sum().round(6).alias("repeat_value"))
    average = pl.when(pl.col("frequency") > 0).then(pl.col("repeat_value") / pl.col("frequency"))
    return out.with_columns(average.alias("avg_repeat_value")).drop("repeat_value").sort("customer_id")


def fit_models(inputs: pl.DataFrame, min_repeat: int) -> tuple[btyd.Fit, btyd.Fit] | None:
    """BG/NBD on every customer and Gamma-Gamma on repeat customers of positive average value; None if too few."""
    eligible = inputs.filter((pl.col("frequency") > 0) & (pl.col("avg_repeat_value") > 0))
    if eligible.height < min_repeat:
        return None
    # identical (x, t_x, T) rows share one likelihood term; sorting fixes the summation order
    keys = ["frequency", "recency", "T"]
    grouped = inputs.group_by(keys).agg(pl.len().alias("weight")).sort(keys)
    bg = btyd.fit_bgnbd(grouped["frequency"].to_numpy(), grouped["recency"].to_numpy(), grouped["T"].to_numpy(),
                        grouped["weight"].to_numpy())
    gg = btyd.fit_gamma_gamma(eligible["frequency"].to_numpy(), eligible["avg_repeat_value"].to_numpy())
    return bg, gg


def predict(inputs: pl.DataFrame, bg: btyd.Fit, gg: btyd.Fit, params: Params) -> pl.DataFrame:
    """Per customer: P(alive), expected purchases and value over the horizon (discounted when asked)."""
    x, t_x, T = (inputs[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    horizon = params.horizon_units
    expected = btyd.bgnbd_expected_purchases(bg.params, horizon, x, t_x, T)
    monetary = np.nan_to_num(inputs["avg_repeat_value"].to_numpy().astype(float), nan=0.0).clip(min=0.0)
    average = btyd.gamma_gamma_expected_value(gg.params, x, monetary)
    if gg.params["q"] <= 1:  # the population mean is infinite: no forecast for customers without repeat value
        average = np.where(x > 0, average, np.nan)
    value = average * discounted_purchases(bg, horizon, x, t_x, T, params)
    return inputs.with_columns(
        pl.Series("p_alive", btyd.bgnbd_p_alive(bg.params, x, t_x, T)), pl.Series("expected_orders", expected),
        pl.Series("expected_avg_value", average, nan_to_null=True), pl.Series("expected_value", value, nan_to_null=True))


def discounted_purchases(bg: btyd.Fit, horizon: float, x, t_x, T, params: Params) -> np.ndarray:
    """Expected purchases over the horizon, each step's increment discounted to today at the step's end."""
    if params.discount_rate == 0:
        return btyd.bgnbd_expected_purchases(bg.params, horizon, x, t_x, T)
    steps = int(min(math.ceil(horizon), 104))
    ends = np.linspace(0.0, horizon, steps + 1)
    cumulative = [np.zeros_like(x)] + [btyd.bgnbd_expected_purchases(bg.params, s, x, t_x, T) for s in ends[1:]]
    years = ends * UNIT_DAYS[params.time_unit] / 365.25
    factors = (1 + params.discount_rate) ** -years
    return sum(factors[k] * (cumulative[k] - cumulative[k - 1]) for k in range(1, steps + 1))


def forecast(inputs: pl.DataFrame, params: Params, facts: dict[str, Any],
              fits: Fits) -> pl.DataFrame | None:
    """Fit on everything up to as_of and predict each customer; facts say why when it is skipped."""
    eligible = inputs.filter((pl.col("frequency") > 0) & (pl.col("avg_repeat_value") > 0))
    facts |= {"predictive": False, "repeat_customers": eligible.height,
              "min_repeat_customers": params.min_repeat_customers, "time_unit": params.time_unit, "horizon": params.horizon_units, "discount_rate": params.discount_rate}
    if not params.predictive:
        facts["predictive_skipped"] = "not_requested"
        return None
    models = fit_models(inputs, params.min_repeat_customers)
    if models is None:
        facts["predictive_skipped"] = "too_few_repeat"
        return None
    fits["full"] = models
    bg, gg = models
    out = predict(inputs, bg, gg, params)
    correlation = pearson(eligible["frequency"].to_numpy().astype(float), eligible["avg_repeat_value"].to_numpy())
    repeaters = out.filter(pl.col("frequency") > 0)
    q = gg.params["q"]
    facts |= {"predictive": True, "predictive_skipped": None, "bgnbd": _fit_facts(bg), "gamma_gamma": _fit_facts(gg),
              "converged": bg.converged and gg.converged,
              "gg_correlation": correlation,
              "population_avg_value": gg.params["p"] * gg.params["gamma"] / (q - 1) if q > 1 else None,
              "expected_value_total": round(float(out["expected_value"].sum()), 6),
              "expected_orders_total": float(out["expected_orders"].sum()),
              "expected_value_per_customer": float(out["expected_value"].sum()) / out.height,
              "p_alive_below_half": float((repeaters["p_alive"] < 0.5).mean()) if repeaters.height else None,
              "one_time_buyers": out.height - repeaters.height}
    return out


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson correlation, None when either side is constant (Gamma-Gamma's independence check)."""
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _fit_facts(fit: btyd.Fit) -> dict[str, Any]:
    return {"params": fit.params, "std_errors": fit.std_errors, "log_likelihood": fit.log_likelihood,
            "converged": fit.converged, "message": fit.message, "iterations": fit.iterations, "customers": fit.customers}


def params_table(fits: Fits) -> pl.DataFrame:
    """One row per fit (full, calibration), model and parameter, with the fit's log-likelihood and convergence."""
    rows = []
    for scope, models in fits.items():
        for model, fit, names in zip(("bgnbd", "gamma_gamma"), models, (btyd.BGNBD, btyd.GAMMA_GAMMA), strict=False):
            rows += [(scope, model, p, fit.params[p], fit.std_errors[p], fit.log_likelihood, fit.converged, fit.customers)
                     for p in names]
    return pl.DataFrame(rows, orient="row", schema={
        "fit": pl.String, "model": pl.String, "parameter": pl.String, "estimate": pl.Float64, "std_error": pl.Float64,
        "log_likelihood": pl.Float64, "converged": pl.Boolean, "customers": pl.Int64})


def holdout(purchases: pl.DataFrame, as_of: dt.date, params: Params, tables: dict[str, pl.DataFrame],
            fits: Fits) -> dict[str, Any]:
    """Fit on purchases before holdout_start; compare predicted and actual repeat purchases from it to as_of."""
    start, unit = params.holdout_start, UNIT_DAYS[params.time_unit]
    if start is None:
        return {"skipped": "not_requested"}
    first = purchases["day"].min()
    if not (first < start <= as_of):
        return {"skipped": "outside", "start": start, "first_day": first, "end": as_of}
    calibration = btyd_inputs(purchases, start - dt.timedelta(days=1), unit)
    models = fit_models(calibration, params.min_repeat_customers)
    if models is None:
        return {"skipped": "too_few_repeat", "start": start}
    fits["calibration"] = models
    actual = purchases.filter(pl.col("day") >= start).group_by("customer_id").agg(pl.len().alias("actual"))
    length = ((as_of - start).days + 1) / unit
    x, t_x, T = (calibration[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    frame = calibration.join(actual, on="customer_id", how="left").with_columns(
        pl.col("actual").fill_null(0).cast(pl.Int64),
        pl.Series("predicted", btyd.bgnbd_expected_purchases(models[0].params, length, x, t_x, T)))
    tables["ltv_holdout"] = holdout_table(frame)
    error = (frame["predicted"] - frame["actual"]).abs()
    return {"skipped": None, "start": start, "end": as_of, "length": length, "customers": frame.height,
            "actual_total": int(frame["actual"].sum()), "predicted_total": float(frame["predicted"].sum()),
            "mae": float(error.mean()), "converged": models[0].converged and models[1].converged}


def holdout_table(frame: pl.DataFrame) -> pl.DataFrame:
    """Calibration repeat purchases 0, 1, …, 6, 7+ → customers, actual and predicted holdout purchases, MAE."""
    bucket = pl.col("frequency").clip(upper_bound=BUCKETS - 1)
    grid = pl.DataFrame({"frequency": range(BUCKETS)}, schema={"frequency": pl.Int64})
    sums = frame.group_by(bucket.alias("frequency")).agg(
        pl.len().alias("customers"), pl.col("actual").sum().alias("actual"), pl.col("predicted").sum().alias("predicted"),
        (pl.col("predicted") - pl.col("actual")).abs().sum().alias("abs_error"))
    label = pl.when(pl.col("frequency") == BUCKETS - 1).then(pl.format("{}+", "frequency")).otherwise(
        pl.col("frequency").cast(pl.String))
    return grid.join(sums, on="frequency", how="left").filter(pl.col("customers").is_not_null()).with_columns(
        label.alias("bucket"),
        (pl.col("actual") / pl.col("customers")).alias("actual_per_customer"),
        (pl.col("predicted") / pl.col("customers")).alias("predicted_per_customer"),
        (pl.col("abs_error") / pl.col("customers")).alias("mae"),
    ).select("frequency", "bucket", "customers", "actual", "predicted", "actual_per_customer", "predicted_per_customer",
             "mae").sort("frequency")


def p_alive_histogram(people: pl.DataFrame) -> pl.DataFrame:
    """Customers with a repeat purchase by P(alive) in tenths (one-time buyers have P(alive) = 1 by construction)."""
    repeat = people.filter(pl.col("frequency") > 0)
    tenth = (pl.col("p_alive") * 10).floor().clip(upper_bound=9).cast(pl.Int64)
    counts = repeat.group_by(tenth.alias("bin")).agg(pl.len().alias("customers"))
    grid = pl.DataFrame({"bin": range(10)}, schema={"bin": pl.Int64})
    filled = grid.join(counts, on="bin", how="left").with_columns(pl.col("customers").fill_null(0).cast(pl.Int64))
    return filled.with_columns(
        (pl.col("bin") / 10).alias("lower"), ((pl.col("bin") + 1) / 10).alias("upper"),
        (pl.col("customers") / max(repeat.height, 1)).alias("customers_share"),
    ).select("bin", "lower", "upper", "customers", "customers_share").sort("bin")
