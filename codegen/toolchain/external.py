"""External kernel libraries a generated model calls (today CMSIS-NN, for --kernels cmsis-nn).

rnnc never ships them: the user supplies a checkout and names it with the library's
environment variable. Each library is described once in LIBRARIES (adding one is one entry);
the output folder lists the sources it needs in external_sources.txt, one "library path" line
each, relative to the checkout. Those sources are compiled with the target's flags but without
rnnc's -Werror -pedantic (and without UBSan on sanitized host builds): they are not rnnc's code,
and a newer release must not break the build over a warning.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import RnncError

LIST_FILE = "external_sources.txt"


@dataclass(frozen=True)
class Library:
    name: str                 # as in --kernels and external_sources.txt
    title: str                # as people write it
    env: str                  # environment variable naming the user's checkout
    marker: str               # a file that proves the checkout is the library
    include: tuple[str, ...]  # include folders under the checkout
    url: str                  # where users get it

    def hint(self) -> str:
        return f"set {self.env} to a {self.title} checkout (git clone {self.url})"


LIBRARIES = {
    "cmsis-nn": Library("cmsis-nn", "CMSIS-NN", "CMSIS_NN_PATH", "Include/arm_nnfunctions.h", ("Include",),
                        "https://github.com/ARM-software/CMSIS-NN"),
}


def library(name: str) -> Library:
    try:
        return LIBRARIES[name]
    except KeyError:
        raise RnncError(f"unknown kernel library '{name[:40]}' in {LIST_FILE}") from None


def list_text(entries) -> str:
    """external_sources.txt for a set of (library, path) pairs."""
    return "".join(f"{lib} {path}\n" for lib, path in sorted(entries))


def parse_list(text: str) -> list[tuple[Library, str]]:
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, rel = line.strip().partition(" ")
        if not rel or Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise RnncError(f"malformed line in {LIST_FILE}: '{line[:80]}'")
        out.append((library(name), rel))
    return out


def root(lib: Library, needed_by: str = "") -> Path:
    """The user's checkout of lib, checked; a clear error when the variable is unset or wrong."""
    val = os.environ.get(lib.env, "")
    if not val:
        why = f"this model calls {lib.title} (compiled with --kernels {lib.name}): " if needed_by else ""
        raise RnncError(f"{why}{lib.hint()}", file=needed_by or None)
    path = Path(val).expanduser()
    if not (path / lib.marker).is_file():
        raise RnncError(f"{lib.env} does not point at a {lib.title} checkout (no {lib.marker}); {lib.hint()}",
                        file=str(path))
    return path


def entries(files: dict[str, bytes], out_dir: Path) -> list[tuple[Library, Path, str]]:
    """(library, checkout, source) for every external source a snapshot of OUT lists."""
    text = files.get(LIST_FILE, b"").decode()
    return [(lib, root(lib, str(out_dir)), rel) for lib, rel in parse_list(text)]


def key_parts(ents) -> list[str]:
    """Build-cache key: the checkouts and the contents of their sources and headers."""
    parts, seen = [], set()
    for lib, base, rel in ents:
        parts.append(f"{lib.name}:{base.resolve()}:{rel}:" + _digest(base / rel))
        if lib.name not in seen:
            seen.add(lib.name)
            for inc in lib.include:
                for h in sorted((base / inc).rglob("*.h")):
                    parts.append(f"{h.relative_to(base)}:{_digest(h)}")
    return parts


def _digest(p: Path) -> str:
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def include_flags(ents) -> list[str]:
    out = []
    for lib, base, _ in ents:
        for inc in lib.include:
            flag = ["-I", str(base / inc)]
            if flag[1] not in out:
                out += flag
    return out


def compile_commands(ents, cc: str, flags: list[str], build: Path) -> tuple[list[list[str]], list[str]]:
    """Commands compiling each external source into build/external, and the objects."""
    cmds, objs = [], []
    inc = include_flags(ents)
    for lib, base, rel in ents:
        src = base / rel
        if not src.is_file():
            raise RnncError(f"{lib.title} source '{rel}' is missing from the checkout (an older release? "
                            "rnnc needs one with arm_lstm_unidirectional_s8/_s16)", file=str(base))
        obj = build / "external" / (hashlib.sha256(f"{lib.name}/{rel}".encode()).hexdigest()[:12] + "_" + src.stem + ".o")
        obj.parent.mkdir(parents=True, exist_ok=True)
        cmds.append([cc, *without_strict_warnings(flags), *inc, "-c", str(src), "-o", str(obj)])
        objs.append(str(obj))
    return cmds, objs


def without_strict_warnings(flags: list[str]) -> list[str]:
    """The target's flags for library code: no -Werror/-pedantic, and on a sanitized host build
    AddressSanitizer only. CMSIS-NN shifts negative values left (undefined in ISO C, defined by
    every compiler it supports); UBSan would stop on that, while ASan still checks that the
    buffers and dimensions rnnc passes keep every access in bounds."""
    out = []
    for f in flags:
        if f in ("-Werror", "-pedantic", "-Wall", "-Wextra"):
            continue
        out.append("-fsanitize=address" if f == "-fsanitize=address,undefined" else f)
    return out
