"""The public Python entry points: validate, build, schema. The CLI is a thin layer over these."""

from __future__ import annotations

import datetime as dt
import difflib
import platform
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from cjmgen import __version__
from cjmgen.analyses import ANALYSES, Context, Result, params_of
from cjmgen.data.headers import canonical_columns
from cjmgen.data.readers import SourceData, read_source
from cjmgen.errors import Problem, UserError
from cjmgen.facts import Facts, build_facts, longest_silence
from cjmgen.outputs import Staging, check_target, unique_name, write_workbook
from cjmgen.spec.loader import LoadedSpec, load_spec, spec_model
from cjmgen.spec.locator import parse_path

Progress = Callable[[str], None]
SUMMARY = "summary"


@dataclass
class BuildResult:
    """What a build wrote and how long each stage took."""

    out: Path
    files: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


def analysis_params() -> dict[str, Any]:
    """Spec block models of the registered analyses configured under `analyses`."""
    return {name: a.Params for name, a in ANALYSES.items() if a.Params is not None and a.spec_block is None}


def validate(spec_path: Path) -> LoadedSpec:
    """The one validation stage, before any row is read: the spec's schema and cross-references, then each source
    file's header (file readable, mapped columns present, required columns mapped) and the columns every configured
    analysis needs. Raises UserError listing every problem at once, in the spec's line order."""
    try:
        loaded = load_spec(Path(spec_path), analysis_params(), checks=(_section_problems,))
    except UserError as exc:
        raise UserError(_in_line_order(exc.problems)) from None
    problems = _column_problems(loaded)
    if problems:
        raise UserError(_in_line_order(problems))
    return loaded


def _in_line_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.column or 0))


def _column_problems(loaded: LoadedSpec) -> list[Problem]:
    """Header problems of every source, and every column an enabled analysis needs but no source provides."""
    problems: list[Problem] = []
    available: dict[str, set[str]] = {}
    for table, source in loaded.spec.sources.items():
        available[table], found = canonical_columns(table, source, loaded.base_dir, loaded.locator)
        problems += found
    unreadable = {t for t, cols in available.items() if not cols}
    for name in enabled_analyses(loaded.spec):
        a = ANALYSES[name]
        root = ("analyses", name) if a.spec_block is None else (a.spec_block,)
        wanted = [((), table, column) for table, columns in a.needs.items() for column in columns]
        if hasattr(a, "needs_for"):
            wanted += a.needs_for(params_of(a, loaded.spec))
        absent: set[str] = set(a.needs)  # a declared source the spec lacks is reported by the section check
        for where, table, column in wanted:
            if table not in available:
                if table not in absent:
                    absent.add(table)  # once per missing source, not once per column
                    problems.append(loaded.locator.problem(
                        (*root, *where), f"{name} needs {table}.{column}; the spec has no sources.{table}"))
                continue
            if table in unreadable or column in available[table]:
                continue  # an unreadable file is reported once, above
            derived = " (or quantity and price)" if (table, column) == ("transactions", "amount") else ""
            message = (f"{name} needs {table}.{column}{derived}; the spec maps no such column and "
                       f"{loaded.spec.sources[table].path} has none")
            problems.append(loaded.locator.problem((*root, *where), message))
    return problems


def schema() -> dict[str, Any]:
    """JSON Schema of the spec, for editor completion."""
    model = spec_model(tuple(analysis_params().items()))
    out = model.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["title"] = "cjmgen project spec"
    return out


def spec_reference() -> str:
    """The spec reference (Markdown tables generated from the models' descriptions)."""
    from cjmgen.spec.reference import reference_markdown

    return reference_markdown(spec_model(tuple(analysis_params().items())))


def enabled_analyses(spec: Any) -> list[str]:
    """Names of the analyses the spec configures, in registry order."""
    return [name for name, a in ANALYSES.items() if params_of(a, spec)]


def _section_problems(spec: Any, base_dir: Path):
    """Section names must be summary or a configured analysis; configured analyses need their sources."""
    enabled = set(enabled_analyses(spec))
    for i, section in enumerate(spec.report.sections or []):
        if section.section is None or section.section == SUMMARY or section.section in enabled:
            continue
        loc = ("report", "sections", i)
        if section.section in ANALYSES:
            block = ANALYSES[section.section].spec_block or f"analyses.{section.section}"
            yield loc, f"section {section.section!r} is not configured: the spec has no {block} block", False
        else:
            close = difflib.get_close_matches(section.section, [SUMMARY, *ANALYSES], n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"expected {SUMMARY}, {', '.join(ANALYSES)}"
            yield loc, f"unknown section {section.section!r}; {hint}", False
    for name in enabled:
        a = ANALYSES[name]
        for table, columns in a.needs.items():
            if table not in spec.sources:
                where = ("analyses", name) if a.spec_block is None else (a.spec_block,)
                yield where, f"{name} needs a {table} source ({', '.join(columns)}); the spec has no sources.{table}", False


class _Clock:
    def __init__(self, progress: Progress | None):
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def stage(self, name: str):
        if self.progress:
            self.progress(name)
        start = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)


