"""Every project under examples/ builds: report, tables and a build.json whose row counts reconcile.

examples/demo is left out: `make demo` writes it from cjmgen's own demo generator (tests/test_build.py covers
that engagement). The builds take about 35 s together on the 2-core CI machine, most of it the clinic's 44k lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cjmgen import api

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GENERATED = {"demo"}


def _projects() -> list[Path]:
    specs = sorted([*EXAMPLES.glob("*/project.yaml"), *EXAMPLES.glob("*/project.toml")])
    return [spec for spec in specs if spec.parent.name not in GENERATED]


def test_the_examples_are_found():
    assert {"b2b-distributor", "clinic", "kindergarten"} <= {spec.parent.name for spec in _projects()}


@pytest.mark.parametrize("spec", _projects(), ids=lambda spec: spec.parent.name)
def test_example_builds_and_its_rows_reconcile(spec: Path, tmp_path: Path):
    result = api.build(spec, tmp_path / "out")
    pdf = result.out / "report.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF"), "an example is a client report: it writes a PDF"
    info = json.loads((result.out / "build.json").read_text(encoding="utf-8"))
    assert info["inputs"], "an example without data sources proves nothing about reading"
    for table, counts in info["inputs"].items():
        accounted = (counts["rows_used"] + sum(counts["rows_quarantined"].values())
                     + sum(counts["rows_excluded"].values()))
        assert counts["rows_read"] == accounted, table
        assert counts["rows_used"] > 0, table
