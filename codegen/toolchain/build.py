"""Cached, concurrency-safe builds of what `rnnc compile` wrote.

A build never reads the output folder directly: it takes a snapshot of the files the manifest
lists (under OUT's shared lock, codegen/outdir.py), so a user's own files in OUT are never
compiled and a compile running beside it cannot tear the sources. The snapshot is written into
a fresh temporary folder, compiled there, and the finished folder is renamed into the cache
(OUT/.build/<hash of compiler, flags and sources>): several `rnnc run` on one OUT build side by
side, and none ever executes a half-written program. When OUT is read-only the cache lives
under the user's cache folder instead.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from ..errors import RnncError
from .. import outdir

TESTBENCH = "rnnc_testbench.c"


def snapshot(out_dir: Path, listing: dict[str, str]) -> dict[str, bytes]:
    """Every generated file the manifest lists (not the manifest's own arrays)."""
    return outdir.read_files(Path(out_dir), [rel for rel in sorted(listing) if rel != outdir.ARRAYS])


#: the NPU delegate's glue (built by the user against their Ethos-U driver, not by the testbench)
NPU_DIR = "npu"


def model_sources(files) -> list[str]:
    """The model's own C sources among the generated files (no testbench, no target support)."""
    return sorted(rel for rel in files if rel.endswith(".c") and rel != TESTBENCH
                  and not rel.startswith(("target/", NPU_DIR + "/")))


def support_sources(files) -> list[str]:
    return sorted(rel for rel in files if rel.startswith("target/") and rel.endswith(".c"))


def cache_root(out_dir: Path) -> Path:
    root = Path(out_dir).resolve() / ".build"
    try:
        root.mkdir(exist_ok=True)
        if os.access(root, os.W_OK | os.X_OK):
            return root
    except OSError:
        pass
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rnnc" / "build"
    root = base / hashlib.sha256(str(Path(out_dir).resolve()).encode()).hexdigest()[:16]
    root.mkdir(parents=True, exist_ok=True)
    return root


def cached_build(out_dir: Path, files: dict[str, bytes], key: list[str], artifact: str,
                 commands: Callable[[Path], list[list[str]]], what: str) -> Path:
    """Build `artifact` from `files` (written under <build>/src) with commands(build) run in
    order; returns the cached artifact. Compiler messages name OUT's files, not the snapshot's."""
    h = hashlib.sha256()
    for k in key:
        h.update(k.encode() + b"\0")
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
    root = cache_root(out_dir)
    final = root / h.hexdigest()[:20]
    if (final / artifact).is_file():
        return final / artifact
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        for rel, data in files.items():
            p = tmp / "src" / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        for cmd in commands(tmp):
            run_checked(cmd, tmp, out_dir, what)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / artifact).is_file():   # not a concurrent twin's finished build
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final / artifact


def run_checked(cmd: list[str], tmp: Path, out_dir: Path, what: str) -> None:
    """Run one build command in tmp; a failure is an error naming OUT's files, not the snapshot's."""
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
    if res.returncode != 0:
        text = (res.stderr or res.stdout).replace(str(tmp / "src") + os.sep, str(Path(out_dir)) + os.sep)
        first = "\n".join(text.strip().splitlines()[:20])
        raise RnncError(f"{what} failed ({Path(cmd[0]).name}):\n{first}", file=str(out_dir))


def model_source_paths(out_dir: Path) -> list[Path]:
    """Paths of the model's C sources in a compiled folder, from its manifest (for builds of
    one's own: a firmware, a benchmark harness)."""
    from ..qmodel import QModel
    return [Path(out_dir) / rel for rel in model_sources(QModel.load(Path(out_dir)).files)]
