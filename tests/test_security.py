"""Hostile and broken specs (issue 8): no write outside --out, no read outside the project, no traceback, no stall.

Every probe is the smallest input that showed the problem; each must fail `validate` with a located message
(file:line:col) and exit 1, or build cleanly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cjmgen import api
from cjmgen.cli import app
from cjmgen.errors import Problem, UserError
from cjmgen.outputs import Staging, clean_stale, inside, safe_name, sheet_name, unique_name, write_workbook

TINY = Path(__file__).parent / "fixtures" / "data" / "tiny.csv"
HEAD = """\
project: {title: T, client: C}
sources:
  transactions: {path: data/tiny.csv, separator: ";", decimal: ",",
                 columns: {customer_id: card, order_id: receipt, date: ts, amount: sum}}
"""


def _project(tmp_path: Path, tail: str = "", *, head: str = HEAD, files: dict[str, bytes] | None = None) -> Path:
    folder = tmp_path / "proj"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "tiny.csv").write_bytes(TINY.read_bytes())
    for name, content in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    spec = folder / "project.yaml"
    spec.write_bytes(head.encode() + tail.encode() if isinstance(tail, str) else tail)
    return spec


def _problems(spec: Path) -> list[Problem]:
    with pytest.raises(UserError) as caught:
        api.validate(spec)
    problems = caught.value.problems
    assert all(p.line is not None and p.column is not None for p in problems), [str(p) for p in problems]
    return problems


def _one(spec: Path, path: str) -> str:
    """The message of the one problem at `path` (dotted spec path)."""
    found = [p for p in _problems(spec) if p.path == path]
    assert found, [str(p) for p in _problems(spec)]
    return found[0].message


# --- writes stay inside --out -------------------------------------------------------------------------------

def test_a_matrix_id_that_climbs_out_is_refused_at_validate(tmp_path: Path) -> None:
    spec = _project(tmp_path, 'matrices: [{id: "../../data/receipts", title: X, columns: [a]}]\n')
    assert "letters, digits" in _one(spec, "matrices[0].id")


@pytest.mark.parametrize("bad", ["a:b", "a/b", "", "x" * 61, "_lead", ".hidden"])
def test_matrix_ids_are_slugs(tmp_path: Path, bad: str) -> None:
    spec = _project(tmp_path, f"matrices: [{{id: {bad!r}, title: X, columns: [a]}}]\n")
    assert _one(spec, "matrices[0].id")


def test_a_unicode_slug_is_a_fine_matrix_id(tmp_path: Path) -> None:
    api.validate(_project(tmp_path, "matrices: [{id: Сегменты-2024, title: X, columns: [a]}]\n"))


@pytest.mark.parametrize("relative", ["../escape.csv", "/tmp/escape.csv", "a/../../escape.csv", "", "a\\b.csv",
                                      "x" * 300 + ".csv"])
def test_inside_refuses_paths_that_leave_the_output_folder(tmp_path: Path, relative: str) -> None:
    with pytest.raises(UserError):
        inside(tmp_path / "out", relative)


def test_inside_refuses_a_symlink_that_points_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "tables").symlink_to(tmp_path)
    with pytest.raises(UserError):
        inside(out, "tables/x.csv")
    assert inside(out, "segments/ok.csv") == out / "segments" / "ok.csv"


def test_every_staging_write_goes_through_inside(tmp_path: Path) -> None:
    staging = Staging(tmp_path / "out")
    try:
        for write in (lambda: staging.path("../x.html"), lambda: staging.write_json("/tmp/x.json", {}),
                      lambda: staging.write_csv("tables/../../x.csv", __import__("polars").DataFrame())):
            with pytest.raises(UserError):
                write()
    finally:
        staging.discard()
    assert not list(tmp_path.glob("x.*"))


def test_safe_names_are_short_and_distinct() -> None:
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert len(safe_name("слово " * 100)) <= 80
    used: set[str] = set()
    assert [unique_name(n, used) for n in ("A B", "A_B", "a b", "")] == ["A_B", "A_B_2", "a_b_3", "unnamed"]


def test_sheet_names_are_valid_distinct_and_short(tmp_path: Path) -> None:
    import fastexcel
    import polars as pl

    names = ["matrix_a:b", "matrix_a?b", "x" * 40, "x" * 40 + "y", "History", "'quoted'", "[a]/b\\c*"]
    target = tmp_path / "t.xlsx"
    write_workbook(target, {n: pl.DataFrame({"v": [1]}) for n in names})
    sheets = fastexcel.read_excel(target).sheet_names
    assert len(sheets) == len(names) and len({s.casefold() for s in sheets}) == len(names)
    assert all(len(s) <= 31 and not set(s) & set("[]:*?/\\") and "history" != s.casefold() for s in sheets)
    used: set[str] = set()
    assert sheet_name("a:b", used) == "a_b" and sheet_name("a?b", used) == "a_b~2"


def test_tables_xlsx_is_byte_identical_across_builds(tmp_path: Path) -> None:
    spec = _project(tmp_path, "analyses: {rfm: {bins: 2}}\nmatrices: [{id: m, title: M, columns: [a], rows: [[1]]}]\n"
                              "report: {outputs: [xlsx]}\n")
    first = api.build(spec, tmp_path / "one").out / "tables" / "tables.xlsx"
    time.sleep(1.1)  # the workbook's own clock has one-second resolution
    second = api.build(spec, tmp_path / "two").out / "tables" / "tables.xlsx"
    assert first.read_bytes() == second.read_bytes()


# --- staging: a killed build leaves nothing behind, out/ is never absent -----------------------------------

def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_staging_folders_of_a_killed_build_are_cleaned(tmp_path: Path) -> None:
    out = tmp_path / "out"
    dead = tmp_path / f".out.tmp-{_dead_pid()}-abc123"
    live = tmp_path / f".out.tmp-{os.getppid()}-def456"  # a running process's build
    old_style = tmp_path / ".out.tmp-zzz"
    other = tmp_path / ".other.tmp-1-x"
    for folder in (dead, live, old_style, other):
        folder.mkdir()
    os.utime(old_style, (time.time() - 3 * 86400,) * 2)
    staging = Staging(out)
    staging.discard()
    assert not dead.exists() and not old_style.exists()
    assert live.exists() and other.exists()
    assert clean_stale(out) == []


def test_commit_never_leaves_out_absent(tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen_missing: list[bool] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if out.parent.joinpath("first").exists() and not out.exists():
                seen_missing.append(True)

    for i in range(2):  # the first commit creates out/, the next ones replace it
        staging = Staging(out)
        staging.write_json("build.json", {"n": i})
        staging.commit()
    (tmp_path / "first").mkdir()
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for i in range(40):
            staging = Staging(out)
            staging.write_json("build.json", {"n": i})
            staging.commit()
    finally:
        stop.set()
        watcher.join()
    assert not seen_missing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "out"]


def test_commit_swaps_in_one_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rename during commit keeps out/ present (no window between moving the old one aside and the new in)."""
    out = tmp_path / "out"
    for _ in range(2):
        staging = Staging(out)
        staging.write_json("build.json", {})
        staging.commit()
    states: list[bool] = []
    real_rename = Path.rename

    def rename(self: Path, target: Path) -> Path:
        done = real_rename(self, target)
        states.append(out.exists())
        return done

    monkeypatch.setattr(Path, "rename", rename)
    staging = Staging(out)
    staging.write_json("build.json", {"new": True})
    staging.commit()
    assert all(states) and (out / "build.json").read_text().strip().endswith("}")
    assert '"new": true' in (out / "build.json").read_text()


