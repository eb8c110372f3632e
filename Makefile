# rnnc - top-level tasks. Every target sets itself up from nothing (make setup).
#   make demo   compile a bundled example model for the host, run it, verify it, inspect it
#   make test   the whole test suite (parallel)
#   make bench  benchmarks (not part of the tests); make bench-accuracy the accuracy tables
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
JOBS ?= auto

.PHONY: setup demo test bench bench-accuracy clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml tools/setup.sh
	bash tools/setup.sh "$(PY)" "$(VENV)"
	touch $@

EXAMPLE := examples/japanese_vowels
DEMO := build/demo

demo: setup
	@echo "== compile the example LSTM speaker classifier to int8 C (and float C for comparison)"
	$(BIN)/rnnc compile $(EXAMPLE)/model.onnx -o $(DEMO)/int8 --scheme int8 --calib $(EXAMPLE)/calib.npy --prefix vowels
	$(BIN)/rnnc compile $(EXAMPLE)/model.onnx -o $(DEMO)/float --scheme float --prefix vowels
	@echo "== run the generated C on the 370 test utterances and verify it bit for bit against the simulator"
	$(BIN)/rnnc run $(DEMO)/int8 --input $(EXAMPLE)/test_x.npy --output $(DEMO)/int8_y.npy
	$(BIN)/rnnc run $(DEMO)/float --input $(EXAMPLE)/test_x.npy --output $(DEMO)/float_y.npy
	$(BIN)/rnnc verify $(DEMO)/int8 --input $(EXAMPLE)/test_x.npy
	@echo "== accuracy of the generated C"
	$(BIN)/python tools/demo_accuracy.py $(EXAMPLE)/test_y.npy "float C=$(DEMO)/float_y.npy" "int8 C=$(DEMO)/int8_y.npy"
	@echo "== the same model as a .tflite, run by TensorFlow Lite Micro: bit for bit the simulator's numbers"
	$(BIN)/rnnc export-tflite $(DEMO)/int8 -o $(DEMO)/vowels.tflite --steps 16 --check 8
	@echo "== per-layer report"
	$(BIN)/rnnc inspect $(DEMO)/int8

test: setup
	$(BIN)/python -m pytest -n $(JOBS) --durations=15 codegen tests

bench: setup
	$(BIN)/python benchmarks/run_all.py --cflags="-O2"
	$(BIN)/python benchmarks/run_all.py --cflags="-O3 -march=native"
	$(BIN)/python benchmarks/cortex_m.py
	$(BIN)/python benchmarks/aarch64.py
	$(BIN)/python benchmarks/npu.py --write
	$(BIN)/python benchmarks/compile_time.py
	$(BIN)/python benchmarks/lowbit.py --write
	@echo "== accuracy tables (post-training and quantization-aware training): make bench-accuracy"

# post-training and quantization-aware training accuracy of every scheme (long: trains each)
bench-accuracy: setup
	$(BIN)/python benchmarks/accuracy.py --write --qat

clean:
	rm -rf build .pytest_cache
