"""Open a client file, map its columns onto canonical names, type them, and quarantine bad rows."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cjmgen.data import parse, plausible, rows
from cjmgen.data.columns import REQUIRED, map_columns
from cjmgen.errors import UserError
from cjmgen.i18n import N_
from cjmgen.spec.locator import Locator
from cjmgen.spec.models import CANONICAL_COLUMNS, Source

ROW_KEY = rows.ROW_KEY


class Note(str):
    """A note on how a source was read: its English text, plus the msgid and values the report translates."""

    message: str
    values: dict[str, Any]

    def __new__(cls, message: str, **values: Any) -> Note:
        note = super().__new__(cls, message % values if values else message)
        note.message, note.values = message, values
        return note


@dataclass(frozen=True)
class SourceData:
    """One source after reading: valid canonical rows, the quarantined ones with reasons, and provenance."""

    table: str
    path: Path
    frame: pl.DataFrame
    quarantine: pl.DataFrame
    rows_read: int
    sha256: str
    notes: tuple[str, ...] = ()
    nulled: dict[str, int] = field(default_factory=dict)
    blank_lines: int = 0
    """Lines with no value at all (empty, spaces or separators only): skipped, not counted in rows_read."""
    duplicate_rows: int = 0
    """Rows identical in every column to an earlier row (copies beyond the first)."""
    duplicates_dropped: int = 0
    """Of those, dropped because the source says `drop_duplicates: true` (else 0: they are used)."""

    @property
    def rows_valid(self) -> int:
        """Rows that passed typing (before any as_of cut), not counting dropped duplicates."""
        return self.rows_read - self.duplicates_dropped - len(self.quarantine)

    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        """First and last date of the valid rows, when the table has dates."""
        if "date" not in self.frame.columns or self.frame.is_empty():
            return None, None
        low, high = self.frame.select(pl.col("date").min().alias("low"), pl.col("date").max().alias("high")).row(0)
        return low.date(), high.date()

    def quarantined_by_reason(self) -> dict[str, int]:
        """Quarantined row counts per reason, largest first."""
        if self.quarantine.is_empty():
            return {}
        counts = self.quarantine.group_by("reason").len().sort(["len", "reason"], descending=[True, False])
        return dict(zip(counts["reason"], counts["len"], strict=False))


def read_source(table: str, source: Source, base_dir: Path, locator: Locator) -> SourceData:
    """Read, map, type and validate one source; raise UserError with spec positions on mistakes."""
    path = base_dir / source.path
    raw, read_notes = _read_raw(path, source, locator, table)
    sha256, newlines = _digest(path)
    raw = raw.with_columns(_line_numbers(raw, source, newlines))
    blank = rows.blank_rows(raw)
    blank_lines = int(blank.sum()) if blank is not None else 0
    if blank is not None:
        raw = raw.filter(~blank)
    if raw.is_empty():
        raise UserError(locator.problem(("sources", table, "path"),
                                        f"{path} has no data rows, only a header: nothing to analyse"))
    copies = rows.copies(raw)
    duplicates = int(copies.sum()) if copies is not None else 0
    dropped = duplicates if source.drop_duplicates else 0
    read = raw.height
    if copies is not None and dropped:
        raw = raw.filter(~copies)
    mapping = map_columns(table, source, [c for c in raw.columns if c != ROW_KEY], locator)
    frame = raw.select(ROW_KEY, *[pl.col(column).alias(canonical) for canonical, column in mapping.items()])
    if "time" in frame.columns:
        frame = _date_with_time(frame)
    del raw  # the mapped frame shares its columns; the rest of the file can go
    typed, quarantine, notes, nulled = _type_columns(table, frame, source, locator)
    _check_share(table, source, path, locator, read, quarantine)
    return SourceData(table, path, typed, quarantine, read, sha256, (*read_notes, *notes), nulled,
                      blank_lines, duplicates, dropped)


def _line_numbers(raw: pl.DataFrame, source: Source, newlines: int) -> pl.Expr:
    """Each row's line in the file: CSV rows from line 2 (after the header), moved down by the line breaks inside
    quoted values of the rows before it (and of the header); spreadsheet rows from 2, Parquet rows from 1.
    A CSV with no more line breaks than rows + header has no break inside a value: nothing to count."""
    line = pl.int_range(pl.len(), dtype=pl.Int64) + _first_data_line(source)
    text = [c for c, dtype in raw.schema.items() if dtype == pl.String]
    if source.resolved_format() != "csv" or not text or newlines <= raw.height + 1:
        return line.alias(ROW_KEY)
    line = line + sum(c.count("\n") for c in raw.columns)
    breaks = pl.sum_horizontal([pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in text])
    return (line + breaks.cum_sum().shift(1, fill_value=0)).alias(ROW_KEY)


def _date_with_time(frame: pl.DataFrame) -> pl.DataFrame:
    """A date and a time of day in two columns (`columns: {date: Date, time: Time}`) become one text `date`
    'date time', parsed like any other; a line without a time keeps its date alone (and so fails a format with time)."""
    date, time = pl.col("date"), pl.col("time")
    if frame.schema["date"] == pl.Date or isinstance(frame.schema["date"], pl.Datetime):
        date = date.dt.strftime("%Y-%m-%d")
    if frame.schema["time"] == pl.Time or isinstance(frame.schema["time"], pl.Datetime):
        time = time.dt.strftime("%H:%M:%S")
    text = pl.concat_str([date.cast(pl.String).str.strip_chars(), time.cast(pl.String).str.strip_chars()],
                         separator=" ", ignore_nulls=True)
    return frame.with_columns(pl.when(pl.col("date").is_null()).then(None).otherwise(text).alias("date")).drop("time")


def _first_data_line(source: Source) -> int:
    # CSV: header on line 1, data from line 2; spreadsheets alike; Parquet rows counted from 1.
    return 1 if source.resolved_format() == "parquet" else 2


def _digest(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and its count of line breaks, in one pass."""
    digest, newlines = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            newlines += chunk.count(b"\n")
    return digest.hexdigest(), newlines


