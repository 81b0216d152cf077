"""The README documents every spec key (its reference section is generated) and every analysis; the registry is whole."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cjmgen import api
from cjmgen.analyses import ANALYSES
from cjmgen.charts import chart_module
from cjmgen.render.html import templates_root

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
START, END = "<!-- spec-reference:start -->", "<!-- spec-reference:end -->"


def test_readme_spec_reference_is_current():
    """Regenerate with CJMGEN_REGEN_README=1 pytest tests/test_docs.py"""
    text = README.read_text(encoding="utf-8")
    before, rest = text.split(START)
    _, after = rest.split(END)
    fresh = f"{before}{START}\n{api.spec_reference()}{END}{after}"
    if os.environ.get("CJMGEN_REGEN_README"):
        README.write_text(fresh, encoding="utf-8")
    assert text == fresh


def test_every_spec_field_has_a_description():
    missing = re.findall(r"^\| `(\w+)` \|[^|]*\|[^|]*\|\s*\|$", api.spec_reference(), flags=re.M)
    assert missing == []


def test_registry_is_whole():
    readme = README.read_text(encoding="utf-8")
    for name, analysis in ANALYSES.items():
        assert (templates_root() / f"_{name}.html").is_file(), name
        key = f"`analyses.{name}`" if analysis.spec_block is None else f"`{analysis.spec_block}`"
        assert key in readme, f"README does not describe {key}"
        assert callable(analysis.compute), name
        charts = chart_module(name)
        assert callable(charts.charts) and charts.title, name
        for locale in ("en", "ru"):
            assert (templates_root() / "methodology" / f"{name}.{locale}.md").is_file(), (name, locale)
        assert not hasattr(analysis, "charts") and not hasattr(analysis, "methodology"), name
        assert not hasattr(analysis, "LABELS") and not hasattr(analysis, "title"), name


def test_every_analysis_is_under_the_independence_contract():
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    independent = next(c for c in contracts if c["type"] == "independence")
    assert set(independent["modules"]) == {f"cjmgen.analyses.{name}" for name in ANALYSES}
