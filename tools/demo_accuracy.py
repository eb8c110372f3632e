"""Print the last-frame accuracy of the example classifier from saved outputs.

usage: demo_accuracy.py LABELS.npy NAME=OUTPUT.npy [NAME=OUTPUT.npy ...]
"""
import sys

import numpy as np

labels = np.load(sys.argv[1])
for arg in sys.argv[2:]:
    name, path = arg.split("=", 1)
    y = np.load(path)
    acc = float((y[:, -1].argmax(-1) == labels).mean())
    print(f"  {name:<28} last-frame accuracy {acc:.3f} ({y.dtype}, {y.shape[0]} sequences)")
