"""Train the bundled example model: a streaming speaker classifier on Japanese Vowels.

Data: the UCI/UEA JapaneseVowels set (9 speakers uttering /ae/, 12 LPC cepstrum
coefficients per frame) as shipped, equal-length, inside the `aeon` wheel (BSD-3-Clause),
fetched with `pip download --no-deps aeon`. The model is ours: LSTM(32) + Linear(9) that
emits speaker logits at EVERY frame (trained with the label on every step), so firmware can
stream frames through `<prefix>_step()` and read a running decision.

Writes examples/japanese_vowels/{model.onnx, calib.npy, test_x.npy, test_y.npy, README.md}.
Rerun (needs PyTorch CPU: `pip install torch==2.13.0 onnx`):
    python tools/make_example_model.py --out examples/japanese_vowels
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

DATA = "aeon/datasets/data/JapaneseVowels/JapaneseVowels_eq_{}.ts"


def load_split(wheel: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    text = zipfile.ZipFile(wheel).read(DATA.format(split)).decode()
    rows = text.split("@data", 1)[1].strip().splitlines()
    xs, ys = [], []
    for row in rows:
        *dims, label = row.strip().split(":")
        xs.append(np.array([[float(v) for v in d.split(",")] for d in dims], np.float32).T)
        ys.append(int(label) - 1)
    return np.stack(xs), np.array(ys, np.int64)


def fetch_wheel(cache: Path) -> Path:
    found = sorted(cache.glob("aeon-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), "aeon"],
                       check=True)
        found = sorted(cache.glob("aeon-*.whl"))
    return found[-1]


def main() -> None:
    import torch
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="examples/japanese_vowels")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "rnnc-data"))
    a = ap.parse_args()
    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    wheel = fetch_wheel(cache)
    xtr, ytr = load_split(wheel, "TRAIN")
    xte, yte = load_split(wheel, "TEST")
    mean, std = xtr.mean(axis=(0, 1)), xtr.std(axis=(0, 1))
    xtr, xte = (xtr - mean) / std, (xte - mean) / std  # normalisation is part of the data prep

    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(12, 32, batch_first=True)
            self.head = torch.nn.Linear(32, 9)

        def forward(self, x):
            y, _ = self.lstm(x)
            return self.head(y)

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    X, Y = torch.from_numpy(xtr), torch.from_numpy(ytr)
    for epoch in range(120):
        opt.zero_grad()
        logits = net(X)
        # every step predicts the speaker; later steps weigh more (they have seen more audio)
        w = torch.linspace(0.2, 1.0, logits.shape[1])
        loss = (torch.nn.functional.cross_entropy(
            logits.permute(0, 2, 1), Y[:, None].expand(-1, logits.shape[1]), reduction="none") * w).mean()
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (net(torch.from_numpy(xte))[:, -1].argmax(-1).numpy() == yte).mean()
    print(f"float test accuracy at the last frame: {acc:.3f}")

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(net, (torch.from_numpy(xte[:1]),), str(out / "model.onnx"), input_names=["frames"],
                      output_names=["logits"], dynamic_axes={"frames": {0: "batch", 1: "time"},
                                                             "logits": {0: "batch", 1: "time"}},
                      opset_version=17, dynamo=False)
    np.save(out / "calib.npy", xtr[:64].astype(np.float32))
    np.save(out / "test_x.npy", xte.astype(np.float32))
    np.save(out / "test_y.npy", yte.astype(np.int64))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