def build(spec_path: Path, out: Path | None = None, *, progress: Progress | None = None) -> BuildResult:
    """Validate, read, compute, render and write everything; the output folder changes only on success."""
    clock = _Clock(progress)
    with clock.stage("validate"):
        loaded = validate(spec_path)
    out = Path(out) if out is not None else loaded.base_dir / "out"
    check_target(out)
    with clock.stage("read"):
        sources = read_sources(loaded)
    with clock.stage("facts"):
        facts = build_facts({t: s.frame for t, s in sources.items()}, loaded.spec.project.as_of) if sources else None
        from cjmgen.render.quality import quality_of

        quality = quality_of(sources, facts)
        sources = {t: replace(s, frame=s.frame.clear()) for t, s in sources.items()}  # facts hold the data now
    _check_customers(loaded, facts)
    ctx = Context(loaded.spec, facts)
    results: dict[str, Result] = {}
    for name in enabled_analyses(loaded.spec):
        with clock.stage(f"analysis:{name}"):
            results[name] = _compute(loaded, ctx, name)
    staging = Staging(out)
    try:
        _write_report(staging, loaded, ctx, quality, results, clock)
        with clock.stage("tables"):
            _write_tables(staging, loaded, sources, results)
        info = build_info(loaded, sources, facts, clock.timings, quality)
        staging.write_json("build.json", info)
        files = staging.files()
        staging.commit()
    except BaseException:
        staging.discard()
        raise
    return BuildResult(out, files, clock.timings, info)


def _write_report(staging: Staging, loaded: LoadedSpec, ctx: Context, quality: list,
                  results: dict[str, Result], clock: _Clock) -> None:
    from cjmgen.render.document import build_document
    from cjmgen.render.html import render_html

    outputs = loaded.spec.report.outputs
    if "html" not in outputs and "pdf" not in outputs:
        return
    with clock.stage("charts"):
        doc = build_document(ctx, loaded.base_dir, quality, results)
    with clock.stage("html"):
        templates = loaded.base_dir / loaded.spec.report.templates if loaded.spec.report.templates else None
        html = render_html(doc, templates, loaded.base_dir)
        if "html" in outputs:
            staging.path("report.html").write_text(html, encoding="utf-8")
    if "pdf" in outputs:
        from cjmgen.render.pdf import write_pdf

        with clock.stage("pdf"):
            write_pdf(html, staging.path("report.pdf"), loaded.base_dir)


def read_sources(loaded: LoadedSpec) -> dict[str, SourceData]:
    """Every source of the spec, read and validated (all file problems reported together)."""
    found: dict[str, SourceData] = {}
    problems = []
    for table, source in loaded.spec.sources.items():
        try:
            found[table] = read_source(table, source, loaded.base_dir, loaded.locator)
        except UserError as exc:
            problems.extend(exc.problems)
    if problems:
        raise UserError(problems)
    return found


MAX_SILENCE = dt.timedelta(days=3 * 365)
"""Three years without a single transaction line: over a thousand empty days, 150 empty weeks. Charts by period
would draw them all (a typo dated 2999 made a build draw ~11,000 empty months for 110 s and then fail)."""


def _check_customers(loaded: LoadedSpec, facts: Facts | None) -> None:
    """The dates leave no silence of years (see MAX_SILENCE); customer analyses need at least one identified
    customer with an order up to as_of, and when there is none, the message says why."""
    if facts is None or facts.sales is None:
        return
    _check_silence(loaded, facts.sales)
    if facts.sales.customers.height:
        return
    needing = [n for n in enabled_analyses(loaded.spec) if "customer_id" in ANALYSES[n].needs.get("transactions", ())]
    if not needing:
        return
    problem = _why_no_customer(loaded, facts.sales, needing)
    raise UserError([problem] if problem else [loaded.locator.problem(
        ("analyses", n), f"{n}: no identified customer has an order on or before {facts.sales.as_of}; "
                         f"check sources.transactions.columns.customer_id and project.as_of") for n in needing])


def _check_silence(loaded: LoadedSpec, sales: Any) -> None:
    """Years without a single line (a typo in a year, or as_of far past the data) would draw thousands of empty
    periods: refused, naming the lines or the as_of to check."""
    before, after = longest_silence(sales)
    if after - before <= MAX_SILENCE:
        return
    at_end = after == sales.as_of and loaded.spec.project.as_of is not None
    early = sales.lines.filter(pl.col("day") <= before).height
    late = sales.lines.height - early
    odd = f"the lines dated {before} or earlier (lines: {early:,})" if early < late else f"the lines dated {after} or later (lines: {late:,})"
    hint = "set project.as_of closer to the data" if at_end else \
        f"check {odd} in {loaded.spec.sources['transactions'].path} (a typo in the year?)"
    raise UserError([loaded.locator.problem(
        ("project", "as_of") if at_end else ("sources", "transactions", "path"),
        f"no transaction from {before} to {after} ({(after - before).days:,} days): every chart by period would "
        f"draw thousands of empty periods; {hint}")])


