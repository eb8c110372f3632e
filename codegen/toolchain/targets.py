"""Targets are folders under targets/: each has a target.toml describing flags and runner."""
from __future__ import annotations

import tomllib

from ..emit.layercode import targets_dir
from ..errors import RnncError


def available_targets() -> list[str]:
    return sorted(p.parent.name for p in targets_dir().glob("*/target.toml"))


def load_target(name: str) -> dict:
    path = targets_dir() / name / "target.toml"
    if not path.is_file():
        raise RnncError(f"unknown target '{name}' (available: {', '.join(available_targets())})")
    with open(path, "rb") as f:
        t = tomllib.load(f)
    t["dir"] = str(path.parent)
    return t
