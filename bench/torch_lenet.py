#!/usr/bin/env python3
"""The native PyTorch peer of the LeNet-5 benchmark (`cargo xtask bench`).

Usage:
    python bench/torch_lenet.py --data FILE.safetensors --threads N \
        [--runs 500] [--warmup 200] [--seconds 3] --json OUT.json

FILE is the fixture that `convscope-bench`'s `export` writes (safetensors):
    conv1.weight [6,1,5,5]  conv1.bias [6]   conv2.weight [16,6,5,5]  conv2.bias [16]
    fc1.weight [120,400]    fc1.bias [120]   fc2.weight [84,120]      fc2.bias [84]
    fc3.weight [10,84]      fc3.bias [10]                  (PyTorch state_dict layouts)
    check.input  F32 [1,1,28,28]   check.logits F32 [1,10]  (convscope's logits)
    train.images F32 [64,1,28,28]  train.labels I64 [64]

Before anything is timed, PyTorch's logits for check.input must equal check.logits
within 1e-4; if not, the differing logits are printed and the exit status is 2.
Any other failure (bad arguments, missing or malformed file, missing tensor, wrong
shape) exits with status 1.

Then, with torch.set_num_threads(N) and one inter-op thread:
  infer1   single-image latency: --warmup untimed runs, then --runs runs each timed
           alone (time.perf_counter_ns); median, p90 (nearest rank) and mean, in us.
  infer_batch batch-256 inference (random input, seed 0): 3 warm-up batches, then
           batches for about --seconds; images/s and the median batch, in ms.
  train64  training at batch 64 on train.images/train.labels: Adam(lr=1e-3),
           cross-entropy, model.train(), each step zero_grad/forward/backward/step;
           20 warm-up steps, then steps for about --seconds; images/s.
Throughput is images over the summed time of the timed batches, as in
crates/bench/src/measure.rs. Results go to --json and a summary to stdout.

Dependencies: Python 3.11 standard library and torch only (no numpy, no
safetensors package: the file is parsed here).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys
import time
import warnings

# torch warns on import when numpy is absent; this script does not use numpy.
warnings.filterwarnings("ignore", message=r"Failed to initialize NumPy")

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - depends on the environment
    print(f"torch_lenet: cannot import torch ({e}); run this with a Python that has torch", file=sys.stderr)
    sys.exit(1)

CHECK_TOLERANCE = 1e-4
INFER_BATCH = 256
INFER_WARMUP_BATCHES = 3
TRAIN_BATCH = 64
TRAIN_WARMUP_STEPS = 20
LEARNING_RATE = 1e-3

PARAM_SHAPES = {
    "conv1.weight": (6, 1, 5, 5),
    "conv1.bias": (6,),
    "conv2.weight": (16, 6, 5, 5),
    "conv2.bias": (16,),
    "fc1.weight": (120, 400),
    "fc1.bias": (120,),
    "fc2.weight": (84, 120),
    "fc2.bias": (84,),
    "fc3.weight": (10, 84),
    "fc3.bias": (10,),
}
# name -> (safetensors dtype, shape)
EXPECTED = {name: ("F32", shape) for name, shape in PARAM_SHAPES.items()}
EXPECTED.update(
    {
        "check.input": ("F32", (1, 1, 28, 28)),
        "check.logits": ("F32", (1, 10)),
        "train.images": ("F32", (TRAIN_BATCH, 1, 28, 28)),
        "train.labels": ("I64", (TRAIN_BATCH,)),
    }
)


class FixtureError(Exception):
    """A problem with the data file; the message names the file or tensor."""


# ---------------------------------------------------------------------------
# safetensors, by hand: u64 LE header length, JSON header, then the data bytes.
# Header: {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__"?: {str: str}},
# offsets relative to the first byte after the header; data little-endian, row-major.

DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "I16": (torch.int16, 2),
    "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1),
    "BOOL": (torch.bool, 1),
}

MAX_HEADER = 100 * 1024 * 1024


def read_safetensors(path: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All tensors of the safetensors file at `path` (as owned CPU tensors) and its metadata."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise FixtureError(f"{path}: no such file") from None
    except OSError as e:
        raise FixtureError(f"{path}: cannot read ({e.strerror or e})") from None
    if sys.byteorder != "little":
        raise FixtureError(f"{path}: reading safetensors (little-endian) on a big-endian host is not supported")
    if len(raw) < 8:
        raise FixtureError(f"{path}: not a safetensors file ({len(raw)} bytes, shorter than the 8-byte header length)")
    (header_len,) = struct.unpack_from("<Q", raw, 0)
    if header_len > MAX_HEADER or 8 + header_len > len(raw):
        raise FixtureError(
            f"{path}: not a safetensors file (header length {header_len} does not fit in {len(raw)} bytes)"
        )
    try:
        header = json.loads(raw[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FixtureError(f"{path}: not a safetensors file (header is not JSON: {e})") from None
    if not isinstance(header, dict):
        raise FixtureError(f"{path}: not a safetensors file (header is not a JSON object)")
    data = memoryview(raw)[8 + header_len :]

    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise FixtureError(f"{path}: __metadata__ is not a JSON object")

    tensors: dict[str, torch.Tensor] = {}
    for name, info in header.items():
        where = f"{path}: tensor {name!r}"
        if not isinstance(info, dict):
            raise FixtureError(f"{where}: header entry is not a JSON object")
        dtype_name = info.get("dtype")
        shape = info.get("shape")
        offsets = info.get("data_offsets")
        if dtype_name not in DTYPES:
            raise FixtureError(f"{where}: unsupported dtype {dtype_name!r} (supported: {', '.join(DTYPES)})")
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise FixtureError(f"{where}: bad shape {shape!r}")
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) for o in offsets)
            and 0 <= offsets[0] <= offsets[1] <= len(data)
        ):
            raise FixtureError(f"{where}: bad data_offsets {offsets!r} (data section is {len(data)} bytes)")
        dtype, itemsize = DTYPES[dtype_name]
        count = math.prod(shape)
        begin, end = offsets
        if end - begin != count * itemsize:
            raise FixtureError(
                f"{where}: {dtype_name} {shape} needs {count * itemsize} bytes, data_offsets give {end - begin}"
            )
        if count == 0:
            t = torch.empty(shape, dtype=dtype)
        else:
            # A fresh, aligned, writable copy of the bytes; the tensor owns it.
            buf = bytearray(data[begin:end])
            t = torch.frombuffer(buf, dtype=dtype, count=count).reshape(shape)
        tensors[name] = t
    return tensors, metadata


def load_fixture(path: str) -> dict[str, torch.Tensor]:
    """The tensors the benchmark needs, checked for presence, dtype and shape."""
    tensors, _meta = read_safetensors(path)
    missing = [n for n in EXPECTED if n not in tensors]
    if missing:
        raise FixtureError(f"{path}: missing tensor(s): {', '.join(missing)}")
    for name, (dtype_name, shape) in EXPECTED.items():
        t = tensors[name]
        want_dtype = DTYPES[dtype_name][0]
        if t.dtype != want_dtype:
            got = next((k for k, (d, _) in DTYPES.items() if d == t.dtype), str(t.dtype))
            raise FixtureError(f"{path}: tensor {name!r}: expected dtype {dtype_name}, got {got}")
        if tuple(t.shape) != shape:
            raise FixtureError(f"{path}: tensor {name!r}: expected shape {list(shape)}, got {list(t.shape)}")
    labels = tensors["train.labels"]
    if labels.min() < 0 or labels.max() > 9:
        raise FixtureError(
            f"{path}: tensor 'train.labels': labels must be in 0..9, got {labels.min().item()}..{labels.max().item()}"
        )
    return {n: tensors[n] for n in EXPECTED}


# ---------------------------------------------------------------------------


class LeNet(nn.Module):
    """LeNet-5 with ReLU and max pooling, as convscope builds it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def build_model(fixture: dict[str, torch.Tensor]) -> LeNet:
    model = LeNet()
    model.load_state_dict({n: fixture[n] for n in PARAM_SHAPES}, strict=True)
    return model


