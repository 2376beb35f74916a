#!/usr/bin/python3
"""PyTorch reference for `ctc bench`: the same three networks (LeNets, LeNets++, ResNet-20), trained
the same way as ctc trains them (softmax + contrastive-center loss, lambda 1, delta 1, mean
reduction; SGD momentum 0.9 with weight decay on conv/dense kernels only; centers moved by their own
SGD step c <- c - alpha dL_ctc/dc, alpha 0.5), timed as median ms per training step after warm-up;
plus the contrastive-center loss forward+backward micro-benchmark. Prints one JSON object on stdout.

Usage: /usr/bin/python3 scripts/torch_reference.py [--nets lenets,lenetspp,resnet20] [--batch 128]
       [--steps 10] [--warmup 3] [--threads 2] [--formats contiguous,channels_last] [--no-loss]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LAMBDA, ALPHA, DELTA = 1.0, 0.5, 1.0
LOSS_CASES = [(128, 2, 10), (128, 512, 10), (128, 512, 100_000)]


class LeNets(nn.Module):
    """Caffe LeNet: conv 5x5/20 valid, pool 2/2, conv 5x5/50 valid, pool 2/2, dense 500 + ReLU, dense 10."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.ip1 = nn.Linear(4 * 4 * 50, 500)
        self.logits = nn.Linear(500, classes)

    def forward(self, x):
        h = F.max_pool2d(self.conv1(x), 2, 2)
        h = F.max_pool2d(self.conv2(h), 2, 2)
        features = F.relu(self.ip1(torch.flatten(h, 1)))
        return features, self.logits(features)


class LeNetsPP(nn.Module):
    """Wen et al.'s MNIST network: [conv 5x5 pad 2 + PReLU] x2 per stage (32, 64, 128), pools 2, 2, 3 (stride 2), dense 2 + PReLU, dense 10 without bias."""

    def __init__(self, classes=10, feature_dim=2):
        super().__init__()
        layers, cin = [], 1
        for stage, width in enumerate((32, 64, 128)):
            for _ in range(2):
                layers += [nn.Conv2d(cin, width, 5, padding=2), nn.PReLU(width, init=0.25)]
                cin = width
            layers.append(nn.MaxPool2d(3 if stage == 2 else 2, 2))
        self.body = nn.Sequential(*layers)
        self.ip1 = nn.Linear(128 * 3 * 3, feature_dim)
        self.prelu = nn.PReLU(feature_dim, init=0.25)
        self.logits = nn.Linear(feature_dim, classes, bias=False)

    def forward(self, x):
        features = self.prelu(self.ip1(torch.flatten(self.body(x), 1)))
        return features, self.logits(features)


