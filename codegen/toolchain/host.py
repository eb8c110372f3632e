"""The 'host' runner: the machine rnnc runs on, with its C compiler (target.toml's cc, or CC
from the environment) and the target's cflags; programs run natively, or under the command in
RNNC_HOST_EMULATOR (e.g. "qemu-x86_64 -cpu max", to run the AVX2 kernel path on a CPU that
lacks it)."""
from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from ..errors import RnncError
from .runners import SANITIZERS, Runner, register, sanitize_default


def find_cc(cc: str | None = None) -> str:
    import shutil
    cc = os.environ.get("CC") or cc or "cc"
    if shutil.which(cc) is None:
        raise RnncError(f"C compiler '{cc}' not found; install gcc (apt-get install gcc) or set CC")
    return cc


@register("host")
class HostRunner(Runner):
    testbench_io = "stdio"

    def compiler(self) -> str:
        return find_cc(self.target.get("cc"))

    def testbench_flags(self, sanitize: bool | None) -> list[str]:
        return list(SANITIZERS) if sanitize_default(sanitize) else []

    def run(self, program: Path, workdir: Path, args=(), timeout: float = 600, plugin=None):
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        emulator = shlex.split(os.environ.get("RNNC_HOST_EMULATOR", ""))
        try:
            res = subprocess.run([*emulator, str(program), *args], capture_output=True, text=True, timeout=timeout,
                                 env=env, cwd=workdir)
        except subprocess.TimeoutExpired:
            raise RnncError(f"the program did not finish within {timeout:.0f} s", file=str(program)) from None
        if res.returncode != 0 or "runtime error" in res.stderr:
            tail = "\n".join(res.stderr.strip().splitlines()[-15:])
            raise RnncError(f"the program failed (exit {res.returncode}):\n{tail}", file=str(program))
        return res
