"""The registry of analyses: one explicit list, checked for duplicates. Adding an analysis touches only this list."""

from __future__ import annotations

from types import ModuleType

from cjmgen.analyses import (
    assortment,
    basket,
    basket_kpis,
    clusters,
    cohorts,
    drivers,
    gain_loss,
    journey,
    lifecycle,
    ltv,
    matrices,
    maturity,
    owner_dynamics,
    qfd,
    repeat,
    rfm,
    seasonality,
    survey,
    uplift,
    wallet,
)
from cjmgen.analyses.base import Analysis, Context, Result, params_of

_MODULES: tuple[ModuleType, ...] = (
    rfm, cohorts, journey, qfd, survey, maturity, matrices, repeat, seasonality, drivers, basket_kpis, basket,
    assortment, owner_dynamics, lifecycle, gain_loss, ltv, clusters, uplift, wallet,
)


def _registry(modules: tuple[ModuleType, ...]) -> dict[str, Analysis]:
    found: dict[str, Analysis] = {}
    for module in modules:
        if module.name in found:
            raise RuntimeError(f"two analyses are named {module.name!r}")
        found[module.name] = module  # type: ignore[assignment]
    return found


ANALYSES: dict[str, Analysis] = _registry(_MODULES)
"""Analysis name → module, in report order."""

__all__ = ["ANALYSES", "Analysis", "Context", "Result", "params_of"]
