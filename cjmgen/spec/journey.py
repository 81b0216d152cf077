"""Spec models of the journey map, QFD, digital maturity and free matrices (METHODS §10–11).

Shapes and single-field rules live on the models; everything that compares ids across blocks
(an unknown stage, a link to an unknown factor, weights that do not sum to 1) is in
`journey_findings`, which runs through the spec locator so each error carries its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from cjmgen.spec.models import SpecBase

WEIGHT_TOLERANCE = 0.01
"""Factor weights given in the spec must sum to 1 within this tolerance (unless qfd.normalize)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Id = Annotated[str, Field(min_length=1, description="Identifier used to cross-reference this item in the spec.")]


def _text(value: Any) -> Any:
    """Numbers in free-text cells (a KPI of `95`) are text too."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_text)]


class Stage(_Strict):
    """One journey stage; stages are drawn left to right in spec order."""

    id: Id = Field(description="Stage id, referenced by touchpoints, lanes and roles, e.g. need.")
    name: str = Field(description="Stage name shown in the map, e.g. 'Need recognition'.")
    description: str | None = Field(None, description="One line under the stage name in the map.")


class Lane(_Strict):
    """An extra row of the journey map with free text per stage (e.g. content, emotions, owners)."""

    name: str = Field(description="Row title shown at the left of the map.")
    cells: dict[str, Text] = Field(default_factory=dict, description="Stage id → text. Line breaks are kept.")


class Lanes(_Strict):
    """Free-text rows of the journey map, each a mapping stage id → text (line breaks kept, '- ' starts a bullet)."""

    thoughts: dict[str, Text] = Field(default_factory=dict, description="Thoughts and needs of the customer per stage.")
    emotions: dict[str, Text] = Field(default_factory=dict, description="Emotions / mood per stage.")
    barriers: dict[str, Text] = Field(default_factory=dict, description="Barriers and pains per stage.")
    tools: dict[str, Text] = Field(
        default_factory=dict, description="Tools acting on the stage's touchpoints (CRM, ads, scripts).")
    loyalty: dict[str, Text] = Field(default_factory=dict, description="Loyalty mechanics per stage.")
    kpi: dict[str, Text] = Field(default_factory=dict, description="KPIs that measure each stage.")
    custom: list[Lane] = Field(default_factory=list, description="Further rows, drawn after the built-in ones.")


class Role(_Strict):
    """A B2B decision-making role and the stages where it acts."""

    id: Id = Field(description="Role id, e.g. strategist.")
    name: str = Field(description="Role name, e.g. 'Strategist (economist)'.")
    stages: list[str] = Field(default_factory=list, description="Ids of the stages where this role decides or influences.")
    concerns: str | None = Field(None, description="What this role cares about, shown in the roles table.")


class Touchpoint(_Strict):
    """A point where the customer meets the company; a column of the QFD matrix."""

    id: Id = Field(description="Touchpoint id, referenced by qfd.links and touchpoint_audits.touchpoint.")
    name: str = Field(description="Touchpoint name shown in the map and charts, e.g. 'Website'.")
    stage: str = Field(description="Id of the journey stage this touchpoint belongs to.")
    channel: Literal["online", "offline"] = Field(description="online or offline: the map's two touchpoint rows.")
    status: Literal["existing", "planned"] = Field(
        "existing", description="existing, or planned (not yet introduced: status 'to be introduced').")
    kind: str | None = Field(None, description="Kind of touchpoint, e.g. 'web form', 'call', 'showroom'.")
    quality: float | None = Field(
        None, description="Quality score (audit, mystery shopper, survey) on the scale of journey.quality_scale. "
                          "Audit scores from a touchpoint_audits source take precedence.")


class QualityScale(_Strict):
    """Range of touchpoint quality scores, for axes and validation."""

    min: float = Field(1, description="Lowest possible quality score.")
    max: float = Field(5, description="Highest possible quality score.")


class Journey(_Strict):
    """Customer journey map: stages (left to right), free-text lanes, B2B decision roles and touchpoints."""

    stages: list[Stage] = Field(min_length=1, description="Stages in order, left to right.")
    lanes: Lanes = Field(
        default_factory=Lanes, description="Free-text rows per stage: thoughts, emotions, barriers, tools, loyalty, kpi, custom.")
    roles: list[Role] = Field(default_factory=list, description="B2B decision-making roles and the stages where they act.")
    touchpoints: list[Touchpoint] = Field(default_factory=list, description="Touchpoints, each in one stage.")
    quality_scale: QualityScale = Field(
        default_factory=QualityScale,
        description="Range of touchpoint quality scores (spec `quality` and audit scores), default 1–5.")


class Factor(_Strict):
    """A choice factor of the house of quality: a row of the QFD matrix."""

    id: Id = Field(
        description="Factor id, referenced by qfd.links, and the survey column of its rating unless `column` is given.")
    name: str = Field(description="Factor name shown in the report, e.g. 'Shortest delivery'.")
    group: str | None = Field(None, description="Factor group, e.g. 'Availability'; groups are totalled and band the heatmap.")
    weight: float | None = Field(
        None, ge=0, description="Beta weight; all weights sum to 1. Omit all weights when using weights_from.")
    column: str | None = Field(
        None, description="Survey column holding this factor's rating (with weights_from). Default: the factor id.")


class WeightsFrom(_Strict):
    """Derive factor weights from a survey: normalized |standardized OLS coefficients| of the target on factor ratings."""

    source: str = Field("survey", description="The source (a key of `sources`) holding one row per respondent.")
    target: str = Field(
        description="Survey column of the overall choice / satisfaction score to explain, e.g. overall_satisfaction.")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of the weights' intervals.")


class Stability(_Strict):
    """Rank-stability check: how often the top touchpoints stay on top when the weights move."""

    resamples: int = Field(500, ge=50, le=5000, description="Number of resampled weight vectors.")
    top: int = Field(3, ge=1, le=10, description="Size of the top group whose stability is checked.")
    jitter: float = Field(
        0.2, gt=0, lt=1,
        description="Spec weights: each weight is multiplied by a uniform factor in 1 ± jitter, then renormalized. "
                    "Survey weights are bootstrapped over respondents instead.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Random seed (0 to 4294967295): the same spec and data give the same result.")


class Thresholds(_Strict):
    """Where importance × quality splits into high and low. Omitted: the median over existing touchpoints."""

    importance: float | None = Field(None, ge=0, description="QFD score at or above which a touchpoint is important.")
    quality: float | None = Field(None, description="Quality score at or above which a touchpoint works well.")


def _scale_is_sound(value: list[float]) -> list[float]:
    if len(set(value)) != len(value) or any(v < 0 for v in value) or 0 not in value or len(value) < 2:
        shown = ", ".join(f"{v:g}" for v in value)
        raise ValueError(f"expected distinct non-negative strengths including 0, e.g. [0, 1, 3, 9], got [{shown}]")
    return sorted(value)


class Qfd(_Strict):
    """House of quality: choice factors with weights, and the strength of each factor × touchpoint link."""

    factors: list[Factor] = Field(min_length=1, description="Choice factors (rows), optionally grouped, in display order.")
    weights_from: WeightsFrom | None = Field(
        None, description="Derive the weights from a survey instead of giving `weight` on each factor.")
    links: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Touchpoint id → {factor id: strength}; unlisted pairs are 0.")
    scale: list[float] = Field(default_factory=lambda: [0, 1, 3, 9],  # type: ignore[arg-type]  # ints read as floats
                               description="Allowed strengths: 0 none, 1 weak, 3 medium, 9 strong by default.")
    normalize: bool = Field(False, description="Rescale spec weights to sum to 1 instead of failing (the report says so).")
    thresholds: Thresholds = Field(default_factory=Thresholds, description="Importance × quality split; default medians.")
    stability: Stability = Field(default_factory=Stability, description="Rank-stability check of the top touchpoints.")

    @field_validator("scale")
    @classmethod
    def _sound_scale(cls, value: list[float]) -> list[float]:
        return _scale_is_sound(value)


class Dimension(_Strict):
    """One axis of the digital-maturity radar."""

    id: Id = Field(description="Dimension id, e.g. crm.")
    name: str = Field(description="Dimension name shown on the radar, e.g. 'CRM and data'.")
    score: float = Field(description="Current maturity score on the maturity scale.")
    target: float | None = Field(None, description="Target score (drawn as a second polygon).")
    benchmark: float | None = Field(None, description="Market / competitor benchmark score (a third polygon).")
    comment: str | None = Field(None, description="Evidence behind the score, shown in the table.")


class Maturity(_Strict):
    """Digital-maturity assessment: scores per dimension, drawn as a radar chart (at least 3 dimensions)."""

    scale: QualityScale = Field(default_factory=lambda: QualityScale(min=0, max=5),
                                description="Range of the scores, default 0–5.")
    dimensions: list[Dimension] = Field(min_length=3, description="Dimensions in radar order (clockwise from the top).")
    benchmark_name: str | None = Field(None, description="Legend name of the benchmark polygon, e.g. 'Market leader'.")
    note: str | None = Field(None, description="Text shown under the radar: method, sources, date of assessment.")


Cell = Annotated[str, BeforeValidator(_text)]


SLUG = re.compile(r"^[^\W_][\w-]{0,59}$")
"""An id that names a file: a letter or digit (any script), then letters, digits, _ or -, at most 60 characters."""


def _slug(value: str) -> str:
    if not SLUG.match(value):
        shown = value if len(value) <= 40 else value[:39] + "…"
        raise ValueError(f"expected an id of letters, digits, _ and - (at most 60, it names tables/matrix_<id>.csv), "
                         f"got {shown!r}")
    return value


class Matrix(_Strict):
    """A free table from the spec (segment × message × channel, trigger matrix, initiatives), exported as CSV."""

    id: Annotated[Id, AfterValidator(_slug)] = Field(
        description="Table id: the CSV is tables/matrix_<id>.csv; letters, digits, _ and - only.")
    title: str = Field(description="Table title shown above it.")
    columns: list[str] = Field(min_length=1, description="Column headers.")
    rows: list[list[Cell]] = Field(default_factory=list, description="Rows of cells, one cell per column.")
    note: str | None = Field(None, description="Text shown under the table.")


# --- cross-reference checks ---------------------------------------------------------------

Finding = tuple[tuple[str | int, ...], str, bool]


def journey_findings(spec: SpecBase, base_dir: Path) -> Iterable[Finding]:
    """Unknown or duplicate ids, strengths off the scale, weights that do not add up, bad maturity scores or rows."""
    journey, qfd = spec.journey, spec.qfd
    if journey is not None:
        yield from _journey_ids(journey)
    if qfd is not None:
        yield from _qfd_findings(spec, qfd)
    if spec.maturity is not None:
        yield from _maturity_findings(spec.maturity)
    yield from _duplicates(("matrices",), [m.id for m in spec.matrices], "matrix")
    for i, matrix in enumerate(spec.matrices):
        doubled = sorted({c for c in matrix.columns if matrix.columns.count(c) > 1})
        if doubled:
            message = f"expected distinct column headers, got {', '.join(map(repr, doubled))} twice"
            yield ("matrices", i, "columns"), message, False
        for j, row in enumerate(matrix.rows):
            if len(row) != len(matrix.columns):
                yield ("matrices", i, "rows", j), f"expected {len(matrix.columns)} cells (one per column), got {len(row)}", False


def _duplicates(loc: tuple[str | int, ...], ids: list[str], what: str) -> Iterable[Finding]:
    first: dict[str, int] = {}
    for i, item in enumerate(ids):
        if item in first:
            yield (*loc, i, "id"), f"duplicate {what} id {item!r}; first used at {_path((*loc, first[item]))}", False
        first.setdefault(item, i)


def _path(loc: tuple[str | int, ...]) -> str:
    from cjmgen.spec.locator import format_path

    return format_path(loc)


def _unknown(what: str, value: str, known: Iterable[str]) -> str:
    """'unknown stage 'nede'; did you mean 'need'?' for a near miss, else the ids allowed."""
    import difflib

    options = list(dict.fromkeys(known))
    close = difflib.get_close_matches(value, options, n=1)
    return f"unknown {what} {value!r}; " + (f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(options)}")


def _journey_ids(journey: Journey) -> Iterable[Finding]:
    stages = [s.id for s in journey.stages]
    yield from _duplicates(("journey", "stages"), stages, "stage")
    yield from _duplicates(("journey", "touchpoints"), [t.id for t in journey.touchpoints], "touchpoint")
    yield from _duplicates(("journey", "roles"), [r.id for r in journey.roles], "role")
    for i, point in enumerate(journey.touchpoints):
        if point.stage not in stages:
            yield ("journey", "touchpoints", i, "stage"), _unknown("stage", point.stage, stages), False
    for i, role in enumerate(journey.roles):
        for j, stage in enumerate(role.stages):
            if stage not in stages:
                yield ("journey", "roles", i, "stages", j), _unknown("stage", stage, stages), False
    lanes = journey.lanes
    for lane in Lanes.model_fields:
        if lane != "custom":
            for stage in getattr(lanes, lane):
                if stage not in stages:
                    yield ("journey", "lanes", lane, stage), _unknown("stage", stage, stages), True
    for i, extra in enumerate(lanes.custom):
        for stage in extra.cells:
            if stage not in stages:
                yield ("journey", "lanes", "custom", i, "cells", stage), _unknown("stage", stage, stages), True
    scale = journey.quality_scale
    if scale.min >= scale.max:
        yield ("journey", "quality_scale"), f"expected min < max, got min {scale.min:g}, max {scale.max:g}", False
    for i, point in enumerate(journey.touchpoints):
        if point.quality is not None and not scale.min <= point.quality <= scale.max:
            message = f"expected a quality from {scale.min:g} to {scale.max:g} (journey.quality_scale), got {point.quality:g}"
            yield ("journey", "touchpoints", i, "quality"), message, False


def _qfd_findings(spec: SpecBase, qfd: Qfd) -> Iterable[Finding]:
    factors = [f.id for f in qfd.factors]
    yield from _duplicates(("qfd", "factors"), factors, "factor")
    yield from _weight_findings(spec, qfd)
    if spec.journey is None:
        # also reached when the journey block is present but invalid (its own errors are reported beside this one)
        yield ("qfd",), "the QFD needs a valid journey block: its touchpoints are the matrix columns", True
    points = [t.id for t in spec.journey.touchpoints] if spec.journey is not None else None
    scale = ", ".join(f"{s:g}" for s in qfd.scale)
    for point, row in qfd.links.items():
        if points is not None and point not in points:
            yield ("qfd", "links", point), _unknown("touchpoint", point, points), True
        for factor, strength in row.items():
            if factor not in factors:
                yield ("qfd", "links", point, factor), _unknown("factor", factor, factors), True
            elif strength not in qfd.scale:
                yield ("qfd", "links", point, factor), f"expected a strength on the scale {scale}, got {strength:g}", False


def _weight_findings(spec: SpecBase, qfd: Qfd) -> Iterable[Finding]:
    weighted = [i for i, f in enumerate(qfd.factors) if f.weight is not None]
    if qfd.weights_from is not None:
        if weighted:
            yield ("qfd", "weights_from"), "give either a weight on every factor or weights_from, not both", True
        source = qfd.weights_from.source
        if source not in spec.sources:
            known = ", ".join(spec.sources) or "none"
            yield ("qfd", "weights_from", "source"), f"no source named {source!r}; sources defined: {known}", False
        return
    if not weighted:
        message = "no factor weights: give a weight on every factor, or qfd.weights_from to derive them from a survey"
        yield ("qfd", "factors"), message, False
        return
    for i, factor in enumerate(qfd.factors):
        if factor.weight is None:
            yield ("qfd", "factors", i), f"factor {factor.id!r} has no weight; give a weight on every factor", False
    total = sum(f.weight or 0 for f in qfd.factors)
    if len(weighted) == len(qfd.factors) and not qfd.normalize and abs(total - 1) > WEIGHT_TOLERANCE:
        message = f"factor weights sum to {total:.4g}; expected 1 ± {WEIGHT_TOLERANCE:g} (or set qfd.normalize: true to rescale them)"
        yield ("qfd", "factors"), message, False
    if qfd.normalize and total <= 0:
        yield ("qfd", "factors"), "factor weights sum to 0; cannot normalize", False


def _maturity_findings(maturity: Maturity) -> Iterable[Finding]:
    yield from _duplicates(("maturity", "dimensions"), [d.id for d in maturity.dimensions], "dimension")
    low, high = maturity.scale.min, maturity.scale.max
    if low >= high:
        yield ("maturity", "scale"), f"expected min < max, got min {low:g}, max {high:g}", False
        return
    for i, dim in enumerate(maturity.dimensions):
        for key in ("score", "target", "benchmark"):
            value = getattr(dim, key)
            if value is not None and not low <= value <= high:
                yield ("maturity", "dimensions", i, key), f"expected a score from {low:g} to {high:g}, got {value:g}", False
