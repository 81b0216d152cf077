"""The data-quality appendix rows: what was read, used, set aside and why, per source."""

from __future__ import annotations

from cjmgen.data.readers import SourceData
from cjmgen.facts import Facts
from cjmgen.render.html import SourceQuality


def quality_of(sources: dict[str, SourceData], facts: Facts | None) -> list[SourceQuality]:
    """Rows read / used / quarantined by reason, date coverage and notes per source."""
    rows = []
    for table, source in sources.items():
        excluded = facts.sales.excluded_after_as_of if facts and facts.sales and table == "transactions" else 0
        first, last = source.date_range()
        rows.append(SourceQuality(table, source.path.name, source.rows_read, source.rows_valid - excluded,
                                  source.quarantined_by_reason(), excluded, first, last, source.notes, source.nulled))
    return rows
