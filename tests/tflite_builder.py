"""Build one-op int8/int16 .tflite models with the flatbuffer bindings of the `tflite` package,
and run them in the live tflite-micro interpreter: independent references for kernel tests."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

from codegen import ir

_TFL_INT8, _TFL_INT16, _TFL_INT32, _TFL_INT64 = 9, 7, 2, 4
_FUSED = {"none": 0, "relu": 1, "relu6": 3}


def _fb(name):
    return importlib.import_module(f"tflite.{name}")


def _tflite_one_op(opcode: int, tensors: list[dict], inputs: list[int], outputs: list[int],
                   options_type: int, options) -> bytes:
    """A one-subgraph, one-operator TFLite flatbuffer. tensors: dicts with shape, type,
    scale, zero_point, optional data (bytes of a constant)."""
    import flatbuffers
    M, SG, T, OP, OC, QP, BUF = (_fb(n) for n in ("Model", "SubGraph", "Tensor", "Operator",
                                                  "OperatorCode", "QuantizationParameters", "Buffer"))
    b = flatbuffers.Builder(4096)

    def ints(start, vals):
        start(b, len(vals))
        for v in reversed(vals):
            b.PrependInt32(int(v))
        return b.EndVector()

    def offsets(start, vals):
        start(b, len(vals))
        for v in reversed(vals):
            b.PrependUOffsetTRelative(v)
        return b.EndVector()

    datas = [None] + [t["data"] for t in tensors if t.get("data") is not None]
    buffers = []
    for d in datas:
        vec = b.CreateByteVector(d) if d is not None else None
        BUF.BufferStart(b)
        if vec is not None:
            BUF.BufferAddData(b, vec)
        buffers.append(BUF.BufferEnd(b))
    tens, next_buf = [], 1
    for i, t in enumerate(tensors):
        scales = [float(v) for v in np.atleast_1d(np.asarray(t["scale"], np.float32))]
        zps = [int(v) for v in np.atleast_1d(t["zero_point"])]
        QP.QuantizationParametersStartScaleVector(b, len(scales))
        for v in reversed(scales):
            b.PrependFloat32(v)
        sv = b.EndVector()
        QP.QuantizationParametersStartZeroPointVector(b, len(zps))
        for v in reversed(zps):
            b.PrependInt64(v)
        zv = b.EndVector()
        QP.QuantizationParametersStart(b)
        QP.QuantizationParametersAddScale(b, sv)
        QP.QuantizationParametersAddZeroPoint(b, zv)
        QP.QuantizationParametersAddQuantizedDimension(b, 0)
        q = QP.QuantizationParametersEnd(b)
        name = b.CreateString(f"t{i}")
        shape = ints(T.TensorStartShapeVector, t["shape"])
        T.TensorStart(b)
        T.TensorAddShape(b, shape)
        T.TensorAddType(b, t["type"])
        if t.get("data") is not None:
            T.TensorAddBuffer(b, next_buf)
            next_buf += 1
        else:
            T.TensorAddBuffer(b, 0)
        T.TensorAddName(b, name)
        T.TensorAddQuantization(b, q)
        tens.append(T.TensorEnd(b))
    opts = options(b)
    op_in, op_out = ints(OP.OperatorStartInputsVector, inputs), ints(OP.OperatorStartOutputsVector, outputs)
    OP.OperatorStart(b)
    OP.OperatorAddOpcodeIndex(b, 0)
    OP.OperatorAddInputs(b, op_in)
    OP.OperatorAddOutputs(b, op_out)
    OP.OperatorAddBuiltinOptionsType(b, options_type)
    OP.OperatorAddBuiltinOptions(b, opts)
    op = OP.OperatorEnd(b)
    tv = offsets(SG.SubGraphStartTensorsVector, tens)
    sg_in = ints(SG.SubGraphStartInputsVector, [inputs[0]])
    sg_out = ints(SG.SubGraphStartOutputsVector, outputs)
    opv = offsets(SG.SubGraphStartOperatorsVector, [op])
    SG.SubGraphStart(b)
    SG.SubGraphAddTensors(b, tv)
    SG.SubGraphAddInputs(b, sg_in)
    SG.SubGraphAddOutputs(b, sg_out)
    SG.SubGraphAddOperators(b, opv)
    sg = SG.SubGraphEnd(b)
    OC.OperatorCodeStart(b)
    OC.OperatorCodeAddDeprecatedBuiltinCode(b, min(opcode, 127))
    OC.OperatorCodeAddBuiltinCode(b, opcode)
    OC.OperatorCodeAddVersion(b, 1)
    oc = OC.OperatorCodeEnd(b)
    ocv = offsets(M.ModelStartOperatorCodesVector, [oc])
    sgv = offsets(M.ModelStartSubgraphsVector, [sg])
    bv = offsets(M.ModelStartBuffersVector, buffers)
    M.ModelStart(b)
    M.ModelAddVersion(b, 3)
    M.ModelAddOperatorCodes(b, ocv)
    M.ModelAddSubgraphs(b, sgv)
    M.ModelAddBuffers(b, bv)
    b.Finish(M.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def fc_tflite(W, bias, in_q, w_scale, out_q, act="none", rows=8) -> bytes:
    """One FULLY_CONNECTED: input (rows, in) -> output (rows, out); in_q/out_q are QuantParams,
    w_scale a float (per tensor) or an array (per channel); int64 bias for int16 activations."""
    FCO = _fb("FullyConnectedOptions")
    act_type = _TFL_INT8 if in_q.dtype == "int8" else _TFL_INT16
    b_type, b_np = (_TFL_INT32, np.int32) if in_q.dtype == "int8" else (_TFL_INT64, np.int64)
    ws = np.atleast_1d(np.asarray(w_scale, np.float32))
    tensors = [dict(shape=[rows, W.shape[1]], type=act_type, scale=in_q.scale, zero_point=in_q.zero_point),
               dict(shape=list(W.shape), type=_TFL_INT8, scale=ws, zero_point=[0] * ws.size,
                    data=W.astype(np.int8).tobytes()),
               dict(shape=[W.shape[0]], type=b_type, scale=np.float32(in_q.scale) * ws, zero_point=[0] * ws.size,
                    data=np.asarray(bias).astype(b_np).tobytes()),
               dict(shape=[rows, W.shape[0]], type=act_type, scale=out_q.scale, zero_point=out_q.zero_point)]

    def options(b):
        FCO.FullyConnectedOptionsStart(b)
        FCO.FullyConnectedOptionsAddFusedActivationFunction(b, _FUSED[act])
        return FCO.FullyConnectedOptionsEnd(b)
    return _tflite_one_op(9, tensors, [0, 1, 2], [3], 8, options)


def run_tflm(data: bytes, x: np.ndarray) -> np.ndarray:
    runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime",
                                  reason="tflite-micro is not installed")
    interp = runtime.Interpreter.from_bytes(data, arena_size=16 * len(data) + 8 * x.nbytes + (64 << 10))
    interp.set_input(x, 0)
    interp.invoke()
    return interp.get_output(0).copy()


