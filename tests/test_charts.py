"""Chart snapshots: the Vega-Lite dict of every RFM and cohort chart on the golden fixture (never SVG bytes).

Regenerate only after an intended chart change, then review the diff: CJMGEN_REGEN_GOLDEN=1 pytest tests/test_charts.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from golden_support import AS_OF, transactions
from test_golden import COHORT_PARAMS, RFM_PARAMS

from cjmgen.analyses import cohorts, rfm
from cjmgen.analyses.base import Context
from cjmgen.charts import chart_module
from cjmgen.charts.theme import Theme
from cjmgen.facts import build_facts
from cjmgen.render.svg import chart_spec, to_svg

SNAPSHOTS = Path(__file__).parent / "golden" / "charts"
REGEN = os.environ.get("CJMGEN_REGEN_GOLDEN") == "1"


def _charts(locale: str) -> dict[str, dict]:
    spec = SimpleNamespace(project=SimpleNamespace(locale=locale))
    ctx = Context(spec, build_facts({"transactions": transactions()}, AS_OF))
    out = {}
    for module, params in ((rfm, RFM_PARAMS), (cohorts, COHORT_PARAMS)):
        result = module.compute(ctx, params)
        for key, chart in _charts_of(module, result, ctx).items():
            out[f"{module.name}_{key}_{locale}"] = chart_spec(chart, "#1f4e79", locale)
    return out


def _charts_of(module, result, ctx):
    return chart_module(module.name).charts(result, Theme(ctx.locale))


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_chart_specs_match_snapshots(locale):
    for key, spec in _charts(locale).items():
        path = SNAPSHOTS / f"{key}.json"
        text = json.dumps(spec, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        if REGEN:
            SNAPSHOTS.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.is_file(), f"no snapshot {path.name}: regenerate with CJMGEN_REGEN_GOLDEN=1"
        assert json.loads(text) == json.loads(path.read_text(encoding="utf-8")), key


def test_theme_and_locale_reach_every_chart():
    for key, spec in _charts("ru").items():
        assert spec["config"]["view"]["stroke"] is None, key  # the theme survives Altair's own view config
        assert spec["config"]["locale"]["number"]["decimal"] == ",", key
        assert spec["config"]["font"] == "DejaVu Sans", key


def test_charts_render_to_svg_with_cyrillic_labels():
    spec = SimpleNamespace(project=SimpleNamespace(locale="ru"))
    ctx = Context(spec, build_facts({"transactions": transactions()}, AS_OF))
    chart = _charts_of(rfm, rfm.compute(ctx, RFM_PARAMS), ctx)["rf_customers"]
    svg = to_svg(chart, "#1f4e79", "ru")
    assert svg.startswith("<svg") and "Клиенты по R × F" in svg


# ------------------------------------------------------------------ binned colour scales (legends WeasyPrint paints)

@pytest.mark.parametrize("low, high, cuts", [
    (104, 400, [150, 200, 250, 300, 350]),     # span 296 / 5 ≈ 59: step 50 gives 6 classes, step 100 only 3
    (0.85, 1.0, [0.9, 0.95]),                  # step 0.02 would give 8 classes: 0.05 (3) is nearer to 5
    (0.955, 0.99, [0.96, 0.97, 0.98]),
    (0, 1, [0.2, 0.4, 0.6, 0.8]),
    (-3, 12, [0, 5, 10]),
    (5, 5, [5]),                               # nothing to split: one cut, two classes
])
def test_nice_thresholds(low, high, cuts):
    from cjmgen.charts.builders import nice_thresholds

    assert nice_thresholds(low, high) == pytest.approx(cuts)


def test_binned_colour_is_a_threshold_scale_with_a_band_legend_and_no_gradient():
    import altair as alt

    from cjmgen.charts.builders import binned_colour

    colour = binned_colour("v", 0.9, 0.99, title=None, fmt=".0%")
    assert colour.to_dict()["scale"] == {"type": "threshold", "domain": [0.92, 0.94, 0.96, 0.98],
                                         "scheme": {"name": "blues", "count": 5}}
    data = alt.Data(values=[{"x": i, "v": 0.9 + i / 100} for i in range(10)])
    svg = to_svg(alt.Chart(data).mark_rect().encode(x="x:O", color=colour), "#1f4e79")
    assert "linearGradient" not in svg and "role-legend" in svg and "98%" in svg
