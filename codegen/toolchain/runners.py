"""Runners: how the outputs of a target are built and run, chosen by `runner` in its
target.toml. Nothing outside this package asks which runner a target has; it asks the runner.

    runner = runner_for(load_target("cortex-m4"))
    program = runner.build_testbench(out_dir, qm, trace=True)
    runner.run_testbench(program, workdir)        # workdir holds in.bin; gets out.bin (trace.bin)

A runner registers with @register("name") and provides:
- build_program(out_dir, files, c_files, ...): compile and link C files from a snapshot of
  generated files (cached, safe to run concurrently: codegen/toolchain/build.py);
- run(program, workdir, ...): run it with workdir as its working folder;
- testbench_io: how the generated testbench reads and writes files ('stdio' with paths on the
  command line, or 'semihosting' with in.bin/out.bin/trace.bin in the working folder);
- check_capacity(): refuse a run the target's testbench cannot hold, before starting it;
- counts_instructions / measures_footprint: what `rnnc bench` and `inspect` may ask of it.
Today: 'host' (the system C compiler, run natively), 'qemu-system' (a cross compiler and a
board emulated by qemu-system-*, files through semihosting) and 'qemu-user' (a cross compiler
for another Linux ISA, programs run by user-mode QEMU). NPU runners register the same way.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ..errors import RnncError
from . import build, external, objcache

WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]

RUNNERS: dict[str, type] = {}
ALIASES = {"qemu": "qemu-system"}


def register(name: str):
    def deco(cls):
        cls.kind = name
        RUNNERS[name] = cls
        return cls
    return deco


def runner_for(target: dict) -> "Runner":
    from . import host, qemu, qemu_user  # noqa: F401  (importing registers the runners)
    kind = ALIASES.get(target.get("runner", ""), target.get("runner", ""))
    if kind not in RUNNERS:
        raise RnncError(f"target '{target.get('name')}' names runner '{kind}', which rnnc does not have "
                        f"(available: {', '.join(sorted(RUNNERS))})")
    return RUNNERS[kind](target)


class Runner:
    kind = ""
    testbench_io = "stdio"
    counts_instructions = False
    measures_footprint = False

    def __init__(self, target: dict):
        self.target = target

    # -- to provide ------------------------------------------------------------------------
    def compiler(self) -> str:
        raise NotImplementedError

    def base_flags(self) -> list[str]:
        """Flags of every C file built for this target (CPU, optimisation, rnnc's warnings)."""
        return [*self.target.get("cpu_flags", []), *self.target["cflags"], *WARNINGS]

    def link_flags(self, build_dir: Path) -> list[str]:
        return [*self.target.get("ldflags", []), *self.target.get("ldlibs", [])]

    def run(self, program: Path, workdir: Path, args: list[str] = (), timeout: float = 600,
            plugin: str | None = None) -> subprocess.CompletedProcess:
        raise NotImplementedError

    def emulation(self) -> str:
        """How programs are emulated where instructions are counted, for reports."""
        return ""

    def check_capacity(self, qm, batch: int, steps: int) -> None:
        """Refuse a testbench run the target cannot hold (nothing to check on the host)."""

    # -- shared ----------------------------------------------------------------------------
    def tool(self, name: str, hint: str = "") -> str:
        path = shutil.which(name)
        if path is None:
            raise RnncError(f"'{name}' is not installed{'; ' + hint if hint else ''}")
        return path

    def build_program(self, out_dir: Path, files: dict[str, bytes], c_files: list[str], *,
                      extra_flags: list[str] = (), name: str = "program", what: str = "C compilation",
                      include_dirs: list[str] = (".",)) -> Path:
        """Compile and link c_files (paths in the snapshot `files`) plus the external library
        sources the snapshot lists; cached in OUT's build folder."""
        cc = self.compiler()
        flags = [*self.base_flags(), *extra_flags]
        ents = external.entries(files, Path(out_dir))
        key = [self.kind, self.target["name"], cc, *flags, *external.key_parts(ents)]

        def commands(tmp: Path) -> list[list[str]]:
            cmds, objs = external.compile_commands(ents, cc, flags, tmp)
            inc = [f for d in include_dirs for f in ("-I", str(tmp / "src" / d))] + external.include_flags(ents)
            rest, cached = objcache.cached_objects(   # kernel files: compiled once per machine
                cc, [*flags, *external.include_flags(ents)], key, files, c_files, list(include_dirs), tmp,
                lambda cmd: build.run_checked(cmd, tmp, Path(out_dir), what))
            link = [cc, *flags, *inc, *[str(tmp / "src" / c) for c in rest], *cached, *objs,
                    "-o", str(tmp / name), *self.link_flags(tmp)]
            return cmds + [link]
        return build.cached_build(Path(out_dir), files, key, name, commands, what)

    def build_testbench(self, out_dir: Path, qm, *, trace: bool = False, sanitize: bool | None = None,
                        extra: list[str] | None = None) -> Path:
        """The generated testbench with the model, for `rnnc run` and `verify`."""
        from ..kernel_variants import build_defines
        files = build.snapshot(Path(out_dir), qm.files)
        c_files = build.model_sources(files) + build.support_sources(files) + [build.TESTBENCH]
        extra = list(extra or [])
        variant = [] if any(f.startswith("-DRNNC_KERNELS=") for f in extra) else build_defines(qm.kernels)
        flags = variant + (["-DRNNC_TRACE_ENABLE"] if trace else []) + extra
        return self.build_program(Path(out_dir), files, c_files, extra_flags=self.testbench_flags(sanitize) + flags,
                                  name="testbench", include_dirs=[".", "target"])

    def testbench_flags(self, sanitize: bool | None) -> list[str]:
        return []

    def run_testbench(self, program: Path, workdir: Path, trace: bool = False, plugin: str | None = None) -> None:
        """in.bin in workdir -> out.bin (and trace.bin)."""
        if self.testbench_io == "stdio":
            args = ["in.bin", "out.bin"] + (["trace.bin"] if trace else [])
        else:
            args = []
        self.run(program, workdir, args, plugin=plugin)


def sanitize_default(sanitize: bool | None) -> bool:
    if sanitize is None:
        return os.environ.get("RNNC_SANITIZE", "") not in ("", "0")
    return sanitize
