"""`cjmgen init`: a new project folder with a commented starter spec."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from cjmgen.errors import Problem, UserError


def starter_specs_dir() -> Path:
    """Starter specs: inside the installed package, or specs/ beside it in a source checkout."""
    packaged = resources.files("cjmgen") / "starter_specs"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "specs"


def init_project(folder: Path, template: str) -> Path:
    """Create folder/project.yaml from a starter spec, plus data/ and narrative/; never overwrite a spec."""
    source = starter_specs_dir() / f"{template}.yaml"
    if not source.is_file():
        raise UserError(Problem(str(folder), f"no starter spec {template!r} in {source.parent}"))
    spec = Path(folder) / "project.yaml"
    if spec.exists():
        raise UserError(Problem(str(spec), "already exists; cjmgen init never overwrites a spec"))
    (Path(folder) / "data").mkdir(parents=True, exist_ok=True)
    (Path(folder) / "narrative").mkdir(exist_ok=True)
    spec.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    strategy = Path(folder) / "narrative" / "strategy.md"
    if not strategy.exists():
        strategy.write_text("# Situation and goals\n\nWhat the client asked, what we found, what we recommend.\n",
                            encoding="utf-8")
    return spec
