"""A machine-wide cache of compiled kernel objects, shared by every build.

The kernel files (OUT/kernels/rnnc_*.c) are the same for every model that uses them, and a
sanitized host build compiles each of them once per x86 instruction-set level: seconds per
model. Builds therefore compile each kernel file once per compiler, flags and content, and link
the cached object afterwards. The key holds the compiler (its resolved path and `--version`),
every flag and define, the build's other key parts (an external library's checkout), the file's
bytes and those of every header it includes with quotes, transitively, found as the compiler
finds them (beside the including file, then in the include folders). A kernel file with a quoted
include that is not among the generated files is compiled inside the build as before.

Objects are written under a temporary name and renamed, so concurrent builds never link half an
object. The cache is $RNNC_OBJECT_CACHE, else $XDG_CACHE_HOME/rnnc/objects (~/.cache/rnnc/objects);
RNNC_OBJECT_CACHE=off turns it off. Deleting it is always safe.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path, PurePosixPath
from typing import Callable

INCLUDE = re.compile(rb'^\s*#\s*include\s+"([^"]+)"', re.M)
CACHED_DIRS = ("kernels/",)


def cache_dir() -> Path | None:
    """Where objects are kept, or None when caching is off or the folder cannot be made."""
    env = os.environ.get("RNNC_OBJECT_CACHE", "")
    if env.lower() in ("off", "0", "no"):
        return None
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rnnc" / "objects"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return base if os.access(base, os.W_OK | os.X_OK) else None


@functools.lru_cache(maxsize=None)
def compiler_id(cc: str) -> str | None:
    """The compiler's resolved path and version banner, or None when it cannot say."""
    try:
        res = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if res.returncode != 0:
        return None
    return f"{os.path.realpath(cc)}\n{res.stdout}"


def include_closure(files: dict[str, bytes], rel: str, include_dirs: list[str]) -> list[str] | None:
    """rel and every file it includes with quotes, transitively, as snapshot paths; None when one
    of them is not in the snapshot.

    >>> include_closure({"k/a.c": b'#include "a.h"', "k/a.h": b'#include "b.h"', "b.h": b""}, "k/a.c", ["."])
    ['b.h', 'k/a.c', 'k/a.h']
    >>> include_closure({"k/a.c": b'#include "gone.h"'}, "k/a.c", ["."]) is None
    True
    """
    seen, todo = set(), [rel]
    while todo:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.add(cur)
        for name in INCLUDE.findall(files[cur]):
            name = name.decode("utf-8", "replace")
            here = str(PurePosixPath(cur).parent / name)
            found = next((c for c in [here, *(str(PurePosixPath(d) / name) for d in include_dirs)]
                          if os.path.normpath(c) in files), None)
            if found is None:
                return None
            todo.append(os.path.normpath(found))
    return sorted(seen)


def object_key(cc_id: str, flags: list[str], key: list[str], files: dict[str, bytes], rel: str,
               include_dirs: list[str]) -> str | None:
    closure = include_closure(files, rel, include_dirs)
    if closure is None:
        return None
    h = hashlib.sha256(cc_id.encode())
    for part in [*flags, "--", *key, "--", *include_dirs, "--", rel]:
        h.update(part.encode() + b"\0")
    for f in closure:
        h.update(f.encode() + b"\0" + hashlib.sha256(files[f]).digest())
    return h.hexdigest()[:32]


def cached_objects(cc: str, flags: list[str], key: list[str], files: dict[str, bytes], c_files: list[str],
                   include_dirs: list[str], build: Path, run: Callable[[list[str]], None]) -> tuple[list[str], list[str]]:
    """(the c_files still to compile in the link, the cached objects to link instead): kernel
    files are compiled once into the cache (run(cmd) compiles, raising on errors)."""
    root, cc_id = cache_dir(), compiler_id(cc)
    if root is None or cc_id is None:
        return list(c_files), []
    inc = [f for d in include_dirs for f in ("-I", str(build / "src" / d))]
    rest, objs = [], []
    for rel in c_files:
        k = object_key(cc_id, flags, key, files, rel, include_dirs) if rel.startswith(CACHED_DIRS) else None
        if k is None:
            rest.append(rel)
            continue
        obj = root / k[:2] / f"{k}.o"
        if not obj.is_file():
            obj.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(suffix=".o", prefix=".tmp-", dir=obj.parent)
            os.close(fd)
            try:
                run([cc, *flags, *inc, "-c", str(build / "src" / rel), "-o", tmp])
                os.replace(tmp, obj)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        local = build / "obj" / f"{k}.o"      # a link in the build: the cache may be cleared meanwhile
        local.parent.mkdir(exist_ok=True)
        try:
            os.link(obj, local)
        except OSError:
            shutil.copyfile(obj, local)
        objs.append(str(local))
    return rest, objs
