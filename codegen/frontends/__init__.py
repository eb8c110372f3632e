"""Frontends: read a model file and lower it into the float IR (codegen.ir)."""
from __future__ import annotations

from pathlib import Path

from ..errors import RnncError


def load_model(path: str):
    """Load .onnx or .tflite into an ir.Model, or raise RnncError naming the file."""
    p = Path(path)
    if p.is_dir():
        raise RnncError("is a folder, not a model file", file=str(path))
    if not p.is_file():
        raise RnncError("model file not found", file=str(path))
    suffix = p.suffix.lower()
    if suffix == ".onnx":
        from .onnx_frontend import load_onnx
        return load_onnx(str(path))
    if suffix == ".tflite":
        from .tflite_frontend import load_tflite
        return load_tflite(str(path))
    raise RnncError(f"unknown model format '{suffix or p.name}' (expected .onnx or .tflite)", file=str(path))
