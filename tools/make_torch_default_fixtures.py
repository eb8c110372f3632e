"""Export PyTorch RNN models with torch.onnx.export's default exporter (dynamo=True, the default
since torch 2.9) as frontend fixtures (tests/fixtures/onnx_dynamo/): weights in `<model>.onnx.data`
beside each model, as the exporter saves them.

The tests only read the committed files and compare against onnxruntime at test time; PyTorch
is needed only to regenerate them:
    pip install torch==2.13.0 onnx onnxscript
    python tools/make_torch_default_fixtures.py --out tests/fixtures/onnx_dynamo
Cases: 2-layer batch-first LSTM with dropout and a head on every step (dynamic batch and time);
bidirectional time-major GRU with a softmax head on the last step (static shapes); LSTM with
static batch 1 and T = 20; GRU + sigmoid (dynamic); streaming models whose state is a graph
input and output (LSTM x, h, c -> y, hn, cn; 2-layer GRU x, h -> y, hn; LSTM on a (T, F) input
without a batch axis); nn.RNN with relu, a streaming 2-layer nn.RNN (x, h -> y, hn) and a
bidirectional nn.RNN, which the exporter unrolls over time (the frontend re-rolls them); and
one the frontend refuses by name: Conv1d + GRU. `--only NAME ...` writes just those cases.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    import torch
    from torch import nn
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures/onnx_dynamo")
    ap.add_argument("--only", nargs="*", help="write only these cases")
    opts = ap.parse_args()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    B, T = torch.export.Dim("batch"), torch.export.Dim("time")

    class LSTM2(nn.Module):        # batch-first, 2 layers, dropout (eval: none), head on every step
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(6, 10, num_layers=2, batch_first=True, dropout=0.1)
            self.fc = nn.Linear(10, 4)

        def forward(self, x):
            return self.fc(self.rnn(x)[0])

    class BiGRULast(nn.Module):    # time-major, bidirectional, softmax head on the last step
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(5, 8, bidirectional=True)
            self.fc = nn.Linear(16, 3)

        def forward(self, x):
            return torch.softmax(self.fc(self.rnn(x)[0][-1]), dim=-1)

    class LSTMSigmoid(nn.Module):  # batch-first, sigmoid head on every step
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(6, 12, batch_first=True)
            self.fc = nn.Linear(12, 2)

        def forward(self, x):
            return torch.sigmoid(self.fc(self.rnn(x)[0]))

    class GRUSigmoid(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(6, 9, batch_first=True)
            self.fc = nn.Linear(9, 1)

        def forward(self, x):
            return torch.sigmoid(self.fc(self.rnn(x)[0]))

    class StreamLSTM(nn.Module):   # x, h, c -> y, hn, cn
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(6, 12, batch_first=True)
            self.fc = nn.Linear(12, 2)

        def forward(self, x, h, c):
            y, (hn, cn) = self.rnn(x, (h, c))
            return self.fc(y), hn, cn

    class StreamGRU2(nn.Module):   # x, h -> y, hn with a 2-layer stack
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(6, 10, num_layers=2, batch_first=True)
            self.fc = nn.Linear(10, 2)

        def forward(self, x, h):
            y, hn = self.rnn(x, h)
            return torch.sigmoid(self.fc(y)), hn

    class StreamLSTM2D(nn.Module):  # (T, F) without a batch axis, state (1, 1, H)
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(6, 12)
            self.fc = nn.Linear(12, 2)

        def forward(self, x, h, c):
            y, (hn, cn) = self.rnn(x[:, None, :], (h, c))
            return self.fc(y[:, 0]), hn, cn

    class StreamRNN2(nn.Module):   # x, h -> y, hn; nn.RNN unrolled at T = 5, re-rolled by rnnc
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(6, 10, num_layers=2, batch_first=True)
            self.fc = nn.Linear(10, 2)

        def forward(self, x, h):
            y, hn = self.rnn(x, h)
            return self.fc(y), hn

    class BiRNN(nn.Module):        # both directions unrolled; rnnc re-rolls them into one layer
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(4, 5, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(10, 2)

        def forward(self, x):
            return self.fc(self.rnn(x)[0])

    class ReluRNN(nn.Module):      # the exporter unrolls nn.RNN over time; rnnc re-rolls it
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(4, 7, nonlinearity="relu", batch_first=True)
            self.fc = nn.Linear(7, 2)

        def forward(self, x):
            return torch.sigmoid(self.fc(self.rnn(x)[0]))

    class ConvGRU(nn.Module):      # refused: a convolution front end
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(4, 6, 3, padding=1)
            self.rnn = nn.GRU(6, 8, batch_first=True)
            self.fc = nn.Linear(8, 2)

        def forward(self, x):
            return self.fc(self.rnn(self.conv(x.transpose(1, 2)).transpose(1, 2))[0])

    def zeros(*shape):   # a tensor of its own per state input (the exporter merges identical ones)
        return torch.zeros(*shape)
    cases = [
        ("lstm2_bf", LSTM2(), (torch.randn(2, 7, 6),), ({0: B, 1: T},), ["x"], ["y"]),
        ("bigru_last", BiGRULast(), (torch.randn(7, 2, 5),), None, ["x"], ["y"]),
        ("lstm_b1_t20", LSTMSigmoid(), (torch.randn(1, 20, 6),), None, ["x"], ["y"]),
        ("gru_sigmoid", GRUSigmoid(), (torch.randn(2, 7, 6),), ({0: B, 1: T},), ["x"], ["y"]),
        ("stream_lstm", StreamLSTM(), (torch.randn(2, 5, 6), zeros(1, 2, 12), zeros(1, 2, 12)),
         ({0: B, 1: T}, {1: B}, {1: B}),
         ["x", "h", "c"], ["y", "hn", "cn"]),
        ("stream_gru2", StreamGRU2(), (torch.randn(2, 5, 6), zeros(2, 2, 10)), ({0: B, 1: T}, {1: B}),
         ["x", "h"], ["y", "hn"]),
        ("stream_lstm_2d", StreamLSTM2D(), (torch.randn(5, 6), zeros(1, 1, 12), zeros(1, 1, 12)), None,
         ["x", "h", "c"], ["y", "hn", "cn"]),
        ("rnn_relu", ReluRNN(), (torch.randn(2, 9, 4),), None, ["x"], ["y"]),
        ("conv_gru", ConvGRU(), (torch.randn(2, 9, 4),), None, ["x"], ["y"]),
        ("birnn", BiRNN(), (torch.randn(1, 6, 4),), None, ["x"], ["y"]),
        ("stream_rnn2", StreamRNN2(), (torch.randn(2, 5, 6), zeros(2, 2, 10)), None, ["x", "h"], ["y", "hn"]),
    ]
    for name, model, args, dyn, ins, outs in cases:
        if opts.only and name not in opts.only:
            continue
        model.eval()
        path = out / f"{name}.onnx"
        torch.onnx.export(model, args, str(path), dynamo=True, dynamic_shapes=dyn, input_names=ins,
                          output_names=outs)
        print("wrote", path)


if __name__ == "__main__":
    main()