def _read_raw(path: Path, source: Source, locator: Locator, table: str) -> tuple[pl.DataFrame, list[str]]:
    """The file as text columns (CSV) or as stored, and notes on how it was decoded."""
    where = ("sources", table, "path")
    fmt = source.resolved_format()
    try:
        if fmt == "parquet":
            return pl.read_parquet(path), []
        if fmt == "xlsx":
            sheet = {"sheet_id": source.sheet + 1} if isinstance(source.sheet, int) else {"sheet_name": source.sheet}
            return pl.read_excel(path, **({} if source.sheet is None else sheet)), []
        return _read_csv(path, source, locator, table)
    except UserError:
        raise
    except FileNotFoundError:
        raise UserError(locator.problem(where, f"file not found: {path}")) from None
    except Exception as exc:  # noqa: BLE001 — any reader failure is a user's file problem; say which file
        found = rows.csv_problem(path, source) if fmt == "csv" else None
        if found:
            raise UserError(locator.problem(where, f"{path}:{found[0]}: {found[1]}")) from None
        raise UserError(locator.problem(where, f"cannot read {path} as {fmt}: {_first_line(exc)}")) from None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _read_csv(path: Path, source: Source, locator: Locator, table: str) -> tuple[pl.DataFrame, list[str]]:
    options: dict[str, Any] = dict(separator=source.separator, infer_schema=False, null_values=source.null_values,
                                   truncate_ragged_lines=False)
    if source.encoding.lower().replace("_", "-") in {"utf-8", "utf8"}:
        try:
            frame = pl.read_csv(path, **options)
        except pl.exceptions.ComputeError as exc:
            if "utf-8" not in str(exc).lower():
                raise
        else:
            _check_decoded(frame, path, source, table, locator)
            return frame, []
    data = path.read_bytes()
    try:
        text = data.decode(source.encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = (f"{path}:{line}: the file is not {source.encoding} text (byte 0x{data[exc.start]:02x}); "
                   f"set sources.{table}.encoding, e.g. cp1251 or latin-1")
        raise UserError(locator.problem(("sources", table, "encoding"), message)) from None
    notes: list[str] = [note] if (note := _utf8_read_as_single_byte(data, text, source.encoding)) else []
    return pl.read_csv(io.BytesIO(text.lstrip("\ufeff").encode("utf-8")), **options), notes


def _utf8_read_as_single_byte(data: bytes, text: str, encoding: str) -> Note | None:
    """A file that is valid UTF-8 with multibyte characters, declared in a single-byte encoding (latin-1, cp1251…),
    decodes without error into garbled names ('Café' as 'CafÃ©'): say so, with the first such word."""
    if codecs.lookup(encoding).name.startswith("utf") or data.isascii():
        return None  # a UTF encoding (utf-8-sig reads a BOM file rightly) is never a single-byte misreading
    try:
        right = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    word = re.search(r'[^\s,;"]*[^\x00-\x7f][^\s,;"]*', right)
    sample = word.group(0)[:30] if word else ""
    note = Note(N_("the file is UTF-8 text, but its encoding is set to %(encoding)s: names read garbled "
                   "(%(garbled)s instead of %(word)s); set encoding: utf-8"),
                encoding=encoding, garbled=repr(sample.encode("utf-8").decode(encoding, errors="replace")), word=repr(sample))
    return note


def _check_decoded(frame: pl.DataFrame, path: Path, source: Source, table: str, locator: Locator) -> None:
    """polars replaces bytes that are not UTF-8 with U+FFFD: find the first such cell and say where."""
    bad = "\ufffd"
    where = ("sources", table, "encoding")
    hint = f"set sources.{table}.encoding, e.g. cp1251 or latin-1"
    if any(bad in column for column in frame.columns):
        raise UserError(locator.problem(where, f"{path}:1: the header is not {source.encoding} text; {hint}"))
    hits = frame.with_row_index("__i").filter(pl.any_horizontal(pl.exclude("__i").str.contains(bad, literal=True)))
    if hits.height:
        line = hits["__i"][0] + 2
        raise UserError(locator.problem(where, f"{path}:{line}: the file is not {source.encoding} text; {hint}"))


def _type_columns(table: str, frame: pl.DataFrame, source: Source, locator: Locator):
    """Typed canonical frame + quarantine (line, reason, raw values) + notes + counts of values set to null.

    Columns that need no work are shared with the file's frame, not copied; rows are filtered only when
    some are bad. Each row's reason is the first required column that failed to parse or is empty.
    """
    notes: list[str] = []
    derived = table == "transactions" and "amount" not in frame.columns and {"quantity", "price"} <= set(frame.columns)
    has_amount = "amount" in frame.columns or derived
    required = set(REQUIRED[table]) - {"customer_id"} | ({"amount"} if table == "transactions" and has_amount else set())
    parsed: dict[str, pl.Expr] = {}
    checked: list[str] = []  # text columns parsed into dates or numbers: only these can fail to parse
    for column in frame.columns:
        if column == ROW_KEY:
            continue
        expr, note, can_fail = _column_expr(column, frame, source, locator, table)
        parsed[column] = expr.alias(column)
        notes += [note] if note else []
        checked += [column] if can_fail else []
    if derived:
        notes.append(Note(N_("amount = quantity × price (no amount column mapped)")))
        parsed["amount"] = (parsed["quantity"] * parsed["price"]).alias("amount")
    typed = frame.select(*parsed.values())
    failed = {c: typed[c].is_null() & frame[c].is_not_null() for c in checked}
    numbers = [c for c in typed.columns if c in parse.NUMBER_COLUMNS]
    odd = plausible.non_finite(typed, numbers)
    if odd:  # NaN and infinities are no values: set aside (required) or set to null (counted)
        typed = typed.with_columns(pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c) for c in odd)
    nulled = {c: int(mask.sum()) for c, mask in failed.items() if c not in required and mask.any()}
    nulled |= {c: nulled.get(c, 0) + int(mask.sum()) for c, mask in odd.items() if c not in required}
    implausible = _implausible(typed, required, odd)
    reason = _reason(sorted(required & set(typed.columns)), typed, failed, implausible)
    bad = reason.is_not_null()
    notes += [_outlier_note(o) for o in plausible.absurd(typed.filter(~bad), frame[ROW_KEY].filter(~bad), numbers)]
    raw = [pl.col(c).cast(pl.String) for c in frame.columns if c != ROW_KEY]
    quarantine = frame.filter(bad).select(ROW_KEY, reason.filter(bad).alias("reason"), *raw)
    if quarantine.is_empty():  # the usual case: nothing set aside, so nothing is copied
        return typed, quarantine, notes, nulled
    return typed.filter(~bad), quarantine, notes, nulled


