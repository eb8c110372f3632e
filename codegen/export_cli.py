"""`rnnc export-tflite`: write a compiled int8 / int16x8 model as a .tflite file
(codegen/tflite_export, docs/tflite-export.md)."""
from __future__ import annotations


def add_export_parser(sub) -> None:
    from .cli import _int_in
    from .tflite_export import MAX_STEPS
    e = sub.add_parser("export-tflite", help="write a compiled int8/int16x8 model as a .tflite file")
    e.add_argument("out", help="folder made by 'rnnc compile'")
    e.add_argument("-o", "--output", required=True, metavar="MODEL.tflite")
    e.add_argument("--steps", type=_int_in(1, MAX_STEPS, "--steps"), required=True,
                   help="time steps per Invoke (the file has fixed shapes, batch 1); 1 makes a streaming model "
                        "whose LSTM state the interpreter carries from one Invoke to the next")
    e.add_argument("--float-io", action="store_true",
                   help="float32 input and output through QUANTIZE / DEQUANTIZE (default: the model's integers)")
    e.set_defaults(fn=cmd_export_tflite)


def cmd_export_tflite(a) -> int:
    from .tflite_export import export_tflite
    size = export_tflite(a.out, a.output, a.steps, a.float_io)
    print(f"wrote {a.output} ({size} bytes, batch 1, {a.steps} step{'s' if a.steps > 1 else ''} per Invoke)")
    return 0
