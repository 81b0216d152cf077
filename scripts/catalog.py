"""Keep the gettext catalogs in step with the code: list untranslated msgids, or add translations.

    python scripts/catalog.py missing [LOCALE]            msgids in code/templates without a translation
    python scripts/catalog.py add LOCALE FILE.json         add {"msgid": "text"} / {"msgid": ["one", "few", "many"]}

`make i18n` re-extracts locale/cjmgen.pot and updates every catalog with pybabel (the usual workflow);
this script is for adding a batch of new sentences without hand-editing .po syntax.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def extracted() -> dict[str | tuple[str, ...], None]:
    """Every msgid the code and templates use, in first-seen order."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str | tuple[str, ...], None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        found[message] = None
    return found


def catalog_file(locale: str) -> Path:
    return ROOT / "locale" / locale / "LC_MESSAGES" / "cjmgen.po"


def missing(locale: str) -> list[str | tuple[str, ...]]:
    """Extracted msgids the locale's catalog lacks or leaves empty."""
    with catalog_file(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    out = []
    for message in extracted():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            out.append(message)
    return out


def add(locale: str, batch: dict[str, str | list[str]]) -> None:
    """Add or replace translations; a plural entry's msgid is its singular, its plural is taken from the code."""
    path = catalog_file(locale)
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    plurals = {m[0]: m for m in extracted() if isinstance(m, tuple)}
    for msgid, text in batch.items():
        key = plurals.get(msgid, msgid)
        if msgid in catalog:
            del catalog[msgid]  # Catalog.add merges into an existing entry and keeps its old text
        catalog.add(key, tuple(text) if isinstance(text, list) else text)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=120, sort_output=True, omit_header=False)


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["missing"]
    if command == "missing":
        for item in missing(rest[0] if rest else "ru"):
            print(json.dumps(item if isinstance(item, str) else item[0], ensure_ascii=False))
    elif command == "add":
        add(rest[0], json.loads(Path(rest[1]).read_text(encoding="utf-8")))
    else:
        sys.exit(__doc__)