def quantile(sorted_values: list[float], q: float) -> float:
    """Nearest rank, as crates/bench/src/measure.rs."""
    n = len(sorted_values)
    i = min(max(math.ceil(q * n), 1), n) - 1
    return sorted_values[i]


def bench_infer1(model: LeNet, x: torch.Tensor, warmup: int, runs: int) -> dict:
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        samples = []
        clock = time.perf_counter_ns
        for _ in range(runs):
            t = clock()
            model(x)
            samples.append((clock() - t) / 1e3)
    samples.sort()
    return {
        "median_us": quantile(samples, 0.5),
        "p90_us": quantile(samples, 0.9),
        "mean_us": sum(samples) / len(samples),
        "runs": runs,
    }


def timed_batches(step, warmup: int, seconds: float) -> list[float]:
    """Runs `step` `warmup` times, then for about `seconds`; each timed run's seconds."""
    for _ in range(warmup):
        step()
    clock = time.perf_counter_ns
    budget = int(seconds * 1e9)
    times: list[int] = []
    started = clock()
    while not times or clock() - started < budget:
        t = clock()
        step()
        times.append(clock() - t)
    return [t / 1e9 for t in times]


def throughput(batch: int, times: list[float]) -> dict:
    times = sorted(times)
    return {
        "images_per_s": batch * len(times) / sum(times),
        "median_ms": quantile(times, 0.5) * 1e3,
        "batch": batch,
        "batches": len(times),
    }


def bench_infer256(model: LeNet, seconds: float) -> dict:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(INFER_BATCH, 1, 28, 28, generator=gen)
    with torch.inference_mode():
        times = timed_batches(lambda: model(x), INFER_WARMUP_BATCHES, seconds)
    return throughput(INFER_BATCH, times)


def bench_train64(model: LeNet, images: torch.Tensor, labels: torch.Tensor, seconds: float) -> dict:
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    losses: list[torch.Tensor] = []  # the first and the last step's loss

    def step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        opt.step()
        # Kept detached (no graph) and read after timing, not with .item() each step.
        if len(losses) < 2:
            losses.append(loss.detach())
        else:
            losses[1] = loss.detach()

    times = timed_batches(step, TRAIN_WARMUP_STEPS, seconds)
    out = throughput(TRAIN_BATCH, times)
    out["steps"] = len(times)
    out["first_loss"] = float(losses[0])
    out["last_loss"] = float(losses[-1])
    model.eval()
    return out


def cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 1, so that 2 means only "logits differ"
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = _Parser(
        prog="torch_lenet.py",
        description="PyTorch peer of convscope's LeNet-5 benchmark.",
        epilog="Exit status: 0 ok, 1 error, 2 PyTorch's check logits differ from convscope's by more than 1e-4.",
    )
    p.add_argument("--data", required=True, metavar="FILE.safetensors", help="fixture written by convscope-bench")
    p.add_argument("--threads", required=True, type=int, metavar="N", help="torch.set_num_threads(N)")
    p.add_argument("--runs", type=int, default=500, help="timed single-image runs (default 500)")
    p.add_argument("--warmup", type=int, default=200, help="untimed single-image runs first (default 200)")
    p.add_argument("--seconds", type=float, default=3.0, help="about how long each throughput test runs (default 3)")
    p.add_argument("--json", required=True, metavar="OUT.json", help="where to write the results")
    a = p.parse_args(argv)
    if a.threads < 1:
        p.error("--threads must be at least 1")
    if a.runs < 1:
        p.error("--runs must be at least 1")
    if a.warmup < 0:
        p.error("--warmup must be non-negative")
    if not (a.seconds > 0 and math.isfinite(a.seconds)):
        p.error("--seconds must be a positive number")
    return a


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
        interop = 1
    except RuntimeError:  # only allowed before any inter-op work has started
        interop = torch.get_num_interop_threads()

    try:
        fixture = load_fixture(args.data)
        model = build_model(fixture)
    except FixtureError as e:
        print(f"torch_lenet: {e}", file=sys.stderr)
        return 1
    except RuntimeError as e:  # load_state_dict
        print(f"torch_lenet: {args.data}: cannot load the weights into LeNet: {e}", file=sys.stderr)
        return 1
    model.eval()

    with torch.inference_mode():
        ours = model(fixture["check.input"])
    theirs = fixture["check.logits"]
    diff = (ours - theirs).abs()
    max_diff = float(diff.max())
    if not max_diff <= CHECK_TOLERANCE:  # also catches NaN
        print(
            f"torch_lenet: PyTorch's logits for check.input differ from check.logits "
            f"(convscope's) by up to {max_diff:.3g} > {CHECK_TOLERANCE:g}:",
            file=sys.stderr,
        )
        for i in range(ours.shape[1]):
            d = float(diff[0, i])
            if not d <= CHECK_TOLERANCE:
                print(
                    f"  logit {i}: pytorch {float(ours[0, i]):+.7g}  convscope {float(theirs[0, i]):+.7g}  |diff| {d:.3g}",
                    file=sys.stderr,
                )
        print("torch_lenet: not timing anything; no JSON written", file=sys.stderr)
        return 2

    load_before = load_average()
    if load_before is not None and load_before >= 0.5:
        print(
            f"torch_lenet: warning: 1-minute load average is {load_before:.2f} before timing; "
            f"with other work on the cores the figures (above all with --threads > 1) are unreliable",
            file=sys.stderr,
        )
    infer1 = bench_infer1(model, fixture["check.input"], args.warmup, args.runs)
    infer256 = bench_infer256(model, args.seconds)
    train64 = bench_train64(model, fixture["train.images"], fixture["train.labels"], args.seconds)

    cpu_backend = getattr(torch.backends, "cpu", None)
    isa = cpu_backend.get_cpu_capability() if hasattr(cpu_backend, "get_cpu_capability") else None
    result = {
        "engine": "pytorch",
        "version": torch.__version__,
        "threads": args.threads,
        "interop_threads": interop,
        "check_max_abs_diff": max_diff,
        "infer1": infer1,
        "infer_batch": infer256,
        "train64": train64,
        "isa": isa,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "cpu": cpu_model(),
        "load_average_before": load_before,
        "python": sys.version.split()[0],
    }
    try:
        out_dir = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(out_dir, exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
    except OSError as e:
        print(f"torch_lenet: cannot write {args.json}: {e}", file=sys.stderr)
        return 1

    print(
        f"pytorch {torch.__version__}  threads {args.threads}  isa {isa}  mkldnn {result['mkldnn']}  "
        f"check max|diff| {max_diff:.2e}"
    )
    print(f"  infer1    median {infer1['median_us']:9.1f} us   p90 {infer1['p90_us']:9.1f} us   ({infer1['runs']} runs)")
    print(
        f"  infer256  {infer256['images_per_s']:9.0f} images/s   median {infer256['median_ms']:.2f} ms/batch"
        f"   ({infer256['batches']} batches)"
    )
    print(
        f"  train64   {train64['images_per_s']:9.0f} images/s   median {train64['median_ms']:.2f} ms/step"
        f"   ({train64['steps']} steps, loss {train64['first_loss']:.3f} -> {train64['last_loss']:.3f})"
    )
    print(f"  -> {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
