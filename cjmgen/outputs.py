"""Write a build's files into a temporary folder and move them into place only when all succeeded."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from cjmgen.errors import Problem, UserError

MARKER = "build.json"


def safe_name(text: str) -> str:
    """A file-name-safe version of a segment or table name (letters of any script kept)."""
    cleaned = re.sub(r"[^\w\-]+", "_", text, flags=re.UNICODE).strip("_")
    return cleaned or "unnamed"


def check_target(out: Path) -> None:
    """Refuse to replace a non-empty folder that is not a previous cjmgen build."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise UserError(Problem(str(out), "the output folder exists and is not a cjmgen build (no build.json); "
                                          "choose another --out or empty it"))


class Staging:
    """A temporary folder beside the target; `commit` swaps it into place."""

    def __init__(self, out: Path):
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))

    def path(self, relative: str) -> Path:
        target = self.dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_csv(self, relative: str, frame: pl.DataFrame) -> None:
        frame.write_csv(self.path(relative), date_format="%Y-%m-%d", datetime_format="%Y-%m-%dT%H:%M:%S")

    def write_json(self, relative: str, data: dict[str, Any]) -> None:
        self.path(relative).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.dir)) for p in self.dir.rglob("*") if p.is_file())

    def commit(self) -> None:
        """Replace the target folder with the finished build."""
        old = None
        if self.out.exists():
            old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
            self.out.rename(old)
        self.dir.rename(self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


WORKBOOK_MAX_ROWS = 50_000
"""Larger tables (per-customer lists) are CSV only: Excel is the wrong tool for them and writing them is slow."""


def write_workbook(target: Path, tables: dict[str, pl.DataFrame]) -> None:
    """Every report-sized table as one sheet of an XLSX workbook (sheet names cut to Excel's 31 characters)."""
    tables = {name: frame for name, frame in tables.items() if frame.height <= WORKBOOK_MAX_ROWS}
    import xlsxwriter

    with xlsxwriter.Workbook(target) as workbook:
        used: set[str] = set()
        for name, frame in tables.items():
            sheet = name[:31]
            while sheet in used:
                sheet = sheet[:28] + f"~{len(used)}"
            used.add(sheet)
            frame.write_excel(workbook, worksheet=sheet, autofit=frame.height <= 2_000, float_precision=4)
