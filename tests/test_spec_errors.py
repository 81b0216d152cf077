"""Invalid-spec corpus: each tests/fixtures/invalid_specs/<case>.{yaml,toml} has <case>.expected with the exact messages.

Regenerate an .expected file only after reading the new messages: CJMGEN_REGEN_EXPECTED=1 pytest tests/test_spec_errors.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cjmgen import api
from cjmgen.errors import UserError

CORPUS = Path(__file__).parent / "fixtures" / "invalid_specs"
CASES = sorted(p for p in CORPUS.iterdir() if p.suffix in {".yaml", ".toml"})


def _messages(spec: Path) -> str:
    with pytest.raises(UserError) as caught:
        api.validate(spec)
    root = str(CORPUS) + os.sep
    return "\n".join(str(p).replace(root, "") for p in caught.value.problems) + "\n"


@pytest.mark.parametrize("spec", CASES, ids=[p.stem for p in CASES])
def test_invalid_spec_messages(spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    got = _messages(Path(spec.name))
    expected = spec.with_suffix(".expected")
    if os.environ.get("CJMGEN_REGEN_EXPECTED"):
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")


def test_every_case_has_expected_messages() -> None:
    assert CASES, "the corpus is empty"
    assert all(p.with_suffix(".expected").is_file() for p in CASES)
