"""The `cjmgen` command: parse options, call cjmgen.api, map errors to exit codes (0 ok, 1 user error, 2 usage, 3 bug)."""

from __future__ import annotations

import json
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cjmgen import __version__
from cjmgen.errors import UserError, printable

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Customer analytics and Customer Journey Map reports from one declarative spec.")

EXIT_USER, EXIT_BUG = 1, 3


class Template(StrEnum):
    retail = "retail"
    b2b = "b2b"
    services = "services"


def _fail(exc: BaseException) -> None:
    if isinstance(exc, UserError):
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(EXIT_USER)
    if isinstance(exc, OSError) and exc.filename is not None and not isinstance(exc, (BlockingIOError, InterruptedError)):
        # the file system refused a path the user gave (--out too long, no permission, disk full): fixable, no bug
        typer.echo(printable(f"{exc.filename}: {exc.strerror or type(exc).__name__}"), err=True)
        raise typer.Exit(EXIT_USER)
    typer.echo("cjmgen hit an internal error (a bug; please report it with this trace):", err=True)
    traceback.print_exception(exc, file=sys.stderr)
    raise typer.Exit(EXIT_BUG)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cjmgen {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True,
                                                               help="Show the version and exit.")] = None) -> None:
    """cjmgen: spec in, board-ready report out."""


@app.command()
def validate(spec: Annotated[Path, typer.Argument(help="The project spec (YAML or TOML).")]) -> None:
    """Check a spec: every error at once, as file:line:col: path: message."""
    from cjmgen import api

    try:
        api.validate(spec)
    except (UserError, Exception) as exc:  # noqa: BLE001 — _fail maps user errors to 1, anything else to 3
        _fail(exc)
    typer.echo(f"{spec}: ok")


@app.command()
def build(
    spec: Annotated[Path, typer.Argument(help="The project spec (YAML or TOML).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default: out/ beside the spec).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Validate, compute every analysis and write report.pdf, report.html, tables/, segments/, build.json."""
    from cjmgen import api

    try:
        with _progress(quiet) as progress:
            result = api.build(spec, out, progress=progress)
    except (UserError, Exception) as exc:  # noqa: BLE001
        _fail(exc)
    if not quiet:
        typer.echo(f"wrote {len(result.files)} files to {result.out}")


def _progress(quiet: bool):
    from contextlib import nullcontext

    if quiet or not sys.stderr.isatty():
        return nullcontext(None)
    from rich.console import Console

    console = Console(stderr=True)

    class Status:
        def __enter__(self):
            self.status = console.status("starting")
            self.status.__enter__()
            return lambda stage: self.status.update(f"cjmgen: {stage}")

        def __exit__(self, *exc):
            return self.status.__exit__(*exc)

    return Status()


@app.command()
def schema(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the spec reference as Markdown tables instead.")] = False,
) -> None:
    """Print the spec's JSON Schema (for editor completion): cjmgen schema > cjmgen.schema.json"""
    from cjmgen import api

    typer.echo(api.spec_reference() if markdown else json.dumps(api.schema(), indent=2, ensure_ascii=False))


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="New project folder.")],
    template: Annotated[Template, typer.Option("--template", "-t", help="Starter spec.")] = Template.retail,
) -> None:
    """Create a project folder with a commented starter spec and data/, narrative/ folders."""
    from cjmgen import starter

    try:
        path = starter.init_project(folder, template.value)
    except (UserError, Exception) as exc:  # noqa: BLE001
        _fail(exc)
    typer.echo(f"created {path}; put the client's files in {folder / 'data'} and edit the spec")


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(help="Where to write the demo engagement.")] = Path("examples/demo"),
    rows: Annotated[int, typer.Option(help="Transaction lines to generate (e.g. 10_000_000).")] = 60_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data.")] = 7,
    fmt: Annotated[str, typer.Option("--format", help="csv (Russian-style cp1251 export) or parquet.")] = "csv",
) -> None:
    """Write a seeded synthetic retail engagement (data + spec + narrative) to build."""
    from cjmgen import demo as demo_module

    if fmt not in ("csv", "parquet"):
        typer.echo(f"--format: expected csv or parquet, got {fmt!r}", err=True)
        raise typer.Exit(2)
    try:
        spec = demo_module.write_demo(folder, rows=rows, seed=seed, fmt="parquet" if fmt == "parquet" else "csv")
    except (UserError, Exception) as exc:  # noqa: BLE001
        _fail(exc)
    typer.echo(f"wrote {spec}; build it with: cjmgen build {spec}")


def main() -> None:
    """Console-script entry point."""
    app()