def _implausible(typed: pl.DataFrame, required: set[str], odd: dict[str, pl.Series]) -> dict[str, tuple[str, pl.Series]]:
    """Reason and mask of values that parsed but cannot be right: non-finite numbers, required dates in the future."""
    implausible = {c: (f"non-finite {c}", mask) for c, mask in odd.items()}
    for column in sorted(required & parse.DATE_COLUMNS & set(typed.columns)):
        if (late := plausible.future(typed[column])) is not None:
            implausible[column] = ("date in the future" if column == "date" else f"{column} in the future", late)
    return implausible


def _outlier_note(found: plausible.Outliers) -> Note:
    return Note(N_("%(column)s: implausibly large values (lines: %(count)s; the largest, %(largest)s, on line %(line)s) "
                   "are used as they are: check the file"),
                column=found.column, count=found.count, largest=f"{found.largest:.4g}", line=found.line)


def _reason(required: list[str], typed: pl.DataFrame, failed: dict[str, pl.Series],
            implausible: dict[str, tuple[str, pl.Series]]) -> pl.Series:
    """Why each row cannot be used, for the first such required column: 'unparseable <column>', an implausible
    value ('non-finite amount', 'date in the future') or 'missing <column>'; null if usable."""
    masks = pl.DataFrame({**{f"missing_{c}": typed[c].is_null() for c in required},
                          **{f"failed_{c}": failed[c] for c in required if c in failed},
                          **{f"odd_{c}": implausible[c][1] for c in required if c in implausible}})
    reason = pl.lit(None, pl.String)
    for column in reversed(required):
        unparseable = pl.col(f"failed_{column}") if column in failed else pl.lit(False)
        odd = pl.col(f"odd_{column}") if column in implausible else pl.lit(False)
        odd_reason = implausible[column][0] if column in implausible else ""
        reason = pl.when(unparseable).then(pl.lit(f"unparseable {column}")) \
            .when(odd).then(pl.lit(odd_reason)) \
            .when(pl.col(f"missing_{column}")).then(pl.lit(f"missing {column}")).otherwise(reason)
    return masks.select(reason.alias("reason")).to_series() if required else pl.Series("reason", [None] * typed.height, pl.String)