def _why_no_customer(loaded: LoadedSpec, sales: Any, needing: list[str]) -> Problem | None:
    """The cause when no identified customer has an order: no line up to as_of, no customer ids, or returns only."""
    where, columns, lines = ("sources", "transactions"), loaded.spec.sources["transactions"].columns, sales.lines
    if lines.is_empty():
        return loaded.locator.problem(("project", "as_of"), f"no transaction line is dated on or before {sales.as_of} "
                                                            f"(project.as_of): every line is after it")
    if lines["customer_id"].null_count() == lines.height:
        return loaded.locator.problem((*where, "columns", "customer_id") if "customer_id" in columns else where,
                                      f"customer_id is empty on all {lines.height:,} lines: "
                                      f"{', '.join(needing)} need identified customers; map the column that holds them")
    if sales.has_amount and lines.filter(pl.col("customer_id").is_not_null())["amount"].max() < 0:
        return loaded.locator.problem((*where, "columns", "amount") if "amount" in columns else where,
                                      f"every line of {loaded.spec.sources['transactions'].path} with a customer_id "
                                      f"has a negative amount: the log holds returns only, no sale; "
                                      f"{', '.join(needing)} need sales. Check the sign of the amount column")
    return None


def _write_tables(staging: Staging, loaded: LoadedSpec, sources: dict[str, SourceData], results: dict[str, Result]) -> None:
    tables: dict[str, pl.DataFrame] = {}
    table_names: set[str] = set()
    segment_names: set[str] = set()
    for result in results.values():
        for key, frame in result.exported_tables().items():
            key = unique_name(key, table_names)  # breakdown and matrix names come from the spec
            staging.write_csv(f"tables/{key}.csv", frame)
            tables[key] = frame
        for segment, members in result.customer_lists().items():
            staging.write_csv(f"segments/{unique_name(segment, segment_names)}.csv", members)
    for table, source in sources.items():
        if not source.quarantine.is_empty():
            staging.write_csv(f"quarantine/{table}.csv", source.quarantine.rename({"__row": "line"}))
    if "xlsx" in loaded.spec.report.outputs and tables:
        write_workbook(staging.path("tables/tables.xlsx"), tables)


def _compute(loaded: LoadedSpec, ctx: Context, name: str) -> Result:
    """One analysis; a problem its values reveal that names a spec key gets that key's file:line:col."""
    try:
        return ANALYSES[name].compute(ctx, params_of(ANALYSES[name], loaded.spec))
    except UserError as exc:
        raise UserError([_at_spec_key(loaded, p) for p in exc.problems]) from None


def _at_spec_key(loaded: LoadedSpec, problem: Problem) -> Problem:
    top = problem.path.split(".")[0].split("[")[0]
    if problem.line is not None or top not in type(loaded.spec).model_fields:
        return problem  # already located, or a data column (campaign_members: group)
    where = "" if problem.file in ("spec", str(loaded.path), loaded.locator.display) else f"{problem.file}: "
    return loaded.locator.problem(parse_path(problem.path), where + problem.message)


def build_info(loaded: LoadedSpec, sources: dict[str, SourceData], facts: Facts | None, timings: dict[str, float],
               quality: list[Any] | None = None) -> dict[str, Any]:
    """build.json: what went in (hashes, row counts by fate), versions, timings. No credentials, no clock time."""
    inputs = {}
    for table, source in sources.items():
        excluded = facts.sales.excluded_after_as_of if facts and facts.sales and table == "transactions" else 0
        inputs[table] = {
            "path": str(loaded.spec.sources[table].path),
            "sha256": source.sha256,
            "rows_read": source.rows_read,
            "rows_used": source.rows_valid - excluded,
            "rows_quarantined": source.quarantined_by_reason(),
            "rows_excluded": ({"after_as_of": excluded} if excluded else {})
            | ({"duplicate": source.duplicates_dropped} if source.duplicates_dropped else {}),
            "blank_lines_skipped": source.blank_lines,
            "duplicate_rows": source.duplicate_rows,
            "values_set_to_null": source.nulled,
            "notes": list(source.notes),
        }
    for checked in quality or []:
        if getattr(checked, "checks", None) is not None and checked.table in inputs:
            inputs[checked.table]["line_checks"] = checked.checks.as_dict()
    as_of = facts.sales.as_of if facts and facts.sales else loaded.spec.project.as_of
    return {
        "cjmgen": __version__,
        "spec": {"path": loaded.path.name, "sha256": loaded.sha256},
        "as_of": as_of.isoformat() if as_of else None,
        "inputs": inputs,
        "analyses": enabled_analyses(loaded.spec),
        "versions": _versions(),
        "timings_s": timings,
    }


def _versions() -> dict[str, str]:
    names = ("polars", "pydantic", "jinja2", "altair", "vl-convert-python", "weasyprint", "babel", "scikit-learn")
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found
