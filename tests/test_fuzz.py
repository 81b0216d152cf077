"""Seeded fuzz of the spec (issue 8): mutants of the demo, b2b and kindergarten specs must never crash.

Each mutant is the YAML of a real spec with one or two faults: a key deleted, renamed or duplicated, a value of the
wrong type, a huge number, unicode, a control character, a path trick, a tag, an alias bomb, a cut-off file, a
byte that is not UTF-8. `validate` must raise nothing but UserError, every problem must carry file:line:col, and a
small sample of mutants that validate must build without an internal error.

Run it larger by hand for figures: `python tests/test_fuzz.py 1500`.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cjmgen import api
from cjmgen.errors import UserError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED = 20_240_808
MUTANTS = 300
BUILDS = 2
SLOW_S = 5.0
"""A validate slower than this is a stall (an alias bomb took 49 s); generous, as CI machines are shared."""

ODD_VALUES: list[Any] = [
    None, 0, -1, 1e308, -1e308, 10**30, 2**64, 1.5, "", " ", "x", "x" * 300, [], {}, [1, [2, [3]]], {"a": {"b": 1}},
    True, "../../etc/passwd", "/proc/self/environ", "/dev/zero", "data/../../../x.csv", "\u202etxt.exe", "😀🚀",
    "Ω≈ç√", "9999-12-31", "0001-01-01", "2023-02-30", ".nan", ".inf", "NaN", "a:b", "a/b", "C:\\Windows",
    "{{ 7*7 }}", "<script>alert(1)</script>", "%s%s%n", "\\x07", "null",
]
TEXT_TRICKS = ["!foo ", "!!python/object:os.system ", "*undefined ", "&a ", "\x07", "\x00", "\x1b[31m", "\t",
               "\ufeff", "\u2028", "{", "[", "]", "'", '"', ": ", "- ", "? ", "|", ">", "#", "%", "@", "`"]


@dataclass
class Tally:
    """What a fuzz run found."""

    tried: int = 0
    exits: Counter[int] = field(default_factory=Counter)
    tracebacks: list[str] = field(default_factory=list)
    unlocated: list[str] = field(default_factory=list)
    builds: int = 0
    slow: list[str] = field(default_factory=list)


def projects(root: Path) -> list[Path]:
    """Copies of the three example projects (the demo with a small seeded data set) in root."""
    from cjmgen.demo import write_demo

    specs = [write_demo(root / "demo", rows=1_500, seed=3)]
    for name in ("b2b-distributor", "kindergarten"):
        shutil.copytree(EXAMPLES / name, root / name)
        specs.append(root / name / "project.yaml")
    return specs


def _load(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


def _dump(data: Any) -> str:
    """YAML text of data: JSON with one value a line is YAML (flow style), and fast to write."""
    return json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n"


def _nodes(data: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every node below the root."""
    found = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        found.append((*path, key))
        found += _nodes(value, (*path, key))
    return found


def _parent(data: Any, path: tuple) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


def _structural(rng: random.Random, data: dict) -> str:
    data = copy.deepcopy(data)
    for _ in range(rng.choice((1, 1, 2, 3))):
        nodes = _nodes(data)
        if not nodes:
            break
        path = rng.choice(nodes)
        parent, key = _parent(data, path), path[-1]
        kind = rng.choice(("delete", "odd", "odd", "odd", "rename", "copy", "wrap", "number"))
        if kind == "delete":
            del parent[key]
        elif kind == "odd":
            parent[key] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif kind == "rename" and isinstance(parent, dict):
            parent[str(key) + rng.choice(("x", "_", "s", "\u0301"))] = parent.pop(key)
        elif kind == "copy" and isinstance(parent, dict):
            other = rng.choice(nodes)
            parent[key] = copy.deepcopy(_parent(data, other)[other[-1]])
        elif kind == "wrap":
            parent[key] = [parent[key]] if rng.random() < 0.5 else {"x": parent[key]}
        elif kind == "number":
            parent[key] = rng.choice((-1, 0, 10**9, -(10**9), 1e-300, 3.7, 2**31, 255, 256))
    return _dump(data)


