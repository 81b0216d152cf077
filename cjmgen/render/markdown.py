"""Narrative Markdown from the spec → safe HTML: no raw HTML, images only from inside the project, embedded."""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

_IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable("table")


def render_markdown(text: str, *, base_dir: Path, project_dir: Path, drop_title: bool = False) -> Markup:
    """HTML of Markdown text; raw HTML is shown as text; local images inside the project are embedded.

    drop_title removes a leading heading (it became the chapter title).
    """
    md = _parser()
    tokens = md.parse(text)
    if drop_title and tokens and tokens[0].type == "heading_open":
        tokens = tokens[3:]
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                child.attrSet("src", _embedded(str(child.attrGet("src") or ""), base_dir, project_dir))
    html = md.renderer.render(tokens, md.options, {})
    return Markup(html.replace("<table>", '<table class="data">'))


def leading_heading(text: str) -> str | None:
    """The text of the heading a Markdown document starts with, if it starts with one."""
    tokens = _parser().parse(text)
    return tokens[1].content if len(tokens) > 1 and tokens[0].type == "heading_open" else None


def _embedded(src: str, base_dir: Path, project_dir: Path) -> str:
    """A data URI for a project-local image; anything remote or outside the project becomes empty."""
    from cjmgen.spec.files import IMAGE_SUFFIXES, PathProblem, project_path

    if src.startswith("data:") or not src or "://" in src:
        return ""
    try:
        path = project_path(project_dir, (base_dir / src).absolute())  # inside the project, symlinks followed
    except (PathProblem, ValueError, OSError):
        return ""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return ""  # an image reference to a data file must not put the data in the report
    kind = _IMAGE_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
