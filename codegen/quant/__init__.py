"""Quantization schemes. One module per (layer kind, scheme family), all behind the registry.

`quantize_model` walks the IR chain: it runs the float model on the calibration data
(statistics per layer), then asks the registered quantizer of each layer for a QLayer,
passing along the quantization of the previous layer's output.
"""
