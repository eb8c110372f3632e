"""The quantized model (QIR): what the simulator runs and the emitter turns into C.

A QModel is the IR chain after a scheme has fixed every number: each QLayer carries its
integer (or float) parameters in `arrays` (already in the dtype the C code stores) and its
scalar parameters (multipliers, shifts, zero points, sizes) in `attrs`. The exact meaning
of the keys is owned by the (kind, scheme) quantizer that made the layer; the simulator and
the emitter registered for the same (kind, scheme) read them. `ir` keeps the float layer the
QLayer came from (for float simulation, SQNR and re-quantization).

The manifest (manifest.json + arrays.npz in the output folder) stores all of it, so
`rnnc sim` and `rnnc verify` work without the original model file.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, outdir
from .errors import RnncError
from .ir import Layer, QuantParams
from .serialize import from_doc, register, to_doc

#: C type of each activation dtype between layers.
C_TYPES = {"float32": "float", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t"}
NUMPY_TYPES = {"float32": np.float32, "int8": np.int8, "int16": np.int16, "int32": np.int32}


@register
@dataclass
class QLayer:
    name: str                 # sanitized identifier
    kind: str                 # 'lstm' | 'gru' | 'rnn' | 'dense' | 'activation' | 'embedding' | ...
    scheme: str               # 'float' | 'int8' | 'int16x8' | ...
    in_size: int
    out_size: int
    in_dtype: str             # 'float32' | 'int8' | 'int16' | 'int32'
    out_dtype: str
    causal: bool = True
    in_q: QuantParams | None = None
    out_q: QuantParams | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    ir: Layer | None = None
    report: dict[str, Any] = field(default_factory=dict)  # filled by the quantizer/report (SQNR...)

    @property
    def where(self) -> str:
        return f"layer '{self.name}' ({self.kind}, {self.scheme})"


@register
@dataclass
class QModel:
    name: str                 # C prefix
    source: str               # model file name
    sha256: str
    scheme: str               # the scheme asked for on the command line
    target: str
    input_size: int
    input_dtype: str
    output_size: int
    output_dtype: str
    layers: list[QLayer]
    input_q: QuantParams | None = None
    output_q: QuantParams | None = None
    input_kind: str = "float"
    flavour: str = "tflm"     # numerics flavour the integer kernels follow
    kernels: str = "auto"     # kernel variant: auto | portable | dsp | mve | cmsis-nn
    sequence_lens: np.ndarray | None = None
    max_steps: int = 256      # static sequence buffer length for non-causal models
    generator: str = f"rnnc {__version__}"
    options: dict[str, Any] = field(default_factory=dict)
    #: recurrent state the model takes and gives as tensors of its own (ir.StateTensor)
    state_io: list = field(default_factory=list)
    #: the fields of <prefix>_state_t in order: {"layer": index, "role": 'h'|'c', "dtype", "count"}
    state_fields: list = field(default_factory=list)
    #: {path: sha256} of the files compile wrote into the output folder (not serialised: the
    #: manifest lists them itself); empty for a model that was not saved
    files: dict[str, str] = field(default_factory=dict, metadata={"serialize": False})
    #: on an NPU target, where each run of layers executes ("layers 0..1: NPU"), set by the emitter
    npu_placement: list[str] = field(default_factory=list, metadata={"serialize": False})

    @property
    def causal(self) -> bool:
        return all(l.causal for l in self.layers)

    @property
    def last_step(self) -> bool:
        return any(l.kind == "last_step" for l in self.layers)

    def manifest_doc(self) -> tuple[dict, bytes]:
        """(JSON document, arrays.npz bytes): everything needed to rebuild this QModel."""
        arrays: dict[str, np.ndarray] = {}
        doc = to_doc(self, arrays, "m")
        buf = io.BytesIO()
        # np.savez is deterministic for the same arrays (zip entries carry a fixed date).
        np.savez(buf, **{k: arrays[k] for k in sorted(arrays)})
        return doc, buf.getvalue()

    def save(self, out_dir: Path, files: dict[str, str] | None = None, *, force: bool = False) -> None:
        """Write the generated files ({path: text}) and the manifest into out_dir (codegen/outdir.py)."""
        doc, npz = self.manifest_doc()
        data = {rel: text.encode() for rel, text in (files or {}).items()}
        data[outdir.ARRAYS] = npz
        self.files = outdir.write_output(Path(out_dir), data, doc, force=force)

    @staticmethod
    def load(out_dir: Path) -> "QModel":
        """Read and validate the manifest of a compiled folder (a tampered or torn one is refused)."""
        from .manifest_check import validate_qmodel
        out_dir = Path(out_dir)
        mpath = out_dir / outdir.MANIFEST
        doc, files, npz = outdir.read_manifest(out_dir)
        try:
            with np.load(io.BytesIO(npz), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
            raise RnncError(f"cannot read the arrays ({type(e).__name__})", file=str(out_dir / outdir.ARRAYS)) from None
        try:
            qm = from_doc(doc, arrays)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
            raise RnncError(f"the manifest does not describe a model ({type(e).__name__}: {str(e)[:80]})",
                            file=str(mpath)) from None
        if not isinstance(qm, QModel):
            raise RnncError("the manifest does not describe a model", file=str(mpath))
        validate_qmodel(qm, str(mpath))
        qm.files = files
        return qm
