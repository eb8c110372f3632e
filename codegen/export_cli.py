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
    e.add_argument("--check", type=_int_in(1, 10000, "--check"), metavar="N",
                   help="run N random sequences through the interpreter the model's numerics follow (tflite-micro, "
                        "or ai-edge-litert for --numerics litert) and the simulator; exit 1 if any element differs")
    e.set_defaults(fn=cmd_export_tflite)


def cmd_export_tflite(a) -> int:
    from pathlib import Path

    from .qmodel import QModel
    from .tflite_export import export_tflite
    from .tflite_export.check import check_export
    size = export_tflite(a.out, a.output, a.steps, a.float_io)
    print(f"wrote {a.output} ({size} bytes, batch 1, {a.steps} step{'s' if a.steps > 1 else ''} per Invoke)")
    if a.check:
        bad, total, name = check_export(QModel.load(a.out), Path(a.output).read_bytes(), a.steps, a.check)
        print(f"{name} vs the simulator on {a.check} random sequences: "
              + ("every element equal" if bad == 0 else f"{bad} of {total} elements differ"))
        return 1 if bad else 0
    return 0
