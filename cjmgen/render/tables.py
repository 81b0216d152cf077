"""Page-break hygiene for report tables: no totals row before the rows it sums, no lone row on a page.

WeasyPrint repeats a `<tfoot>` on every page a table spans, so a totals row printed at the foot of page 1
sits above rows still to come on page 2. And a table cut after its first row (or before its last) leaves a
lone row under a repeated header. The templates write plain `<tbody>`/`<tfoot>`; this pass regroups the rows
of every `table.data` so that the first rows stay together, and the last rows stay together with the totals
(now the last body rows, `tr.total`). A `<tbody>` that already has attributes (a template's own groups) or
whose rows span several lines (`rowspan`) is left as written.
"""

from __future__ import annotations

import re

KEEP = 2
"""Rows kept together at the start and at the end of a table."""

WHOLE = 8
"""A table body of at most this many rows (totals included) is never split across pages."""

_TABLE = re.compile(r'<table class="data\b.*?</table>', re.S)
_BODY = re.compile(r"<tbody>(?P<body>.*?)</tbody>(?P<foot>\s*<tfoot>(?P<total>.*?)</tfoot>)?", re.S)
_ROW = re.compile(r"<tr\b.*?</tr>", re.S)


def keep_rows_together(html: str) -> str:
    """Regroup the rows of every `<table class="data …">` in an HTML document (see the module docstring)."""
    return _TABLE.sub(lambda table: _BODY.sub(_regroup, table.group(0)), html)


def _regroup(match: re.Match[str]) -> str:
    body, total = match.group("body"), match.group("total") or ""
    rows, totals = _ROW.findall(body), _ROW.findall(total)
    if "rowspan" in body or _ROW.sub("", body).strip() or _ROW.sub("", total).strip() or not rows:
        return match.group(0)
    totals = [row.replace("<tr", '<tr class="total"', 1) for row in totals]
    if len(rows) + len(totals) <= WHOLE:
        return _group(rows + totals, keep=True)
    head, middle, tail = rows[:KEEP], rows[KEEP:-KEEP], rows[-KEEP:] + totals
    return _group(head, keep=True) + (_group(middle) if middle else "") + _group(tail, keep=True)


def _group(rows: list[str], keep: bool = False) -> str:
    opening = '<tbody class="keep">' if keep else "<tbody>"
    return opening + "\n".join(rows) + "</tbody>"