class BasicBlock(nn.Module):
    """conv-BN-ReLU-conv-BN + option A shortcut (subsample, zero-padded channels), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.extra = cout - cin
        self.stride = stride

    def forward(self, x):
        r = F.relu(self.bn1(self.conv1(x)))
        r = self.bn2(self.conv2(r))
        shortcut = x
        if self.stride != 1 or self.extra:
            before = self.extra // 2
            shortcut = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, before, self.extra - before))
        return F.relu(r + shortcut)


class ResNet20(nn.Module):
    def __init__(self, classes=10, blocks=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16, eps=1e-5, momentum=0.1)
        layers, cin = [], 16
        for stage, width in enumerate((16, 32, 64)):
            for b in range(blocks):
                layers.append(BasicBlock(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*layers)
        self.logits = nn.Linear(64, classes)

    def forward(self, x):
        h = self.blocks(F.relu(self.bn1(self.conv1(x))))
        features = F.adaptive_avg_pool2d(h, 1).flatten(1)
        return features, self.logits(features)


NETS = {"lenets": (LeNets, (1, 28, 28), 5e-4), "lenetspp": (LeNetsPP, (1, 28, 28), 5e-4), "resnet20": (ResNet20, (3, 32, 32), 1e-4)}


def ctc_loss_matrix(features, labels, centers, delta=DELTA):
    """L_ctc = 1/m sum_i 1/2 A_i / B_i from the [m, k] squared-distance matrix (the direct PyTorch way)."""
    dist = (features.pow(2).sum(1, keepdim=True) + centers.pow(2).sum(1) - 2 * features @ centers.t()).clamp_min(0)
    own = (features - centers[labels]).pow(2).sum(1)  # A_i, exact
    other = (dist.sum(1) - dist.gather(1, labels[:, None]).squeeze(1)).clamp_min(0)
    return 0.5 * (own / (other + delta)).mean()


def ctc_loss_closed_form(features, labels, centers, delta=DELTA):
    """The same loss in O((m + k) d), as ctc computes it: sum_j ||x - c_j||^2 = k ||x - mu||^2 + sum_j ||c_j - mu||^2."""
    k = centers.shape[0]
    mu = centers.mean(0)
    all_dist = k * (features - mu).pow(2).sum(1) + (centers - mu).pow(2).sum()
    own = (features - centers[labels]).pow(2).sum(1)
    other = (all_dist - own).clamp_min(0)
    return 0.5 * (own / (other + delta)).mean()


def median_ms(fn, steps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), times


def bench_net(name, batch, steps, warmup, memory_format, device="cpu"):
    make, shape, weight_decay = NETS[name]
    torch.manual_seed(1)
    model = make().to(device=device, memory_format=memory_format)
    decay = [p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() > 1]
    rest = [p for n, p in model.named_parameters() if not (n.endswith("weight") and p.dim() > 1)]
    sgd = torch.optim.SGD([{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0}], lr=0.01, momentum=0.9)
    feature_dim = model.logits.in_features
    centers = ((torch.rand(10, feature_dim) * 2 - 1) * (3 / feature_dim) ** 0.5).to(device)
    centers.requires_grad_(True)
    x = torch.rand(batch, *shape).to(device).contiguous(memory_format=memory_format)
    y = (torch.arange(batch) % 10).to(device)

    def step():
        features, logits = model(x)
        aux = ctc_loss_matrix(features, y, centers)
        total = F.cross_entropy(logits, y) + LAMBDA * aux
        sgd.zero_grad(set_to_none=True)
        centers.grad = None
        total.backward()
        sgd.step()
        with torch.no_grad():  # centers.grad = lambda dL_ctc/dc: their own SGD step, not scaled by lambda
            centers.sub_((ALPHA / LAMBDA) * centers.grad)
        return total.item()  # one read per step, as ctc's trainStep does

    model.train()
    ms, times = median_ms(step, steps, warmup)
    return {"msPerStep": round(ms, 2), "imagesPerSecond": round(batch * 1000 / ms, 1), "times": [round(t, 2) for t in times]}


def bench_loss(m, d, k, steps, warmup, fn):
    torch.manual_seed(2)
    features = torch.randn(m, d, requires_grad=True)
    centers = ((torch.rand(k, d) * 2 - 1) * (3 / d) ** 0.5).requires_grad_(True)
    labels = torch.randint(0, k, (m,))

    def run():
        features.grad = None
        centers.grad = None
        fn(features, labels, centers).backward()
        return centers.grad[0, 0].item()

    ms, _ = median_ms(run, steps, warmup)
    return round(ms, 2)


def blas_library():
    """The BLAS shared library this process actually loaded (Debian's torch links the system libblas.so.3 alternative)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    try:
        with open("/proc/self/maps") as maps:
            libs = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and ".so" in line})
        return [os.path.realpath(lib) for lib in libs]
    except OSError:
        return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", default="lenets,lenetspp,resnet20")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--formats", default="contiguous,channels_last")
    parser.add_argument("--no-loss", action="store_true")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU check (scripts/gpu-check)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    formats = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}
    nets = {}
    for name in [n for n in args.nets.split(",") if n]:
        if name not in NETS:
            sys.exit(f"torch_reference.py: unknown net '{name}' (known: {', '.join(NETS)})")
        runs = {fmt: bench_net(name, args.batch, args.steps, args.warmup, formats[fmt], args.device) for fmt in args.formats.split(",")}
        best = min(runs, key=lambda fmt: runs[fmt]["msPerStep"])
        nets[name] = {**runs[best], "memoryFormat": best, "byFormat": {fmt: r["msPerStep"] for fmt, r in runs.items()}}
    loss = []
    if not args.no_loss:
        for m, d, k in LOSS_CASES:
            reps = max(3, args.steps // 2) if k > 10_000 else args.steps
            loss.append({
                "batch": m, "dim": d, "classes": k,
                "msMatrix": bench_loss(m, d, k, reps, 1, ctc_loss_matrix),
                "msClosedForm": bench_loss(m, d, k, reps, 1, ctc_loss_closed_form),
            })
    config = torch.__config__.show()
    out = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "device": args.device if args.device == "cpu" else f"{args.device} ({torch.cuda.get_device_name(0)})",
        "blas": next((part.split("=", 1)[1] for part in config.replace(",", " ").split() if part.startswith("BLAS_INFO=")), "unknown"),
        "blasLibrary": blas_library(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "batch": args.batch,
        "steps": args.steps,
        "warmup": args.warmup,
        "nets": nets,
        "loss": loss,
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
