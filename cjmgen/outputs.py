"""Write a build's files into a temporary folder and move them into place only when all succeeded."""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from cjmgen.errors import Problem, UserError

MARKER = "build.json"


MAX_NAME_CHARS = 80
"""Longest file name stem a build writes (a segment named by a paragraph still gets a usable file name)."""


def safe_name(text: str) -> str:
    """A file-name-safe version of a segment or table name (letters of any script kept), at most MAX_NAME_CHARS."""
    cleaned = re.sub(r"[^\w\-]+", "_", str(text), flags=re.UNICODE).strip("_-")
    return cleaned[:MAX_NAME_CHARS].rstrip("_-") or "unnamed"


def unique_name(text: str, used: set[str]) -> str:
    """safe_name(text), made distinct from the names in used (case-insensitively: Windows and macOS), and added."""
    base = safe_name(text)
    name, n = base, 1
    while name.casefold() in used:
        n += 1
        name = f"{base[: MAX_NAME_CHARS - len(str(n)) - 1]}_{n}"
    used.add(name.casefold())
    return name


def inside(root: Path, relative: str) -> Path:
    """THE place an output path is made: `relative` (forward slashes) under root, refusing an absolute path,
    `..`, an over-long name or anything that resolves (symlinks followed) outside root. Every writer uses it."""
    parts = PurePosixPath(relative).parts
    bad = (not parts or PurePosixPath(relative).is_absolute() or "\\" in relative or "\x00" in relative
           or any(p in (".", "..") or len(p.encode("utf-8")) > 255 for p in parts))
    target = Path(root, *parts)
    if not bad:
        target.parent.mkdir(parents=True, exist_ok=True)
        bad = not target.resolve().is_relative_to(Path(root).resolve())
    if bad:
        raise UserError(Problem(str(root), f"refusing to write {relative[:120]!r}: every output stays inside the "
                                           "output folder"))
    return target


def check_target(out: Path) -> None:
    """Refuse to replace a non-empty folder that is not a previous cjmgen build."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise UserError(Problem(str(out), "the output folder exists and is not a cjmgen build (no build.json); "
                                          "choose another --out or empty it"))


STALE_AFTER_S = 24 * 3600
"""A staging folder whose build process cannot be told (an old name without a pid) is stale after a day."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's live process
    return True


def clean_stale(out: Path) -> list[Path]:
    """Remove staging and set-aside folders of `out` that a killed build left: their pid is not running (or, with
    no pid in the name, they are older than a day). Returns what was removed."""
    removed: list[Path] = []
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.(?:tmp|old)-(?:(\d+)-)?[^/]*$")
    try:
        siblings = list(out.parent.iterdir())
    except OSError:
        return removed
    for folder in siblings:
        found = pattern.match(folder.name)
        if not found or folder.is_symlink() or not folder.is_dir():
            continue
        pid = int(found[1]) if found[1] else None
        stale = (not _alive(pid)) if pid is not None else time.time() - folder.stat().st_mtime > STALE_AFTER_S
        if stale and pid != os.getpid():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(b))


class Staging:
    """A temporary folder beside the target (named with this process's pid); `commit` swaps it into place."""

    def __init__(self, out: Path):
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(out)
        self.dir = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))

    def path(self, relative: str) -> Path:
        """Where to write `relative` in the build (through `inside`: never outside the output folder)."""
        return inside(self.dir, relative)

    def write_csv(self, relative: str, frame: pl.DataFrame) -> None:
        frame.write_csv(self.path(relative), date_format="%Y-%m-%d", datetime_format="%Y-%m-%dT%H:%M:%S")

    def write_json(self, relative: str, data: dict[str, Any]) -> None:
        self.path(relative).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.dir)) for p in self.dir.rglob("*") if p.is_file())

    def commit(self) -> None:
        """Replace the target folder with the finished build; `out` is never absent meanwhile: an existing folder
        is swapped with the build in one atomic exchange (where the OS cannot, set aside and replaced at once)."""
        if not self.out.exists():
            self.dir.rename(self.out)
            return
        if self.out.is_dir() and not self.out.is_symlink() and _exchange(self.dir, self.out):
            shutil.rmtree(self.dir, ignore_errors=True)  # now holds the previous build
            return
        old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}-{time.time_ns()}")
        self.out.rename(old)
        self.dir.rename(self.out)
        shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


WORKBOOK_MAX_ROWS = 50_000
"""Larger tables (per-customer lists) are CSV only: Excel is the wrong tool for them and writing them is slow."""


FIXED_CREATED = dt.datetime(2000, 1, 1)
"""The workbook's creation date: fixed, so identical builds give byte-identical tables.xlsx."""


def sheet_name(name: str, used: set[str]) -> str:
    """A valid, distinct Excel sheet name: none of []:*?/\\, no leading or trailing ', at most 31 characters,
    distinct case-insensitively, never the reserved 'History'."""
    base = re.sub(r"[\[\]:*?/\\\x00-\x1f]", "_", name).strip("'").strip() or "sheet"
    sheet, n = base[:31], 1
    while sheet.casefold() in used or sheet.casefold() == "history":
        n += 1
        sheet = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    used.add(sheet.casefold())
    return sheet


def write_workbook(target: Path, tables: dict[str, pl.DataFrame]) -> None:
    """Every report-sized table as one sheet of an XLSX workbook (sheet names made valid and distinct)."""
    tables = {name: frame for name, frame in tables.items() if frame.height <= WORKBOOK_MAX_ROWS}
    import xlsxwriter

    with xlsxwriter.Workbook(target) as workbook:
        workbook.set_properties({"created": FIXED_CREATED})
        used: set[str] = set()
        for name, frame in tables.items():
            frame.write_excel(workbook, worksheet=sheet_name(name, used), autofit=frame.height <= 2_000,
                              float_precision=4)
