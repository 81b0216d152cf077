"""Walk the registry: every analysis builds in en and ru, every chapter partial renders, no English UI string is left
in a Russian report.

The demo engagement (small) and the two journey/QFD examples together configure every registered analysis; each is
built as HTML in both locales.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from ruamel.yaml import YAML

from cjmgen import api
from cjmgen.analyses import ANALYSES
from cjmgen.demo import write_demo
from cjmgen.i18n import catalog_path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("walk")
    found = {"demo": write_demo(root / "demo", rows=3000, seed=7)}
    for name in ("kindergarten", "b2b-distributor"):
        shutil.copytree(EXAMPLES / name, root / name)
        found[name] = root / name / "project.yaml"
    return found


def _variant(spec: Path, locale: str) -> Path:
    """The spec with another report locale and HTML output only, beside the original (relative paths hold)."""
    data = YAML(typ="safe").load(spec.read_text(encoding="utf-8"))
    data["project"]["locale"] = locale
    data.setdefault("report", {})["outputs"] = ["html"]
    target = spec.with_name(f"walk-{locale}.yaml")
    target.write_text(json.dumps(data, default=str, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return target


@pytest.fixture(scope="module")
def built(projects: dict[str, Path]) -> dict[tuple[str, str], tuple[list[str], str]]:
    out = {}
    for name, spec in projects.items():
        for locale in ("en", "ru"):
            variant = _variant(spec, locale)
            result = api.build(variant, variant.parent / f"out-{locale}")
            html = (result.out / "report.html").read_text(encoding="utf-8")
            out[name, locale] = (result.info["analyses"], html)
    return out


def test_every_analysis_builds_and_renders_in_both_locales(built):
    for locale in ("en", "ru"):
        covered = {a for (_, loc), (analyses, _) in built.items() if loc == locale for a in analyses}
        assert covered == set(ANALYSES), f"the walk does not configure {set(ANALYSES) - covered}"
    for (name, locale), (analyses, html) in built.items():
        for analysis in analyses:
            assert f'class="chapter chapter-{analysis}"' in html, (name, locale, analysis)
        assert f'<html lang="{locale}">' in html


def _english_ui_strings() -> list[str]:
    """Catalog msgids that are words (two or more, letters only) and that Russian says differently."""
    with catalog_path("ru").open("rb") as fh:
        catalog = read_po(fh, locale="ru")
    found = []
    for message in catalog:
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        text = message.string[0] if isinstance(message.string, tuple) else message.string
        if msgid and text and text != msgid and "%" not in msgid and re.fullmatch(r"[A-Za-z][A-Za-z ,'-]+[a-z]", msgid) \
                and " " in msgid:
            found.append(msgid)
    return found


def _visible_text(html: str) -> str:
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'src="data:[^"]*"', " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_russian_report_has_no_english_ui_string(built):
    english = _english_ui_strings()
    assert len(english) > 100, "the check must have strings to look for"
    def shown(text: str) -> set[str]:
        return {m for m in english if re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", text)}

    assert len(shown(_visible_text(built["demo", "en"][1]))) > 30, "the matcher finds the English report's words"
    for name in ("demo", "kindergarten"):  # b2b's own narrative is English text a user wrote
        left = sorted(shown(_visible_text(built[name, "ru"][1])))
        assert left == [], f"{name}: English UI strings in the Russian report: {left}"


README = Path(__file__).resolve().parent.parent / "README.md"
TABLES_START, TABLES_END = "<!-- tables:start -->", "<!-- tables:end -->"
_PATTERNS = [(re.compile(r"^(cohort_retention_by|repeat_survival_by)_\w+$"), r"\1_<breakdown>"),
             (re.compile(r"^ltv_by_(?!cohort_age$)\w+$"), "ltv_by_<dimension>"),
             (re.compile(r"^matrix_\w+$"), "matrix_<id>")]


def _table_columns(built_dirs: list[Path]) -> dict[str, list[str]]:
    """Every table file the walk's English builds wrote, by its documented name, with its columns."""
    found: dict[str, list[str]] = {}
    for out in built_dirs:
        for path in sorted((out / "tables").glob("*.csv")):
            name = path.stem
            for pattern, generic in _PATTERNS:
                name = pattern.sub(generic, name)
            header = path.open(encoding="utf-8").readline().strip()
            columns = "the spec's own columns" if name == "matrix_<id>" else header.replace(",", ", ")
            # clusters: one share_<category> column per top category of the data
            if name.startswith("clusters_"):
                columns = re.sub(r"share_[^,]+(, share_[^,]+)*", "share_<category> (one per top category)", columns)
            found.setdefault(name, [])
            if columns not in found[name]:
                found[name].append(columns)
    return found


def tables_reference(built_dirs: list[Path]) -> str:
    """The README's list of every output table and its columns (regenerated from real builds, never by hand)."""
    lines = ["| table (`tables/<name>.csv`) | columns |", "|---|---|"]
    for name, variants in sorted(_table_columns(built_dirs).items()):
        lines.append(f"| `{name}` | {' — or — '.join(variants)} |")
    return "\n".join(lines) + "\n"


def test_readme_lists_every_table_and_its_columns(projects, built):
    """Regenerate with CJMGEN_REGEN_README=1 pytest tests/test_registry.py"""
    dirs = [spec.parent / "out-en" for spec in projects.values()]
    text = README.read_text(encoding="utf-8")
    before, rest = text.split(TABLES_START)
    _, after = rest.split(TABLES_END)
    fresh = f"{before}{TABLES_START}\n{tables_reference(dirs)}{TABLES_END}{after}"
    if os.environ.get("CJMGEN_REGEN_README"):
        README.write_text(fresh, encoding="utf-8")
    assert text == fresh


def test_no_two_sentences_run_together(built):
    """Defect: trans blocks on separate lines lost the space between them ("клиентов.Их выручка")."""
    glued = re.compile(r"[a-zа-яё%)»]\.[A-ZА-ЯЁ]")
    for (name, locale), (_, html) in built.items():
        text = _visible_text(html)
        assert [m.group(0) for m in glued.finditer(text)] == [], (name, locale)
