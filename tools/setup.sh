#!/usr/bin/env bash
# Set up rnnc from nothing on a Debian-like machine that has only Python and gcc:
# a venv in .venv with the package (editable) and the test tools. Debian packages that are
# missing (python3-venv, clang, make) are installed when running as root.
set -euo pipefail
PY=${1:-python3}
VENV=${2:-.venv}

apt_install() {
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing Debian packages: $*"
        if [ ! -f /tmp/.rnnc-apt-updated ]; then
            apt-get update -qq && touch /tmp/.rnnc-apt-updated
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    else
        echo "setup: note: $* missing and not root; install them to use everything" >&2
    fi
}

if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv
fi
command -v clang >/dev/null 2>&1 || apt_install clang || true
# Cortex-M cross compiler and the QEMU boards that emulate the cores
if ! command -v arm-none-eabi-gcc >/dev/null 2>&1 || ! command -v qemu-system-arm >/dev/null 2>&1; then
    apt_install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm || true
fi
# Arm64 Linux (target aarch64) and x86 paths this CPU lacks run under user-mode QEMU
if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || ! command -v qemu-aarch64 >/dev/null 2>&1; then
    apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user || true
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
# quantization-aware training (the train extra): PyTorch's CPU build, asked for by version so
# that pip takes it and not a multi-GB CUDA build; where it is not available, the newest torch
if ! "$VENV/bin/python" -c 'import torch' >/dev/null 2>&1; then
    "$VENV/bin/python" -m pip install -q 'torch==2.13.0' || echo "setup: note: torch 2.13.0 (CPU) not found; the train extra installs the newest torch" >&2
fi
"$VENV/bin/python" -m pip install -q -e '.[test,train]'
# Ethos-U (the npu extra): Arm's Vela; where it does not install, the NPU tests skip and say so
"$VENV/bin/python" -m pip install -q -e '.[npu]' || echo "setup: note: ethos-u-vela did not install; Ethos-U targets and tests are unavailable" >&2
"$VENV/bin/python" -c 'import codegen, numpy, onnx, jinja2; print("setup: rnnc", codegen.__version__, "ready in '"$VENV"'")'