def _column_expr(column: str, frame: pl.DataFrame, source: Source, locator: Locator, table: str):
    """(parse expression, note, whether parsing can fail) for one canonical column."""
    dtype = frame.schema[column]
    if column in parse.DATE_COLUMNS:
        if dtype == pl.Date or isinstance(dtype, pl.Datetime):
            return parse.datetime_expr(column, dtype), None, False
        fmt, note = _date_format(frame[column].cast(pl.String), column, source, locator, table)
        return parse.text_datetime_expr(column, fmt), note, True
    if column in parse.NUMBER_COLUMNS:
        if dtype.is_numeric():
            return pl.col(column).cast(pl.Float64), None, False
        expr = parse.number_expr(column, source.decimal, source.thousands)
        optional = column not in REQUIRED[table] and column != "amount"
        if optional and _no_number_in(frame, column, expr):  # e.g. age given as bands: "25-34", "65+"
            example = frame[column].drop_nulls().head(1).to_list()
            return pl.col(column), Note(N_("%(column)s: no value is a number (e.g. %(example)s), kept as text"),
                                        column=column, example=repr(example[0])), False
        return expr, None, True
    if column.endswith("_id") or column in CANONICAL_COLUMNS[table]:
        if dtype == pl.String and not _needs_cleaning(frame[column]):
            return pl.col(column), None, False  # already clean text: share the column, do not copy it
        floats = column.endswith("_id") and dtype == pl.String and bool(frame[column].str.ends_with(".0").any())
        return parse.id_expr(column, dtype, excel_floats=floats), None, False
    numbers = _numeric_attribute(frame, column, source)
    return (numbers if numbers is not None else pl.col(column)), None, False


