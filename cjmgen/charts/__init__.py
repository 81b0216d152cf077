"""The charts layer: `cjmgen/charts/<analysis name>.py` turns that analysis's result into Altair charts.

A chart module declares `title` (the chapter's topic, an English msgid marked with N_) and
`charts(result, theme) -> {key: chart}`; the chapter partial places each chart by its key.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def chart_module(analysis: str) -> ModuleType:
    """The chart module of an analysis, found by name: `cjmgen.charts.<analysis>` (the registry test checks that
    every analysis has one)."""
    return importlib.import_module(f"cjmgen.charts.{analysis}")
