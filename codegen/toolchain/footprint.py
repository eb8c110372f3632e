"""Flash, RAM and worst-case stack of the model code alone (no testbench, no startup code).

Each model source is compiled for the target with -fstack-usage -fcallgraph-info=su;
`arm-none-eabi-size -A` gives the sections of the objects, and the call graph gives the
deepest stack from the API entry points (<prefix>_run and <prefix>_step).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RnncError
from . import external
from .host import WARNINGS, model_sources

SECTION_KINDS = (".text", ".rodata", ".data", ".bss")


@dataclass
class Footprint:
    sections: dict[str, int] = field(default_factory=dict)
    stack_bytes: int = 0
    stack_entry: str = ""
    stack_bounded: bool = True

    @property
    def flash(self) -> int:
        return self.sections.get(".text", 0) + self.sections.get(".rodata", 0) + self.sections.get(".data", 0)

    @property
    def ram(self) -> int:
        return self.sections.get(".data", 0) + self.sections.get(".bss", 0)

    def summary(self, target: str) -> str:
        s = self.sections
        stack = f"{self.stack_bytes} B from {self.stack_entry}" + ("" if self.stack_bounded else " (has dynamic frames)")
        return (f"footprint on {target} (model code alone): flash {self.flash} B (.text {s.get('.text', 0)}, "
                f".rodata {s.get('.rodata', 0)}, .data {s.get('.data', 0)}); RAM {self.ram} B "
                f"(.data {s.get('.data', 0)}, .bss {s.get('.bss', 0)}); worst-case stack {stack}")


def measure(out_dir: Path, target: dict, prefix: str, extra: list[str] | None = None) -> Footprint:
    cc = target.get("cc", "arm-none-eabi-gcc")
    size = cc.replace("gcc", "size")
    for tool in (cc, size):
        if shutil.which(tool) is None:
            raise RnncError(f"'{tool}' is not installed; footprints need the target toolchain")
    out_dir = Path(out_dir).resolve()
    srcs = [p for p in model_sources(out_dir) if p.name != "testbench.c"]
    fp = Footprint(sections={k: 0 for k in SECTION_KINDS})
    with tempfile.TemporaryDirectory(prefix="rnnc-fp-") as tmp:
        tmp = Path(tmp)
        objs = []
        for src in srcs:
            obj = tmp / (src.stem + ".o")
            cmd = [cc, *target["cpu_flags"], *target["cflags"], *WARNINGS, *(extra or []), "-fstack-usage",
                   "-fcallgraph-info=su", "-I", str(out_dir), *external.include_flags(out_dir),
                   "-c", str(src), "-o", str(obj)]
            res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
            if res.returncode != 0:
                raise RnncError(f"compiling {src.name} for {target['name']} failed:\n{res.stderr[-1500:]}")
            objs.append(obj)
        objs += _external_objects(out_dir, cc, target, tmp)
        res = subprocess.run([size, "-A", *map(str, objs)], capture_output=True, text=True, check=True)
        for line in res.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                for kind in SECTION_KINDS:
                    if parts[0] == kind or parts[0].startswith(kind + "."):
                        fp.sections[kind] += int(parts[1])
        fp.stack_bytes, fp.stack_entry, fp.stack_bounded = _worst_stack(tmp.glob("*.ci"), prefix)
    return fp


def _external_objects(out_dir: Path, cc: str, target: dict, tmp: Path) -> list[Path]:
    """A library the model calls (CMSIS-NN) is part of its footprint: same flags, measured alike."""
    flags = [*target["cpu_flags"], *target["cflags"], "-fstack-usage", "-fcallgraph-info=su"]
    _, objs = external.build_objects(out_dir, cc, flags, tmp)
    for obj in objs:   # gcc writes the .su/.ci files beside each object
        for extra in Path(obj).parent.glob(Path(obj).stem + ".ci"):
            extra.rename(tmp / extra.name)
    return [Path(o) for o in objs]


_NODE = re.compile(r'node: \{ title: "([^"]+)" label: "[^"]*?\\n[^"]*?\\n(\d+) bytes \((static|dynamic[^)]*)\)')
_EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')


def _worst_stack(ci_files, prefix: str) -> tuple[int, str, bool]:
    frames: dict[str, int] = {}
    calls: dict[str, set[str]] = {}
    bounded = True
    for ci in ci_files:
        text = ci.read_text()
        for name, nbytes, kind in _NODE.findall(text):
            frames[name] = max(frames.get(name, 0), int(nbytes))
            bounded &= kind == "static"
        for a, b in _EDGE.findall(text):
            calls.setdefault(a, set()).add(b)

    def worst(fn: str, seen: frozenset) -> int:
        if fn in seen:   # recursion would be unbounded; the generated code has none
            return 0
        return frames.get(fn, 0) + max((worst(c, seen | {fn}) for c in calls.get(fn, ())), default=0)

    entries = [e for e in (f"{prefix}_run", f"{prefix}_step") if e in frames]
    if not entries:
        return 0, "", bounded
    best = max(entries, key=lambda e: worst(e, frozenset()))
    return worst(best, frozenset()), best, bounded