def _no_number_in(frame: pl.DataFrame, column: str, expr: pl.Expr) -> bool:
    """True when the column has values and not one of them parses as a number."""
    values = frame[column]
    return values.null_count() < len(values) and frame.select(expr.is_not_null().any()).item() is False


def _needs_cleaning(values: pl.Series) -> bool:
    """Text with surrounding spaces, empty strings or Excel-float ids ('17850.0') needs id_expr."""
    text = values.str
    return bool((text.len_bytes() == 0).any() or text.starts_with(" ").any() or text.ends_with(" ").any()
                or text.ends_with(".0").any())


def _date_format(values: pl.Series, column: str, source: Source, locator: Locator, table: str) -> tuple[str, str | None]:
    """The spec's date_format, or the one detected from the data (reported as a note)."""
    if source.date_format:
        return source.date_format, None
    fmt, share = parse.detect_date_format(values)
    if fmt is None or share < 0.5:
        example = values.drop_nulls().head(3).to_list()
        raise UserError(locator.problem(
            ("sources", table, "columns", column) if column in source.columns else ("sources", table),
            f"cannot recognise the dates in column {source.columns.get(column, column)!r} "
            f"(e.g. {', '.join(map(repr, example))}); set date_format, e.g. '%d.%m.%Y %H:%M'"))
    return fmt, Note(N_("%(column)s: date format detected as %(format)s (%(words)s)"), column=column, format=fmt,
                     words=parse.format_in_words(fmt))


def _numeric_attribute(frame: pl.DataFrame, column: str, source: Source) -> pl.Expr | None:
    """Extra attributes of open tables: a number expression when every value parses as a number."""
    values = frame[column]
    if values.dtype.is_numeric():
        return pl.col(column).cast(pl.Float64)
    if values.dtype != pl.String or values.null_count() == len(values):
        return None
    expr = parse.number_expr(column, source.decimal, source.thousands)
    return expr if frame.select(expr.null_count()).item() == values.null_count() else None


def _check_share(table: str, source: Source, path: Path, locator: Locator, rows: int, quarantine: pl.DataFrame) -> None:
    if not rows or len(quarantine) / rows <= source.max_quarantine_share:
        return
    counts = quarantine.group_by("reason").len().sort("len", descending=True)
    reasons = ", ".join(f"{r} {n}" for r, n in counts.iter_rows())
    first = quarantine.row(0, named=True)
    raise UserError(locator.problem(
        ("sources", table, "max_quarantine_share"),
        f"{len(quarantine) / rows:.1%} of the {rows} rows of {path} cannot be used ({reasons}; "
        f"first at line {first[ROW_KEY]}: {first['reason']}), more than the limit "
        f"{source.max_quarantine_share:.0%}; fix the file, its date_format/decimal/encoding, or raise max_quarantine_share"))