# --- reads stay inside the project; sources are regular files ----------------------------------------------

@pytest.mark.parametrize("logo", ["/etc/passwd", "../secret.svg"])
def test_a_logo_outside_the_project_is_refused(tmp_path: Path, logo: str) -> None:
    (tmp_path / "secret.svg").write_text("<svg>secret</svg>")
    spec = _project(tmp_path, f"report: {{theme: {{logo: {logo!r}}}}}\n")
    assert "outside the project folder" in _one(spec, "report.theme.logo")


def test_a_symlink_in_the_project_that_points_out_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.svg").write_text("<svg>secret</svg>")
    spec = _project(tmp_path, "report: {theme: {logo: logo.svg}, sections: [{markdown: text.md}]}\n")
    (spec.parent / "logo.svg").symlink_to(tmp_path / "secret.svg")
    (spec.parent / "text.md").symlink_to(tmp_path / "secret.svg")
    assert "outside the project folder" in _one(spec, "report.theme.logo")
    assert "outside the project folder" in _one(spec, "report.sections[0].markdown")


@pytest.mark.parametrize("markdown", ["../outside.txt", "/etc/hostname"])
def test_markdown_outside_the_project_is_refused(tmp_path: Path, markdown: str) -> None:
    (tmp_path / "outside.txt").write_text("# secret")
    spec = _project(tmp_path, f"report: {{sections: [summary, {{markdown: {markdown!r}}}]}}\n")
    assert "outside the project folder" in _one(spec, "report.sections[1].markdown")


