"""rnnc: a quantizing RNN-to-C compiler for microcontrollers, x86 and NPUs."""
__version__ = "0.1.0"
