"""The 'qemu-system' runner: a cross compiler (arm-none-eabi-gcc) and a board emulated by
qemu-system-arm. The testbench talks to the host through semihosting: QEMU runs in a folder
that holds in.bin, and the testbench writes out.bin (and trace.bin) there."""
from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import RnncError
from .runners import Runner, register

INSTALL_HINT = ("install it with: apt-get install --no-install-recommends gcc-arm-none-eabi "
                "libnewlib-arm-none-eabi qemu-system-arm (make setup does this when run as root)")


def _align8(n: int) -> int:
    return (n + 7) // 8 * 8


@register("qemu-system")
class QemuSystemRunner(Runner):
    testbench_io = "semihosting"
    counts_instructions = True
    measures_footprint = True

    def emulation(self) -> str:
        return f"QEMU {self.target['qemu_machine']}"

    def compiler(self) -> str:
        return self.tool(self.target["cc"], INSTALL_HINT)

    def link_flags(self, build_dir: Path) -> list[str]:
        return ["-T", str(build_dir / "src" / "target" / "link.ld"), *super().link_flags(build_dir)]

    def emulator(self) -> str:
        return self.tool(self.target.get("qemu", "qemu-system-arm"), INSTALL_HINT)

    def check_capacity(self, qm, batch: int, steps: int) -> None:
        import numpy as np
        from ..qmodel import NUMPY_TYPES
        arena = int(self.target.get("testbench_arena", 0))
        out_steps = 1 if qm.last_step else steps
        need = (_align8(4 * batch) + _align8(batch * steps * qm.input_size * np.dtype(NUMPY_TYPES[qm.input_dtype]).itemsize)
                + _align8(batch * out_steps * qm.output_size * np.dtype(NUMPY_TYPES[qm.output_dtype]).itemsize))
        if need > arena:
            raise RnncError(f"{batch} sequences of {steps} steps need {need} bytes of the {arena}-byte testbench "
                            f"memory on {self.target['name']}: run fewer or shorter sequences")

    def run(self, program: Path, workdir: Path, args=(), timeout: float = 600, plugin: str | None = None):
        cmd = [self.emulator(), "-M", self.target["qemu_machine"], "-nographic", "-monitor", "none",
               "-serial", "none", "-semihosting-config", "enable=on,target=native", "-kernel", str(program)]
        cmd += ["-plugin", plugin] if plugin else []
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=workdir)
        except subprocess.TimeoutExpired:
            raise RnncError(f"QEMU ({self.target['qemu_machine']}) did not finish within {timeout:.0f} s",
                            file=str(program)) from None
        if res.returncode != 0:
            tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-10:])
            why = "a fault (status 99)" if res.returncode == 99 else f"status {res.returncode}"
            raise RnncError(f"the program on {self.target['name']} ended with {why}:\n{tail}", file=str(program))
        return res