def _bomb(depth: int) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghij"
    for prev, name in zip(names, names[1:depth + 1], strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _textual(rng: random.Random, text: str) -> str | bytes:
    lines = text.splitlines(keepends=True)
    kind = rng.choice(("insert", "insert", "duplicate", "drop", "cut", "bytes", "bomb", "indent", "swap"))
    i = rng.randrange(len(lines))
    if kind == "insert":
        line = lines[i]
        at = rng.randrange(len(line) + 1)
        lines[i] = line[:at] + rng.choice(TEXT_TRICKS) + line[at:]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "drop":
        del lines[i]
    elif kind == "cut":
        return text[: rng.randrange(len(text))]
    elif kind == "bytes":
        raw = bytearray(text.encode("utf-8"))
        raw[rng.randrange(len(raw))] = rng.choice((0xFF, 0xC3, 0x80, 0xE9))
        return bytes(raw)
    elif kind == "bomb":
        key = rng.choice(("project", "matrices", "report", "journey"))
        return _bomb(rng.choice((4, 6, 8))) + "".join(line for line in lines if not line.startswith(key + ":")) + \
            f"{key}: *{'abcdefghij'[rng.choice((4, 6))]}\n"
    elif kind == "indent":
        lines[i] = rng.choice(("  ", " ", "")) + lines[i].lstrip(" ") if rng.random() < 0.5 else " " + lines[i]
    elif kind == "swap":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def mutants(rng: random.Random, specs: list[Path], count: int):
    """(spec folder, mutant text or bytes) pairs."""
    originals = [(spec, spec.read_text(encoding="utf-8")) for spec in specs]
    parsed = [(spec, text, _load(text)) for spec, text in originals]
    for _ in range(count):
        spec, text, data = rng.choice(parsed)
        yield spec, (_structural(rng, data) if rng.random() < 0.55 else _textual(rng, text))


def run(root: Path, count: int, builds: int, seed: int = SEED) -> Tally:
    """Validate `count` mutants (and build `builds` of those that validate); tally exits, tracebacks, positions."""
    rng = random.Random(seed)
    tally = Tally()
    valid: list[Path] = []
    for n, (spec, content) in enumerate(mutants(rng, projects(root), count)):
        target = spec.with_name(f"fuzz_{n}.yaml")
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", errors="surrogatepass"))
        tally.tried += 1
        start = time.perf_counter()
        try:
            api.validate(target)
        except UserError as exc:
            tally.exits[1] += 1
            tally.unlocated += [f"{target.name}: {p}" for p in exc.problems if p.line is None or p.column is None]
        except Exception:  # noqa: BLE001 — the point: record every internal error
            tally.exits[3] += 1
            tally.tracebacks.append(f"{target.name}:\n{traceback.format_exc()}")
        else:
            tally.exits[0] += 1
            valid.append(target)
            continue
        finally:
            if time.perf_counter() - start > SLOW_S:
                tally.slow.append(target.name)
        target.unlink()
    for target in rng.sample(valid, min(builds, len(valid))):
        _build(target, root, tally)
    return tally


def _build(spec: Path, root: Path, tally: Tally) -> None:
    text = spec.read_text(encoding="utf-8")
    # keep builds quick: HTML only (charts and templates still run), no PDF
    data = _load(text)
    if isinstance(data, dict):
        report = data.get("report") if isinstance(data.get("report"), dict) else {}
        data["report"] = {**report, "outputs": ["html", "xlsx"]}
        spec.write_text(_dump(data), encoding="utf-8")
    tally.builds += 1
    try:
        api.build(spec, root / "out" / spec.stem)
    except UserError as exc:
        tally.unlocated += [f"{spec.name} (build): {p}" for p in exc.problems if p.line is None and p.file == str(spec)]
    except Exception:  # noqa: BLE001
        tally.tracebacks.append(f"{spec.name} (build):\n{traceback.format_exc()}")


@pytest.mark.filterwarnings("ignore")
def test_fuzzed_specs_never_crash_and_every_message_is_located(tmp_path: Path) -> None:
    start = time.perf_counter()
    tally = run(tmp_path, MUTANTS, BUILDS)
    assert tally.tried == MUTANTS
    assert not tally.tracebacks, "\n".join(tally.tracebacks[:3])
    assert not tally.unlocated, "\n".join(tally.unlocated[:10])
    assert not tally.slow, tally.slow
    assert tally.exits[0] and tally.exits[1], tally.exits  # the mutants reach both outcomes
    assert time.perf_counter() - start < 180  # ~15 s on a quiet machine; the bound only catches a stall


if __name__ == "__main__":
    import tempfile
    import warnings

    warnings.simplefilter("ignore")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else MUTANTS
    builds = int(sys.argv[2]) if len(sys.argv) > 2 else BUILDS
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        result = run(Path(folder), count, builds, seed=int(sys.argv[3]) if len(sys.argv) > 3 else SEED)
        print(f"tried {result.tried}, exits {dict(result.exits)}, builds {result.builds}, "
              f"tracebacks {len(result.tracebacks)}, unlocated {len(result.unlocated)}, slow {len(result.slow)}, "
              f"{time.perf_counter() - began:.1f}s")
        for item in result.tracebacks[:8]:
            print(item[-1500:])
        for item in result.unlocated[:20]:
            print(item[:300])
