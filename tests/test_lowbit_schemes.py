"""The low-bit schemes (int4 with residual tensors, binary-w{K}a8, ternary-a8, pruning): the
generated C equals the simulator bit for bit on the host (sanitized) and on the five emulated
Cortex-M cores, alone and mixed with int8 layers; the packed forms give exactly the levels the
simulator multiplies; settings that cannot apply are refused."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from codegen.api import compile_ir, run_compiled, verify_compiled
from codegen.errors import RnncError
from codegen.manifest_check import ManifestError
from codegen.qmodel import QModel
from codegen.quantize import quantize_model
from codegen.registry import lookup_emitter
from codegen.schemes import SCHEMES

from models import dense, model, recurrent

LOWBIT = sorted(n for n, s in SCHEMES.items() if s.family == "lowbit")
#: (scheme, settings): every coder, the residual tensor and pruning
CASES = [("int4", {}), ("int4", {"residual": "auto", "residual_threshold_db": 99.0}), ("int4", {"sparsity": 0.3}),
         ("binary-w1a8", {}), ("binary-w2a8", {"sparsity": 0.4}), ("binary-w3a8", {}), ("binary-w4a8", {}),
         ("ternary-a8", {}), ("ternary-a8", {"sparsity": 0.5}),
         ("binary-w1a1", {}), ("binary-w2a2", {"sparsity": 0.4}), ("binary-w3a3", {}), ("binary-w4a4", {}),
         ("ternary", {}), ("ternary", {"sparsity": 0.3})]
CORES = ["cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"]
ARM_MISSING = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]


def _model(kind: str = "all"):
    """Input 37 wide (a 32-bit code word and a tail; an odd count for the int4 nibbles), every
    recurrent kind (GRU both variants, a bidirectional layer) and a dense head; or one kind."""
    if kind != "all":
        return model([recurrent(kind, 37, 20, name="rec0"), recurrent(kind, 20, 9, "bidirectional", seed=5, name="rec1"),
                      dense(18, 4, name="head")], 37)
    return model([recurrent("lstm", 37, 20, name="lstm0"), recurrent("gru", 20, 9, "bidirectional", seed=5, name="gru1"),
                  recurrent("gru", 18, 11, lbr=True, seed=6, name="gru2"), recurrent("rnn", 11, 7, seed=7, name="rnn3"),
                  dense(7, 4, name="head")], 37)


def _data(seed=0, batch=5, steps=9):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, steps, 37)).astype(np.float32)


def test_every_lowbit_scheme_is_covered():
    assert {s for s, _ in CASES} == set(LOWBIT)


@pytest.mark.parametrize("scheme,settings", CASES, ids=[f"{s}-{'-'.join(o) or 'plain'}" for s, o in CASES])
def test_lowbit_layers_are_bit_exact_on_the_host(tmp_path, scheme, settings):
    compile_ir(_model(), str(tmp_path), scheme=scheme, calib=_data(), lowbit=dict(settings))
    for q in QModel.load(tmp_path).layers[:4]:
        coding = q.attrs["coding"]
        assert coding["residual"] == ("residual" in settings) and coding["sparsity"] == settings.get("sparsity", 0.0)
    res = verify_compiled(str(tmp_path), _data(1) * 1.5)
    assert res.ok, res.summary()


def test_lowbit_between_int8_layers(tmp_path):
    m = model([recurrent("lstm", 37, 16, name="first"), recurrent("gru", 16, 12, name="middle"),
               recurrent("lstm", 12, 8, name="last"), dense(8, 3, name="head")], 37)
    compile_ir(m, str(tmp_path), scheme="binary-w2a8", calib=_data(),
               layer_schemes={"first": "int8", "last": "int4", "head": "int8"})
    schemes = [q.scheme for q in QModel.load(tmp_path).layers]
    assert schemes == ["int8", "binary-w2a8", "int4", "int8"]
    res = verify_compiled(str(tmp_path), _data(2))
    assert res.ok, res.summary()


def test_lowbit_streaming_step_api_matches_whole_sequences(tmp_path):
    compile_ir(model([recurrent("lstm", 37, 24, name="l0"), dense(24, 2, name="d")], 37), str(tmp_path),
               scheme="int4", calib=_data(), lowbit={"residual": 1})
    x = _data(3, batch=2, steps=30)
    whole = run_compiled(str(tmp_path), x)
    np.testing.assert_array_equal(run_compiled(str(tmp_path), x, api="step"), whole)
    np.testing.assert_array_equal(run_compiled(str(tmp_path), x, chunk=7), whole)


def test_packed_weights_hold_exactly_the_simulated_levels():
    """Independent of the C: unpacking the emitted int4 bytes and bit-planes gives the levels."""
    from codegen.emit.lowbit_packing import interleave16, pack_bits_b16, pack_int4_b16x8
    from codegen.quant.lowbit import split_residual
    qm = quantize_model(_model("lstm"), "int4", _data(), options={"residual": "auto", "residual_threshold_db": 99.0})
    q = qm.layers[0]
    first, second = split_residual(q.arrays["w0"], q.arrays["wshift0"])

    def unpack(levels):   # (rows, 37) -> the kernel's bytes -> back: byte 4r + b, low col b, high col 4 + b
        b = pack_int4_b16x8(levels).astype(np.int64)                    # (row blocks, groups, 64)
        b = b.reshape(*b.shape[:2], 16, 4)                                # (blocks, groups, row, byte)
        u = np.concatenate([b & 0xF, b >> 4], -1)                         # (blocks, groups, row, col)
        return (u.transpose(0, 2, 1, 3).reshape(-1, b.shape[1] * 8) - 8)[:len(levels), :37]
    m = q.arrays["wshift0"].astype(np.int64).reshape(-1, 1)
    got = (unpack(first.reshape(-1, 37)) << m) + unpack(second.reshape(-1, 37))
    np.testing.assert_array_equal(got, q.arrays["w0"].reshape(-1, 37))

    qm = quantize_model(_model("gru"), "binary-w3a8", _data())
    q = qm.layers[0]
    planes, coef = q.arrays["wplanes0"], q.arrays["wcoef0"]          # (G, K, H, n), (G, H, K)
    H = planes.shape[2]
    for g in range(planes.shape[0]):
        blocks = pack_bits_b16(planes[g])                              # (blocks, K, words, 16)
        # row r = 16 b + l: word j of plane k at [b, k, j, l]; padding rows all clear
        words = blocks.transpose(0, 3, 1, 2).reshape(-1, *blocks.shape[1:3])   # (rows, K, words)
        bits = (words[..., None].astype(np.uint64) >> np.arange(32, dtype=np.uint64)) & 1
        codes = np.where(bits.reshape(*words.shape[:2], -1)[:, :, :37] == 1, 1, -1)
        assert not words[H:].any()
        c = interleave16(coef[g]).transpose(0, 2, 1).reshape(-1, coef.shape[2])   # (rows, K)
        np.testing.assert_array_equal(np.einsum("hk,hkn->hn", c[:H], codes[:H]), q.arrays["w0"][g])


def test_residual_n_goes_to_the_worst_layers():
    m = model([recurrent("lstm", 37, 16, name="a", scale=0.5), recurrent("lstm", 16, 16, name="b", seed=4, scale=2.0),
               dense(16, 2, name="d")], 37)
    from codegen.quant.lowbit import int4_sqnr_db
    worst = min(m.layers[:2], key=int4_sqnr_db).name
    qm = quantize_model(m, "int4", _data(), options={"residual": 1})
    assert [q.attrs["coding"]["residual"] for q in qm.layers[:2]] == [q.name == worst for q in qm.layers[:2]]


def test_lowbit_layers_are_never_handed_to_cmsis_nn():
    from codegen.emit.layers.glue_int import emit_dense_int
    from codegen.emit.layers.lowbit import emit_lstm_lowbit
    assert lookup_emitter("lstm", "int4", "cmsis-nn") is emit_lstm_lowbit
    assert lookup_emitter("dense", "int4", "cmsis-nn") is not emit_dense_int   # the library's dense


@pytest.mark.parametrize("settings,match", [
    ({"sparsity": 0.5}, "applies to the low-bit schemes"),
    ({"residual": "auto"}, "applies to the low-bit schemes"),
])
def test_lowbit_settings_without_a_lowbit_layer_are_refused(tmp_path, settings, match):
    with pytest.raises(RnncError, match=match):
        compile_ir(_model("lstm"), str(tmp_path), scheme="int8", calib=_data(), lowbit=settings)


@pytest.mark.parametrize("scheme,settings,match", [
    ("binary-w2a8", {"residual": 2}, "applies to int4 layers"),
    ("int4", {"sparsity": 1.0}, r"must be in \[0, 1\)"),
    ("int4", {"residual": "some"}, "'auto' or a number"),
])
def test_bad_lowbit_settings_are_refused(tmp_path, scheme, settings, match):
    with pytest.raises(RnncError, match=match):
        compile_ir(_model("lstm"), str(tmp_path), scheme=scheme, calib=_data(), lowbit=settings)


def test_a_manifest_whose_codes_disagree_with_its_levels_is_refused(tmp_path):
    from codegen.manifest_check import validate_qmodel
    compile_ir(_model("rnn"), str(tmp_path), scheme="binary-w2a8", calib=_data())
    qm = QModel.load(tmp_path)
    validate_qmodel(qm, "manifest.json")
    coef = qm.layers[0].arrays["wcoef0"].copy()
    coef[0, 0, 0] -= np.sign(coef[0, 0, 0])
    qm.layers[0].arrays["wcoef0"] = coef
    with pytest.raises(ManifestError, match="do not give the levels"):
        validate_qmodel(qm, "manifest.json")


@pytest.mark.skipif(bool(ARM_MISSING), reason=f"{' and '.join(ARM_MISSING)} NOT INSTALLED: low-bit Cortex-M "
                                              "tests skipped (make setup installs them when run as root)")
@pytest.mark.parametrize("core", CORES)
def test_lowbit_layers_are_bit_exact_on_cortex_m(tmp_path, core):
    """One model holds every low-bit kernel: int4 with a residual tensor, binary codes with
    pruning, ternary as binary planes (int8 inputs), binary weights and inputs (popcount)."""
    m = model([recurrent("gru", 37, 12, name="gru0"), recurrent("rnn", 12, 9, "bidirectional", name="rnn1"),
               recurrent("lstm", 18, 10, name="lstm2"), recurrent("gru", 10, 40, name="gru3"),
               dense(40, 3, name="head")], 37)
    compile_ir(m, str(tmp_path), scheme="int4", target=core, calib=_data(),
               layer_schemes={"rnn1": "binary-w2a8", "lstm2": "ternary-a8", "gru3": "binary-w2a2",
                              "head": "int8"},
               lowbit={"residual": "auto", "residual_threshold_db": 99.0, "sparsity": 0.3})
    res = verify_compiled(str(tmp_path), _data(4, batch=3, steps=8) * 1.5)
    assert res.ok, res.summary()


#: binary-kernel cases: (scheme, layer schemes, settings); rows past one 16-row block with a
#: tail, and inputs past the 31 (popcount) or 8 (table) words one partial count holds (1100
#: inputs: 35 words)
POPCOUNT_CASES = {"int4-residual": ("int4", {"gru1": "int8"}, {"residual": "auto", "residual_threshold_db": 99.0}),
                  "int4": ("int4", {}, {"sparsity": 0.3}),
                  "masked": ("binary-w2a2", {}, {"sparsity": 0.4}),
                  "masked-k1-k4": ("binary-w1a1", {"gru1": "binary-w4a4"}, {"sparsity": 0.4}),  # 1 and 4 input planes
                  "masked-k3": ("binary-w3a3", {}, {"sparsity": 0.4}),
                  "plain": ("binary-w3a3", {"gru1": "ternary"}, {}),
                  "a8-masked": ("binary-w2a8", {}, {"sparsity": 0.4}),      # the table kernel
                  "a8-plain": ("binary-w3a8", {"gru1": "ternary-a8"}, {})}
#: path -> (target, extra C flags, environment, the name <prefix>_kernel_path() reports); the
#: AVX-512 level counts with VPOPCNTD where the CPU has it, RNNC_X86_VPOPCNT=0 keeps the table
POPCOUNT_PATHS = {
    "x86-portable": ("host", [], {"RNNC_X86_PATH": "portable"}, "x86 portable (run-time)"),
    "x86-avx2": ("host", [], {"RNNC_X86_PATH": "avx2"}, "x86 avx2 (run-time)"),
    "x86-avx512": ("host", [], {"RNNC_X86_PATH": "avx512-vnni"}, "x86 avx512-vnni (run-time)"),
    "x86-avx512-table": ("host", [], {"RNNC_X86_PATH": "avx512-vnni", "RNNC_X86_VPOPCNT": "0"},
                         "x86 avx512-vnni (run-time)"),
    "x86-clang": ("host", [], {"CC": "clang", "RNNC_SANITIZE": "0"}, None),
    "aarch64-neon": ("aarch64", [], {}, "neon"),
    "aarch64-sdot": ("aarch64", ["-march=armv8.2-a+dotprod"], {}, "neon-sdot"),
    "aarch64-portable": ("aarch64", ["-DRNNC_KERNELS=RNNC_KERNELS_PORTABLE"], {}, "portable")}


def _popcount_path_skip(path: str) -> str | None:
    import platform
    from codegen.toolchain.kernel_path import cpu_flags, x86_levels
    target, _, env, _ = POPCOUNT_PATHS[path]
    if target == "aarch64":
        missing = [t for t in ("aarch64-linux-gnu-gcc", "qemu-aarch64") if shutil.which(t) is None]
        return f"{' and '.join(missing)} NOT INSTALLED: the Arm64 popcount path is NOT tested" if missing else None
    if platform.machine() not in ("x86_64", "AMD64"):
        return "NOT AN x86-64 MACHINE: the x86 popcount paths are NOT tested here"
    if env.get("CC") == "clang" and shutil.which("clang") is None:
        return "CLANG NOT INSTALLED: Clang's build of the popcount kernel's x86 paths is NOT tested"
    level = env.get("RNNC_X86_PATH", "portable")
    if level != "portable" and level not in x86_levels(cpu_flags() or set()):
        return f"THIS CPU CANNOT RUN THE x86 {level.upper()} PATH: the popcount kernel's path is NOT tested here"
    if path == "x86-avx512" and "avx512_vpopcntdq" not in (cpu_flags() or set()):
        return "THIS CPU HAS NO AVX512_VPOPCNTDQ: the popcount kernel's VPOPCNTD path is NOT tested here"
    return None


@pytest.fixture(scope="module")
def popcount_outputs(tmp_path_factory):
    """One compiled output per case and target (compiled once, built per path)."""
    root = tmp_path_factory.mktemp("popcount")
    rng = np.random.default_rng(7)
    calib = rng.standard_normal((6, 5, 1100)).astype(np.float32)
    m = model([recurrent("lstm", 1100, 37, name="lstm0"), recurrent("gru", 37, 20, seed=3, name="gru1"),
               dense(20, 3, name="head")], 1100)
    for case, (scheme, layer_schemes, settings) in POPCOUNT_CASES.items():
        for target in ("host", "aarch64"):
            compile_ir(m, str(root / f"{case}-{target}"), scheme=scheme, calib=calib, layer_schemes=layer_schemes,
                       lowbit=dict(settings), target=target)
    return root, calib[:3] * 1.5


#: paths that change only some kernels run only the cases of those (one per kernel elsewhere)
ONE_PER_KERNEL = ["int4-residual", "plain", "a8-plain"]
PATH_CASES = {"x86-avx512-table": ["masked", "plain"], "x86-clang": ONE_PER_KERNEL,
              "aarch64-sdot": ["int4-residual", "int4"], "aarch64-portable": ONE_PER_KERNEL}


@pytest.mark.parametrize("path,case", [(p, c) for p in POPCOUNT_PATHS for c in PATH_CASES.get(p, POPCOUNT_CASES)])
def test_popcount_kernel_paths_equal_the_simulator(popcount_outputs, monkeypatch, case, path):
    """Every vector path of rnnc_fc_s8_s16_wbab (AVX-512 with VPOPCNTD or the nibble table, AVX2,
    NEON) and rnnc_fc_s8_s16_wb (AVX-512 VPERMW), and the portable C of both."""
    why = _popcount_path_skip(path)
    if why:
        pytest.skip(why)
    target, flags, env, name = POPCOUNT_PATHS[path]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    root, x = popcount_outputs
    res = verify_compiled(str(root / f"{case}-{target}"), x, extra_cflags=flags)
    assert res.ok, res.summary()
    if name is not None:
        assert res.kernel_path == name


@pytest.mark.skipif(bool(ARM_MISSING), reason=f"{' and '.join(ARM_MISSING)} NOT INSTALLED: the Helium popcount "
                                              "path is NOT tested")
@pytest.mark.parametrize("kernels", ["auto", "portable"])
@pytest.mark.parametrize("scheme,gru_scheme,settings", [("binary-w3a3", "ternary", {}),
                                                        ("binary-w2a8", "ternary-a8", {"sparsity": 0.4}),
                                                        ("int4", "int4", {"residual": "auto",
                                                                          "residual_threshold_db": 99.0})])
def test_binary_kernels_on_cortex_m55_helium(tmp_path, kernels, scheme, gru_scheme, settings):
    """Helium: the popcount kernel counts 4 rows at once (SWAR), the table kernel gathers 4 rows'
    entries, the int4 kernel multiplies 4 rows x 8 columns; inputs over 2 words, rows past a
    block, with and without pruning, a residual tensor."""
    m = model([recurrent("lstm", 70, 22, name="lstm0"), recurrent("gru", 22, 18, seed=3, name="gru1"),
               dense(18, 3, name="head")], 70)
    rng = np.random.default_rng(3)
    calib = rng.standard_normal((5, 6, 70)).astype(np.float32)
    compile_ir(m, str(tmp_path), scheme=scheme, target="cortex-m55", calib=calib,
               layer_schemes={"gru1": gru_scheme, "head": "int8"}, kernels=kernels, lowbit=dict(settings))
    res = verify_compiled(str(tmp_path), calib[:2] * 1.5)
    assert res.ok, res.summary()
    assert res.kernel_path == ("mve" if kernels == "auto" else "portable")


def _property_case(tmp_path, kind, scheme, H, In, T, direction, sparsity, seed, target="host"):
    m = model([recurrent(kind, In, H, direction, seed=seed, lbr=seed % 2 == 1, name="rec"),
               dense(H * (2 if direction == "bidirectional" else 1), 2, name="head")], In)
    rng = np.random.default_rng(seed)
    calib = (rng.standard_normal((4, T, In)) * rng.uniform(0.2, 3)).astype(np.float32)
    settings = {"sparsity": sparsity} if sparsity else {}
    compile_ir(m, str(tmp_path), scheme=scheme, calib=calib, lowbit=settings, target=target)
    res = verify_compiled(str(tmp_path), calib[:2] * 1.7)
    assert res.ok, (kind, scheme, H, In, T, direction, sparsity, res.summary())


#: random models per property test (more with RNNC_PROPERTY_EXAMPLES=N, as for a deeper local run)
PROPERTY_EXAMPLES = int(os.environ.get("RNNC_PROPERTY_EXAMPLES", "6"))
_PROPERTY = dict(kind=st.sampled_from(["lstm", "gru", "rnn"]), scheme=st.sampled_from(LOWBIT),
                 H=st.integers(1, 40), In=st.integers(1, 80), T=st.integers(1, 5),
                 direction=st.sampled_from(["forward", "bidirectional"]), sparsity=st.sampled_from([0.0, 0.0, 0.5]),
                 seed=st.integers(0, 2 ** 16))


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**_PROPERTY)
def test_property_lowbit_layers_verify_on_the_host(tmp_path_factory, kind, scheme, H, In, T, direction, sparsity,
                                                    seed):
    """Random shapes (1 row, 1 input, rows and words with tails), every low-bit scheme."""
    _property_case(tmp_path_factory.mktemp("prop"), kind, scheme, H, In, T, direction, sparsity, seed)


@pytest.mark.skipif(bool(ARM_MISSING), reason=f"{' and '.join(ARM_MISSING)} NOT INSTALLED: low-bit property "
                                              "models are NOT tested on the Cortex-M55")
@settings(max_examples=max(1, PROPERTY_EXAMPLES * 2 // 3), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**_PROPERTY)
def test_property_lowbit_layers_verify_on_cortex_m55(tmp_path_factory, kind, scheme, H, In, T, direction, sparsity,
                                                      seed):
    """The same on the core whose Helium paths differ most from the host's."""
    _property_case(tmp_path_factory.mktemp("prop"), kind, scheme, H, In, T, direction, sparsity, seed,
                   target="cortex-m55")
