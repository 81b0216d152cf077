"""Quarantine reasons as the report's words: "unparseable amount" (the CSV's reason) → «не удалось прочитать: сумма»."""

from __future__ import annotations

from collections.abc import Callable

from cjmgen.i18n import N_

_REASONS = (("unparseable ", N_("%(column)s could not be read")), ("missing ", N_("%(column)s is empty")),
            ("non-finite ", N_("%(column)s is not a finite number")))
_FUTURE = N_("%(column)s lies in the future")
COLUMN_WORDS = {
    "date": N_("date"), "time": N_("time"), "amount": N_("amount"), "quantity": N_("quantity"), "price": N_("price"),
    "order_id": N_("order number"), "customer_id": N_("customer ID"), "respondent_id": N_("respondent ID"),
    "competitor": N_("competitor"), "campaign": N_("campaign"), "group": N_("group"), "touchpoint": N_("touchpoint"),
    "score": N_("score"), "start": N_("start date"), "end": N_("end date"),
}
"""Canonical columns a quarantine reason may name, as the report's words."""


def reason_text(reason: str, gettext: Callable[[str], str]) -> str:
    """A quarantine reason ("unparseable amount", "date in the future") as a sentence in the report's locale."""
    def column(name: str) -> str:
        return gettext(COLUMN_WORDS[name]) if name in COLUMN_WORDS else name

    for prefix, message in _REASONS:
        if reason.startswith(prefix):
            return gettext(message) % {"column": column(reason.removeprefix(prefix))}
    if reason.endswith(" in the future"):
        return gettext(_FUTURE) % {"column": column(reason.removesuffix(" in the future"))}
    return gettext(reason)
