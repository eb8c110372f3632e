"""Flash, RAM and worst-case stack of the model code alone (no testbench, no startup code).

Each model source is compiled for the target with -fstack-usage -fcallgraph-info=su;
`arm-none-eabi-size -A` gives the sections of the objects, and the call graph gives the
deepest stack from the API entry points (<prefix>_run and <prefix>_step).
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RnncError
from . import build, external

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


def measure(out_dir: Path, target: dict, qm, extra: list[str] | None = None) -> Footprint:
    """Flash, RAM and worst-case stack of the model code (and the libraries it calls)."""
    from .runners import runner_for
    runner = runner_for(target)
    cc = runner.compiler()
    size = runner.tool(cc.replace("gcc", "size"), "footprints need the target toolchain")
    out_dir = Path(out_dir).resolve()
    files = build.snapshot(out_dir, qm.files)
    ents = external.entries(files, out_dir)
    flags = [*runner.base_flags(), *(extra or []), "-fstack-usage", "-fcallgraph-info=su"]
    fp = Footprint(sections={k: 0 for k in SECTION_KINDS})
    with tempfile.TemporaryDirectory(prefix="rnnc-fp-") as tmp:
        tmp = Path(tmp)
        for rel, data in files.items():
            (tmp / "src" / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / "src" / rel).write_bytes(data)
        objs = []
        for i, rel in enumerate(build.model_sources(files)):
            obj = tmp / f"{i}_{Path(rel).stem}.o"
            cmd = [cc, *flags, "-I", str(tmp / "src"), *external.include_flags(ents), "-c", str(tmp / "src" / rel),
                   "-o", str(obj)]
            res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
            if res.returncode != 0:
                raise RnncError(f"compiling {rel} for {target['name']} failed:\n{res.stderr[-1500:]}", file=str(out_dir))
            objs.append(obj)
        cmds, ext_objs = external.compile_commands(ents, cc, flags, tmp)
        for cmd in cmds:   # a library the model calls (CMSIS-NN) is part of its footprint
            res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
            if res.returncode != 0:
                raise RnncError(f"compiling {Path(cmd[-3]).name} for {target['name']} failed:\n{res.stderr[-1500:]}")
        objs += [Path(o) for o in ext_objs]
        for o in ext_objs:   # gcc writes the .ci call graph beside each object
            for ci in Path(o).parent.glob(Path(o).stem + ".ci"):
                ci.rename(tmp / ci.name)
        res = subprocess.run([size, "-A", *map(str, objs)], capture_output=True, text=True, check=True)
        for line in res.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                for kind in SECTION_KINDS:
                    if parts[0] == kind or parts[0].startswith(kind + "."):
                        fp.sections[kind] += int(parts[1])
        fp.stack_bytes, fp.stack_entry, fp.stack_bounded = _worst_stack(tmp.glob("*.ci"), qm.name)
    return fp


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
