"""The 'qemu-user' runner: a cross compiler for another Linux host ISA (Arm64:
aarch64-linux-gnu-gcc) and user-mode QEMU (qemu-aarch64) to run the statically linked
testbench on this machine. Files go through ordinary stdio (QEMU forwards the system calls);
instructions are counted with the same TCG plugin as on the emulated Cortex-M boards."""
from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import RnncError
from .runners import Runner, register

INSTALL_HINT = ("install it with: apt-get install --no-install-recommends gcc-aarch64-linux-gnu "
                "libc6-dev-arm64-cross qemu-user (make setup does this when run as root)")


@register("qemu-user")
class QemuUserRunner(Runner):
    testbench_io = "stdio"
    counts_instructions = True

    def emulation(self) -> str:
        return f"{self.target['qemu']} -cpu {self.target.get('qemu_cpu', 'max')}"

    def compiler(self) -> str:
        return self.tool(self.target["cc"], INSTALL_HINT)

    def link_flags(self, build_dir: Path) -> list[str]:
        return ["-static", *super().link_flags(build_dir)]

    def emulator(self) -> str:
        return self.tool(self.target["qemu"], INSTALL_HINT)

    def run(self, program: Path, workdir: Path, args=(), timeout: float = 600, plugin: str | None = None):
        cmd = [self.emulator(), "-cpu", self.target.get("qemu_cpu", "max")]
        cmd += ["-plugin", plugin] if plugin else []
        cmd += [str(program), *args]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=workdir)
        except subprocess.TimeoutExpired:
            raise RnncError(f"{Path(cmd[0]).name} did not finish within {timeout:.0f} s", file=str(program)) from None
        if res.returncode != 0:
            tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-10:])
            raise RnncError(f"the program on {self.target['name']} (user-mode QEMU) ended with status "
                            f"{res.returncode}:\n{tail}", file=str(program))
        return res
