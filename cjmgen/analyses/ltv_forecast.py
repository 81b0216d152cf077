"""The LTV chapter's forecast: purchase days → BTYD inputs (polars) → fits and predictions (btyd) → holdout test.

Conventions: one purchase per customer per calendar day with ≥1 real order; frequency = purchase days − 1;
recency = first → last purchase; T = first purchase → end of the observation; all in the spec's time unit.
Values are net of returns: a return-only receipt reduces the customer's latest purchase day on or before it.
The purchase-count model is BG/NBD unless its fit is degenerate (ltv_models), then MBG/NBD when it does better.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from cjmgen.analyses import btyd
from cjmgen.analyses.ltv_models import Diagnosis, Forecast, Holdout, choose, diagnose, relative_error
from cjmgen.analyses.ltv_params import Params

BUCKETS = 8
"""Holdout buckets of calibration repeat purchases: 0, 1, …, 6 and 7+."""
FitRow = tuple[str, str, btyd.Fit]
"""(fit scope: full or calibration, model, fit) — one block of the ltv_params table."""


def btyd_inputs(days: pl.DataFrame, end: dt.date, unit_days: float) -> pl.DataFrame:
    """Per customer with a purchase on or before end: frequency (repeat days), recency, T, average repeat value and
    net value, both net of the returns made up to end."""
    kept = days.filter(pl.col("day") <= end)
    bought = _net_of_returns(kept.filter(pl.col("purchase")), kept.filter(~pl.col("purchase")))
    first = pl.col("day").min()
    out = bought.group_by("customer_id").agg(
        (pl.len() - 1).cast(pl.Int64).alias("frequency"),
        ((pl.col("day").max() - first).dt.total_days() / unit_days).alias("recency"),
        ((pl.lit(end) - first).dt.total_days() / unit_days).alias("T"),
        pl.col("value").filter(pl.col("day") > first).sum().round(6).alias("repeat_value"),
        pl.col("value").sum().round(6).alias("net_value"))
    average = pl.when(pl.col("frequency") > 0).then(pl.col("repeat_value") / pl.col("frequency"))
    return out.with_columns(average.alias("avg_repeat_value")).drop("repeat_value").sort("customer_id")


def _net_of_returns(bought: pl.DataFrame, returns: pl.DataFrame) -> pl.DataFrame:
    """Each return-only day's value moves to the latest purchase day on or before it (the first when none precedes)."""
    targets = bought.select("customer_id", pl.col("day").alias("target")).sort("target")
    placed = returns.sort("day").join_asof(targets, left_on="day", right_on="target", by="customer_id",
                                           strategy="backward", check_sortedness=False)
    firsts = bought.group_by("customer_id").agg(pl.col("day").min().alias("first"))
    placed = placed.join(firsts, on="customer_id", how="inner").select(
        "customer_id", pl.coalesce("target", "first").alias("day"), pl.col("value").alias("returned"))
    returned = placed.group_by("customer_id", "day").agg(pl.col("returned").sum())
    return bought.join(returned, on=["customer_id", "day"], how="left").with_columns(
        (pl.col("value") + pl.col("returned").fill_null(0.0)).alias("value")).drop("returned")


def value_eligible(inputs: pl.DataFrame) -> pl.DataFrame:
    """Customers the Gamma-Gamma model is fitted on: repeat purchases of positive net average and net value."""
    return inputs.filter((pl.col("frequency") > 0) & (pl.col("avg_repeat_value") > 0) & (pl.col("net_value") > 0))


def fit_counting(model: str, inputs: pl.DataFrame) -> btyd.Fit:
    """BG/NBD or MBG/NBD on every customer; identical (x, t_x, T) rows share one weighted likelihood term."""
    keys = ["frequency", "recency", "T"]
    grouped = inputs.group_by(keys).agg(pl.len().alias("weight")).sort(keys)  # sorting fixes the summation order
    fit = getattr(btyd, f"fit_{model}")  # looked up at call time: tests replace a fit to make it fail
    found: btyd.Fit = fit(*(grouped[k].to_numpy() for k in keys), grouped["weight"].to_numpy())
    return found


def fit_value(inputs: pl.DataFrame) -> btyd.Fit:
    """Gamma-Gamma on the value-eligible customers."""
    eligible = value_eligible(inputs)
    return btyd.fit_gamma_gamma(eligible["frequency"].to_numpy(), eligible["avg_repeat_value"].to_numpy())


