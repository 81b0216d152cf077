"""The LTV forecast's facts and its model choice: when a BG/NBD fit is degenerate, and what replaces it (METHODS §3).

A fit is degenerate when a parameter sits at the search bound, when a parameter's standard error exceeds its estimate
(or the Hessian gives none), or when its holdout forecast of repeat purchases misses the actual total by more than
20%. Then MBG/NBD is fitted too and the model with the smaller holdout error is used; without a holdout test,
MBG/NBD is used when its own fit is sound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # scipy loads only when a forecast is fitted, not on `cjmgen validate`
    from cjmgen.analyses import btyd


MAX_HOLDOUT_ERROR = 0.2
"""A holdout forecast of total repeat purchases further than this from the actual total marks the fit degenerate."""


@dataclass(frozen=True)
class Diagnosis:
    """Why a purchase-count model's fit can or cannot be trusted."""

    model: str
    """bgnbd or mbgnbd."""
    at_bound: tuple[str, ...]
    """Parameters at the search bound."""
    uncertain: tuple[str, ...]
    """Parameters whose standard error exceeds the estimate or cannot be computed."""
    holdout_error: float | None
    """|predicted − actual| / actual repeat purchases in the holdout period; None without a holdout test."""

    @property
    def holdout_too_far(self) -> bool:
        """The holdout error passes 20%."""
        return self.holdout_error is not None and self.holdout_error > MAX_HOLDOUT_ERROR

    @property
    def degenerate(self) -> bool:
        """Any of the three signs."""
        return bool(self.at_bound or self.uncertain or self.holdout_too_far)


@dataclass(frozen=True)
class Holdout:
    """The holdout test: its totals, or why it was skipped (not_requested, outside, too_few_repeat)."""

    skipped: str | None
    start: dt.date | None = None
    end: dt.date | None = None
    first_day: dt.date | None = None
    length: float = 0.0
    customers: int = 0
    actual_total: int = 0
    predicted_total: float = 0.0
    mae: float = 0.0
    converged: bool = True

    @property
    def gap(self) -> float | None:
        """Predicted / actual − 1; None when nobody bought in the holdout period."""
        return self.predicted_total / self.actual_total - 1 if self.actual_total else None


@dataclass(frozen=True)
class Forecast:
    """The fitted models, the choice between them and the forecast's totals."""

    model: str
    """The purchase-count model used: bgnbd or mbgnbd."""
    model_reason: str
    """sound (BG/NBD's fit is sound), holdout (smaller holdout error), sound_alternative (BG/NBD degenerate, MBG/NBD
    sound, no holdout test) or no_better_model (both degenerate, BG/NBD kept)."""
    counting: btyd.Fit
    """The fit of the model used."""
    bgnbd: btyd.Fit
    gamma_gamma: btyd.Fit
    diagnoses: tuple[Diagnosis, ...]
    """BG/NBD's, then MBG/NBD's when it was fitted."""
    converged: bool
    gg_correlation: float | None
    population_avg_value: float | None
    expected_value_total: float
    expected_orders_total: float
    expected_value_per_customer: float
    p_alive_below_half: float | None
    one_time_buyers: int
    nonpositive_value_customers: int
    """Customers whose net value (or net repeat value) is ≤ 0: expected value 0, not in the Gamma-Gamma fit."""

    @property
    def diagnosis(self) -> Diagnosis:
        """The diagnosis of the model used."""
        return next(d for d in self.diagnoses if d.model == self.model)

    @property
    def bgnbd_diagnosis(self) -> Diagnosis:
        """BG/NBD's diagnosis."""
        return self.diagnoses[0]

    @property
    def p_alive_meaningful(self) -> bool:
        """P(alive) is shown only from a fit that is not degenerate."""
        return not self.diagnosis.degenerate


def relative_error(predicted: float, actual: int) -> float | None:
    """|predicted − actual| / actual; None when nothing was bought."""
    return abs(predicted - actual) / actual if actual else None


def diagnose(model: str, fit: btyd.Fit, holdout_error: float | None) -> Diagnosis:
    """The signs of a degenerate fit."""
    uncertain = tuple(name for name, value in fit.params.items()
                      if fit.std_errors.get(name) is None or (fit.std_errors[name] or 0.0) > value)
    return Diagnosis(model, fit.at_bound, uncertain, holdout_error)


def choose(diagnoses: tuple[Diagnosis, ...]) -> tuple[str, str]:
    """(model, reason): BG/NBD when sound; else the smaller holdout error, or a sound MBG/NBD without a holdout."""
    bg = diagnoses[0]
    if not bg.degenerate or len(diagnoses) == 1:
        return bg.model, "sound"
    alternative = diagnoses[1]
    if bg.holdout_error is not None and alternative.holdout_error is not None:
        best = min(diagnoses, key=lambda d: (d.holdout_error or 0.0, d.model != "bgnbd"))
        return best.model, "holdout"
    if not alternative.degenerate:
        return alternative.model, "sound_alternative"
    return bg.model, "no_better_model"
