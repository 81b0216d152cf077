"""Shared fixtures: small projects written into tmp folders."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


def write_project(folder: Path, spec: str, files: dict[str, bytes | str] | None = None) -> Path:
    """Write project.yaml (dedented) and data files into folder; return the spec path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (files or {}).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    path = folder / "project.yaml"
    path.write_text(textwrap.dedent(spec), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path):
    """project(spec_text, files) → spec path inside a fresh tmp folder."""
    return lambda spec, files=None: write_project(tmp_path / "proj", spec, files)