def _arrays(inputs: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, big_t = (inputs[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    return x, t_x, big_t


def expected_purchases(model: str, fit: btyd.Fit, t: float, inputs: pl.DataFrame) -> np.ndarray:
    """Expected purchases of each customer in the next t time units under the model."""
    return np.asarray(getattr(btyd, f"{model}_expected_purchases")(fit.params, t, *_arrays(inputs)))


def discounted_purchases(model: str, fit: btyd.Fit, inputs: pl.DataFrame, params: Params) -> np.ndarray:
    """Expected purchases over the horizon, each step's increment discounted to today at the step's end."""
    horizon = params.horizon_units
    if params.discount_rate == 0:
        return expected_purchases(model, fit, horizon, inputs)
    steps = params.discount_steps
    ends = np.linspace(0.0, horizon, steps + 1)
    cumulative = [np.zeros(inputs.height)] + [expected_purchases(model, fit, s, inputs) for s in ends[1:]]
    factors = (1 + params.discount_rate) ** -(ends * params.unit_days / 365.25)
    return np.asarray(sum(factors[k] * (cumulative[k] - cumulative[k - 1]) for k in range(1, steps + 1)))


def predict(inputs: pl.DataFrame, model: str, fit: btyd.Fit, gg: btyd.Fit, params: Params) -> pl.DataFrame:
    """Per customer: P(alive), expected purchases and value over the horizon (discounted when asked); customers
    whose net value, or net repeat value, is ≤ 0 are expected to bring 0."""
    x = inputs["frequency"].to_numpy().astype(float)
    monetary = np.nan_to_num(inputs["avg_repeat_value"].to_numpy().astype(float), nan=0.0).clip(min=0.0)
    average = btyd.gamma_gamma_expected_value(gg.params, x, monetary)
    if gg.params["q"] <= 1:  # the population mean is infinite: no forecast for customers without repeat value
        average = np.where(x > 0, average, np.nan)
    worthless = ((inputs["net_value"] <= 0) | ((inputs["frequency"] > 0) & (inputs["avg_repeat_value"] <= 0)))
    average = np.where(worthless.to_numpy(), 0.0, average)
    value = average * discounted_purchases(model, fit, inputs, params)
    p_alive = getattr(btyd, f"{model}_p_alive")(fit.params, *_arrays(inputs))
    return inputs.with_columns(
        pl.Series("p_alive", p_alive), pl.Series("expected_orders", expected_purchases(model, fit, params.horizon_units,
                                                                                        inputs)),
        pl.Series("expected_avg_value", average, nan_to_null=True), pl.Series("expected_value", value, nan_to_null=True))


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson correlation, None when either side is constant (Gamma-Gamma's independence check)."""
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


@dataclass(frozen=True)
class Calibration:
    """The holdout test's inputs: customers before the holdout start, their actual holdout purchases, its length."""

    inputs: pl.DataFrame
    actual: pl.DataFrame
    length: float
    gamma_gamma: btyd.Fit


def calibration(days: pl.DataFrame, as_of: dt.date, params: Params) -> Calibration | Holdout:
    """The calibration sample of the holdout test, or why there is none."""
    start = params.holdout_start
    if start is None:
        return Holdout("not_requested")
    first = days.filter(pl.col("purchase"))["day"].min()
    if not (isinstance(first, dt.date) and first < start <= as_of):
        return Holdout("outside", start=start, first_day=first if isinstance(first, dt.date) else None, end=as_of)
    inputs = btyd_inputs(days, start - dt.timedelta(days=1), params.unit_days)
    if value_eligible(inputs).height < params.min_repeat_customers:
        return Holdout("too_few_repeat", start=start)
    actual = days.filter(pl.col("purchase") & (pl.col("day") >= start)).group_by("customer_id").agg(
        pl.len().alias("actual"))
    return Calibration(inputs, actual, ((as_of - start).days + 1) / params.unit_days, fit_value(inputs))


def holdout_frame(cal: Calibration, model: str, fit: btyd.Fit) -> pl.DataFrame:
    """Calibration customers with their actual and predicted holdout purchases under the model."""
    return cal.inputs.join(cal.actual, on="customer_id", how="left").with_columns(
        pl.col("actual").fill_null(0).cast(pl.Int64),
        pl.Series("predicted", expected_purchases(model, fit, cal.length, cal.inputs)))


def holdout_summary(cal: Calibration, frame: pl.DataFrame, fit: btyd.Fit, params: Params, as_of: dt.date) -> Holdout:
    """The holdout test's totals and mean absolute error per customer."""
    error = float((frame["predicted"] - frame["actual"]).abs().sum()) / max(frame.height, 1)
    return Holdout(None, start=params.holdout_start, end=as_of, length=cal.length, customers=frame.height,
                   actual_total=int(frame["actual"].sum()), predicted_total=float(frame["predicted"].sum()),
                   mae=error, converged=fit.converged and cal.gamma_gamma.converged)


def _candidate(model: str, inputs: pl.DataFrame, cal: Calibration | Holdout
               ) -> tuple[btyd.Fit, btyd.Fit | None, pl.DataFrame | None, Diagnosis]:
    """A counting model fitted on all data and on the calibration sample, with its diagnosis."""
    full = fit_counting(model, inputs)
    if not isinstance(cal, Calibration):
        return full, None, None, diagnose(model, full, None)
    calibrated = fit_counting(model, cal.inputs)
    frame = holdout_frame(cal, model, calibrated)
    error = relative_error(float(frame["predicted"].sum()), int(frame["actual"].sum()))
    return full, calibrated, frame, diagnose(model, full, error)


def forecast(days: pl.DataFrame, inputs: pl.DataFrame, params: Params, as_of: dt.date
             ) -> tuple[Forecast, pl.DataFrame, Holdout, pl.DataFrame | None, pl.DataFrame]:
    """Fit, diagnose, choose the counting model and predict each customer.

    Returns the forecast's facts, the customers with predictions, the holdout facts and table, the params table."""
    cal = calibration(days, as_of, params)
    candidates = {"bgnbd": _candidate("bgnbd", inputs, cal)}
    if candidates["bgnbd"][3].degenerate:
        candidates["mbgnbd"] = _candidate("mbgnbd", inputs, cal)
    model, reason = choose(tuple(c[3] for c in candidates.values()))
    full, calibrated, frame, _ = candidates[model]
    gg = fit_value(inputs)
    out = predict(inputs, model, full, gg, params)
    holdout = cal if isinstance(cal, Holdout) else holdout_summary(cal, frame, calibrated, params, as_of)  # type: ignore[arg-type]
    rows: list[FitRow] = [("full", m, c[0]) for m, c in candidates.items()] + [("full", "gamma_gamma", gg)]
    if isinstance(cal, Calibration):
        rows += [("calibration", m, c[1]) for m, c in candidates.items() if c[1] is not None]
        rows += [("calibration", "gamma_gamma", cal.gamma_gamma)]
    facts = summarise(out, inputs, model, reason, {m: c[0] for m, c in candidates.items()}, gg,
                      tuple(c[3] for c in candidates.values()))
    return facts, out, holdout, holdout_table(frame) if frame is not None else None, params_table(rows)


def summarise(out: pl.DataFrame, inputs: pl.DataFrame, model: str, reason: str, fits: dict[str, btyd.Fit],
              gg: btyd.Fit, diagnoses: tuple[Diagnosis, ...]) -> Forecast:
    """The forecast's facts: the chosen model, the fits, totals and the Gamma-Gamma checks."""
    eligible = value_eligible(inputs)
    repeaters = out.filter(pl.col("frequency") > 0)
    q = gg.params["q"]
    expected = float(out["expected_value"].sum())
    worthless = out.filter((pl.col("net_value") <= 0) | ((pl.col("frequency") > 0) & (pl.col("avg_repeat_value") <= 0)))
    return Forecast(
        model=model, model_reason=reason, counting=fits[model], bgnbd=fits["bgnbd"], gamma_gamma=gg,
        diagnoses=diagnoses, converged=fits[model].converged and gg.converged,
        gg_correlation=pearson(eligible["frequency"].to_numpy().astype(float), eligible["avg_repeat_value"].to_numpy()),
        population_avg_value=gg.params["p"] * gg.params["gamma"] / (q - 1) if q > 1 else None,
        expected_value_total=round(expected, 6), expected_orders_total=float(out["expected_orders"].sum()),
        expected_value_per_customer=expected / out.height,
        p_alive_below_half=float((repeaters["p_alive"] < 0.5).sum()) / repeaters.height if repeaters.height else None,
        one_time_buyers=out.height - repeaters.height, nonpositive_value_customers=worthless.height)


def params_table(rows: list[FitRow]) -> pl.DataFrame:
    """One row per fit (full, calibration), model and parameter, with the fit's log-likelihood and convergence."""
    names = {"bgnbd": btyd.BGNBD, "mbgnbd": btyd.MBGNBD, "gamma_gamma": btyd.GAMMA_GAMMA}
    table = [(scope, model, p, fit.params[p], fit.std_errors[p], fit.log_likelihood, fit.converged, fit.customers)
             for scope, model, fit in sorted(rows, key=lambda r: r[0] == "calibration") for p in names[model]]
    return pl.DataFrame(table, orient="row", schema={
        "fit": pl.String, "model": pl.String, "parameter": pl.String, "estimate": pl.Float64, "std_error": pl.Float64,
        "log_likelihood": pl.Float64, "converged": pl.Boolean, "customers": pl.Int64})


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
    """Customers with a repeat purchase by P(alive) in tenths (one-time buyers have P(alive) = 1 under BG/NBD)."""
    repeat = people.filter(pl.col("frequency") > 0)
    tenth = (pl.col("p_alive") * 10).floor().clip(upper_bound=9).cast(pl.Int64)
    counts = repeat.group_by(tenth.alias("bin")).agg(pl.len().alias("customers"))
    grid = pl.DataFrame({"bin": range(10)}, schema={"bin": pl.Int64})
    filled = grid.join(counts, on="bin", how="left").with_columns(pl.col("customers").fill_null(0).cast(pl.Int64))
    return filled.with_columns(
        (pl.col("bin") / 10).alias("lower"), ((pl.col("bin") + 1) / 10).alias("upper"),
        (pl.col("customers") / max(repeat.height, 1)).alias("customers_share"),
    ).select("bin", "lower", "upper", "customers", "customers_share").sort("bin")