def test_a_templates_folder_with_a_link_out_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.html").write_text("secret")
    spec = _project(tmp_path, "report: {templates: tpl}\n", files={"tpl/_rfm.html": b"x"})
    (spec.parent / "tpl" / "_summary.html").symlink_to(tmp_path / "secret.html")
    assert "points outside the project folder" in _one(spec, "report.templates")
    spec = _project(tmp_path, "report: {templates: ..}\n")
    assert "outside the project folder" in _one(spec, "report.templates")


def test_a_logo_must_be_an_image(tmp_path: Path) -> None:
    spec = _project(tmp_path, "report: {theme: {logo: data/tiny.csv}}\n")
    assert "expected an image" in _one(spec, "report.theme.logo")


def test_a_markdown_chapter_that_is_not_utf8_is_a_located_error(tmp_path: Path) -> None:
    spec = _project(tmp_path, "report: {sections: [{markdown: data/receipts.csv}]}\n",
                    files={"data/receipts.csv": "Карта;Чек\n1;2\n".encode("cp1251")})
    assert "not UTF-8 text" in _one(spec, "report.sections[0].markdown")


def test_proc_environ_is_not_a_source_and_its_content_never_printed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CJMGEN_TEST_SECRET", "hunter2-password")
    spec = _project(tmp_path, head="project: {title: T, client: C}\n"
                                   "sources: {transactions: {path: /proc/self/environ}}\n")
    problems = _problems(spec)
    assert "system file" in _one(spec, "sources.transactions.path")
    assert not any("hunter2" in str(p) for p in problems)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_pipe_or_device_is_not_a_source(tmp_path: Path) -> None:
    spec = _project(tmp_path, head="project: {title: T, client: C}\n"
                                   "sources: {transactions: {path: data/pipe.csv}, customers: {path: /dev/zero}}\n")
    os.mkfifo(spec.parent / "data" / "pipe.csv")
    assert "a pipe" in _one(spec, "sources.transactions.path")
    assert "system file" in _one(spec, "sources.customers.path")


def test_markdown_images_embed_only_project_images(tmp_path: Path) -> None:
    from cjmgen.render.markdown import render_markdown

    (tmp_path / "secret.png").write_bytes(b"secret")
    project = tmp_path / "proj"
    (project / "img").mkdir(parents=True)
    (project / "img" / "logo.png").write_bytes(b"\x89PNG")
    (project / "img" / "out.png").symlink_to(tmp_path / "secret.png")
    (project / "data.csv").write_text("card;sum\n1;2\n")
    refs = ["x" * 300 + ".png", "/etc/passwd", "../secret.png", "img/out.png", "data.csv", "img/logo.png"]
    html = str(render_markdown(" ".join(f"![{i}]({r})" for i, r in enumerate(refs)), base_dir=project,
                               project_dir=project))
    assert html.count('src=""') == 5 and html.count("data:image/png;base64,") == 1


def test_the_cli_maps_a_refused_output_path_to_exit_1(tmp_path: Path) -> None:
    spec = _project(tmp_path, "report: {outputs: [xlsx]}\nanalyses: {rfm: {bins: 2}}\n")
    result = CliRunner().invoke(app, ["build", str(spec), "--out", str(tmp_path / ("x" * 300))])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output


def test_messages_are_printable_and_short() -> None:
    problem = Problem("f.yaml", "column 'A\x00B\x1b[31m' " + "x" * 2000, line=1, column=1)
    assert "\x00" not in str(problem) and "\x1b" not in str(problem) and "\\x00" in str(problem)
    assert len(problem.message) <= 500


# --- YAML that must not crash or stall ---------------------------------------------------------------------

def _bomb(depth: int) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghij"
    for prev, name in zip(names, names[1:depth + 1], strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + f"\nproject: *{names[depth]}\n"


@pytest.mark.parametrize("depth", [6, 8])
def test_an_alias_bomb_fails_fast_with_a_located_message(tmp_path: Path, depth: int) -> None:
    spec = _project(tmp_path, head=_bomb(depth))
    start = time.perf_counter()
    problems = _problems(spec)
    assert time.perf_counter() - start < 0.5
    assert any("expands to more than" in p.message or "aliases" in p.message for p in problems)


def test_too_many_aliases_are_refused(tmp_path: Path) -> None:
    tail = "x: &x 1\nmatrices: [" + ", ".join([f"{{id: m{i}, title: *x, columns: [a]}}" for i in range(150)]) + "]\n"
    assert any("aliases" in p.message for p in _problems(_project(tmp_path, tail)))


@pytest.mark.parametrize(("tail", "words"), [
    ("matrices: !foo [a]\n", "tags"),
    ("report: !!python/object:os.system {}\n", "tags"),
    ("# a bell \x07 here\n", "control character"),
    ("report: {outputs: [html]}\nx: \x00\n", "control character"),
    ("deep: " + "[" * 200 + "]" * 200 + "\n", "depth"),
])
def test_yaml_tricks_are_located_errors(tmp_path: Path, tail: str, words: str) -> None:
    problems = _problems(_project(tmp_path, tail))
    assert any(words in p.message for p in problems), [str(p) for p in problems]


@pytest.mark.parametrize("where", ["logo", "source", "markdown", "matrix"])
def test_a_300_character_name_is_a_located_error(tmp_path: Path, where: str) -> None:
    long = "x" * 300
    tail = {"logo": f"report: {{theme: {{logo: {long}.svg}}}}\n",
            "markdown": f"report: {{sections: [{{markdown: {long}.md}}]}}\n",
            "matrix": f"matrices: [{{id: {long}, title: X, columns: [a]}}]\n",
            "source": f"  customers: {{path: data/{long}.csv}}\n"}[where]
    assert _problems(_project(tmp_path, tail))


def test_the_cli_exits_1_not_3_on_a_tagged_node(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(_project(tmp_path, "matrices: !foo [a]\n"))])
    assert result.exit_code == 1 and "Traceback" not in result.output


