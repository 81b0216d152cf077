"""Small spec building blocks shared by analysis Params models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from cjmgen.spec.models import Strict


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, (int, str)) and not isinstance(value, bool) else value


IntList = Annotated[list[int], BeforeValidator(_listify)]
"""An int or a list of ints in the spec; always a list after validation."""

__all__ = ["IntList", "Strict"]
