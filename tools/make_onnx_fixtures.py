"""Export small PyTorch RNN models to ONNX as frontend fixtures (tests/fixtures/onnx/).

The tests only read the committed .onnx files and compare against onnxruntime at test time;
PyTorch is needed only to regenerate them:
    pip install torch==2.13.0 onnx onnxscript
    python tools/make_onnx_fixtures.py --out tests/fixtures/onnx
Cases: stacked bidirectional LSTM (batch_first), time-major GRU on Y[-1] + softmax,
embedding + LSTM, GRU on x[:, -1], 2-layer LSTM on h_n[-1], bidirectional 2-layer GRU on
cat(h_n[-2], h_n[-1]), time-major 2-layer relu RNN.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    import torch
    from torch import nn
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures/onnx")
    out = Path(ap.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    class BiLSTM(nn.Module):          # batch_first, 2 layers, bidirectional, linear head per step
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(6, 10, num_layers=2, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(20, 4)

        def forward(self, x):
            return self.fc(self.rnn(x)[0])

    class GRULast(nn.Module):         # time-major GRU, classifier on the last step
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(5, 12)
            self.fc = nn.Linear(12, 3)

        def forward(self, x):
            return torch.softmax(self.fc(self.rnn(x)[0][-1]), dim=-1)

    class EmbedLSTM(nn.Module):       # token ids -> embedding -> LSTM -> logits per step
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(40, 8)
            self.rnn = nn.LSTM(8, 16, batch_first=True)
            self.fc = nn.Linear(16, 40)

        def forward(self, ids):
            return self.fc(self.rnn(self.emb(ids))[0])

    class GRUStepLast(nn.Module):     # batch_first GRU, classifier on x[:, -1]
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(5, 12, batch_first=True)
            self.fc = nn.Linear(12, 3)

        def forward(self, x):
            return self.fc(self.rnn(x)[0][:, -1])

    class LSTMFinalState(nn.Module):  # 2 layers, classifier on the last layer's h_n[-1]
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(6, 8, num_layers=2, batch_first=True)
            self.fc = nn.Linear(8, 3)

        def forward(self, x):
            return self.fc(self.rnn(x)[1][0][-1])

    class BiGRUFinalState(nn.Module):  # bidirectional, 2 layers, cat(h_n[-2], h_n[-1])
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(6, 8, num_layers=2, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(16, 3)

        def forward(self, x):
            h = self.rnn(x)[1]
            return torch.relu(self.fc(torch.cat((h[-2], h[-1]), dim=1)))

    class ReluRNN(nn.Module):         # time-major Elman RNN with relu, 2 layers
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(4, 6, num_layers=2, nonlinearity="relu")
            self.fc = nn.Linear(6, 2)

        def forward(self, x):
            return torch.sigmoid(self.fc(self.rnn(x)[0]))

    bt, tb = {0: "batch", 1: "time"}, {0: "time", 1: "batch"}
    cases = [("torch_bilstm2.onnx", BiLSTM(), torch.randn(2, 7, 6), bt),
             ("torch_gru_last.onnx", GRULast(), torch.randn(7, 2, 5), tb),
             ("torch_embed_lstm.onnx", EmbedLSTM(), torch.randint(0, 40, (2, 7)), bt),
             ("torch_gru_step_last.onnx", GRUStepLast(), torch.randn(2, 7, 5), bt),
             ("torch_lstm2_hn.onnx", LSTMFinalState(), torch.randn(2, 7, 6), bt),
             ("torch_bigru2_hn_cat.onnx", BiGRUFinalState(), torch.randn(2, 7, 6), bt),
             ("torch_rnn_relu2.onnx", ReluRNN(), torch.randn(7, 2, 4), tb)]
    for name, model, x, axes in cases:
        model.eval()
        torch.onnx.export(model, (x,), str(out / name), input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": axes}, opset_version=17, dynamo=False)
        print("wrote", out / name)


if __name__ == "__main__":
    main()