# --- values that used to crash later -----------------------------------------------------------------------

def test_an_absurd_as_of_is_a_located_error(tmp_path: Path) -> None:
    spec = _project(tmp_path, head=HEAD.replace("{title: T, client: C}", "{title: T, client: C, as_of: 9999-12-31}"))
    assert "analysis date" in _one(spec, "project.as_of")


def test_a_negative_seed_is_a_located_error(tmp_path: Path) -> None:
    spec = _project(tmp_path, "journey: {stages: [{id: a, name: A}], touchpoints: [{id: t, name: T, stage: a, "
                              "channel: online}]}\nqfd: {factors: [{id: f, name: F, weight: 1}], stability: {seed: -1}}\n")
    assert "greater than or equal to 0" in _one(spec, "qfd.stability.seed")


# --- messages --------------------------------------------------------------------------------------------

def test_a_bad_value_in_a_block_gives_no_follow_on_error(tmp_path: Path) -> None:
    for block in ("{bins: x}", "5", "[1, 2]"):
        problems = _problems(_project(tmp_path, f"analyses: {{rfm: {block}}}\nreport: {{sections: [summary, rfm]}}\n"))
        assert not any("not configured" in p.message for p in problems), [str(p) for p in problems]
    problems = _problems(_project(tmp_path, "analyses: 5\nreport: {sections: [summary, rfm]}\n"))
    assert not any("not configured" in p.message for p in problems), [str(p) for p in problems]


def test_a_block_of_the_wrong_shape_gives_no_follow_on_error(tmp_path: Path) -> None:
    """Found by the fuzz: `sources` as a list stood in as one Source, and the QFD check crashed iterating it."""
    tail = ("journey: {stages: [{id: a, name: A}], touchpoints: [{id: t, name: T, stage: a, channel: online}]}\n"
            "qfd: {factors: [{id: f, name: F}], weights_from: {target: overall}}\n")
    problems = _problems(_project(tmp_path, tail, head="project: {title: T, client: C}\nsources: [{path: x.csv}]\n"))
    assert [p.path for p in problems] == ["sources"], [str(p) for p in problems]


def test_a_missing_project_key_has_a_position(tmp_path: Path) -> None:
    (problem,) = _problems(_project(tmp_path, head="sources: {}\n"))
    assert (problem.line, problem.column, problem.path) == (1, 1, "project")


def test_a_non_utf8_spec_gives_line_and_column(tmp_path: Path) -> None:
    spec = _project(tmp_path)
    spec.write_bytes(HEAD.encode() + b"# caf\xe9\n")
    (problem,) = _problems(spec)
    assert (problem.line, problem.column) == (5, 6) and "UTF-8" in problem.message


def test_a_duplicate_key_with_a_long_value_gives_a_short_message(tmp_path: Path) -> None:
    block = "".join(f"  line {i} of a long block of text\n" for i in range(200))
    (problem,) = _problems(_project(tmp_path, f"report: {{outputs: [html]}}\nreport: |\n{block}"))
    assert "duplicate key 'report'" in problem.message and len(str(problem)) < 300


def test_pydantic_internals_are_plain_words(tmp_path: Path) -> None:
    message = _one(_project(tmp_path, "report: {theme: {logo: [1, 2]}}\n"), "report.theme.logo")
    assert message == "expected a file path (text), got [1, 2]"
    long = _one(_project(tmp_path, "report: {templates: {" + ", ".join(f"k{i}: {i}" for i in range(300)) + "}}\n"),
                "report.templates")
    assert len(long) < 160 and "pathlib" not in long
