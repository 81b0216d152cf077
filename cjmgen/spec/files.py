"""What files a spec may read: the one place that resolves a path the spec names (symlinks followed).

Report inputs (logo, Markdown chapters, template folders) must resolve inside the project folder (the spec's
folder), so a shared spec cannot pull a file from elsewhere into a report that travels to the client. Data
sources may live elsewhere (a shared data drive) but must be regular files: never a device, a pipe or a
/proc, /sys or /dev entry, whose "columns" would be the environment or a stream that never ends.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_NAME_BYTES = 255
"""Longest file or folder name most file systems accept."""

MAX_PATH_CHARS = 1024
"""Longest path a spec may give."""

SYSTEM_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
"""Pseudo file systems: never a data source."""

IMAGE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp")
"""What a logo may be."""


class PathProblem(ValueError):
    """A path the spec gives that cannot be used; the message says why in plain words."""


def _well_formed(relative: Path | str) -> str:
    text = str(relative)
    if not text or "\x00" in text:
        raise PathProblem("expected a file path (text without NUL characters)")
    if len(text) > MAX_PATH_CHARS:
        raise PathProblem(f"the path is {len(text):,} characters long; at most {MAX_PATH_CHARS:,}")
    for part in Path(text).parts:
        if len(part.encode("utf-8", errors="surrogateescape")) > MAX_NAME_BYTES:
            raise PathProblem(f"a file or folder name in the path is longer than {MAX_NAME_BYTES} bytes")
    return text


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name the OS refuses
        raise PathProblem(f"cannot resolve the path: {exc.strerror if isinstance(exc, OSError) else 'symlink loop'}") from None


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except (OSError, ValueError):
        return None


def project_path(base_dir: Path, relative: Path | str, *, folder: bool = False) -> Path:
    """The resolved path of a report input, which must exist inside the project folder (symlinks followed).

    Raises PathProblem saying what is wrong: outside the project, missing, not a file (folder)."""
    text = _well_formed(relative)
    root = _resolve(Path(base_dir))
    target = _resolve(Path(base_dir) / text)
    if not target.is_relative_to(root):
        raise PathProblem(f"{text} is outside the project folder; report files must be inside {root} "
                          "(symlinks are followed)")
    found = _stat(target)
    if found is None:
        raise PathProblem(f"{'folder' if folder else 'file'} not found: {Path(base_dir) / text}")
    if folder and not stat.S_ISDIR(found.st_mode):
        raise PathProblem(f"expected a folder, got a file: {Path(base_dir) / text}")
    if not folder and not stat.S_ISREG(found.st_mode):
        raise PathProblem(f"expected a regular file: {Path(base_dir) / text}")
    return target


def source_path(base_dir: Path, relative: Path | str) -> Path:
    """The resolved path of a data source: a regular file anywhere except the system's pseudo file systems."""
    text = _well_formed(relative)
    target = _resolve(Path(base_dir) / text)
    if any(target.is_relative_to(root) for root in SYSTEM_ROOTS):
        raise PathProblem(f"{text} is a system file ({target.parts[1]}), not a data file")
    found = _stat(target)
    if found is None:
        raise PathProblem(f"file not found: {Path(base_dir) / text}")
    if not stat.S_ISREG(found.st_mode):
        raise PathProblem(f"expected a regular data file, got {_kind(found.st_mode)}: {Path(base_dir) / text}")
    return target


def templates_outside(folder: Path, base_dir: Path, limit: int = 2000) -> str | None:
    """The first file of a user template folder that resolves outside the project (a symlink out), if any."""
    root = _resolve(Path(base_dir))
    for i, (here, dirs, names) in enumerate(os.walk(folder, followlinks=False)):
        for name in [*dirs, *names] if i < limit else ():
            candidate = Path(here) / name
            try:
                if not candidate.resolve().is_relative_to(root):
                    return str(candidate.relative_to(folder))
            except (OSError, RuntimeError):
                return str(candidate.relative_to(folder))
    return None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
