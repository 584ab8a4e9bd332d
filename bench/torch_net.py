#!/usr/bin/env python3
"""PyTorch's side of convscope's weights files: the module a description describes.

Usage:
    python bench/torch_net.py DIR

For every DIR/NAME.safetensors (written by convscope: tensors under PyTorch state_dict
names, the network description as JSON in the metadata key "network"), this script
  1. builds the equivalent torch.nn module from the description alone (build_module),
  2. loads the file's tensors with load_state_dict(strict=True) (every tensor present,
     none extra, same shapes),
  3. runs a seeded input batch through it in eval mode, then, for networks without
     dropout, in train mode (batch statistics) and records batch norm's running statistics
     after that one training-mode forward,
and writes everything to DIR/torch_reference.json, which convscope's test
crates/core/tests/suite/torch_equivalence.rs compares with its own outputs (within 1e-4).

Description (convscope-core's arch::Architecture in serde JSON): {"name", "title",
"input": [h, w, c], "layers": [{"name", "op": {"kind": ..., ...}}]} with kinds conv,
max_pool, avg_pool, sum_pool, local_response_norm, activation, batch_norm,
adaptive_avg_pool, flatten, linear (input flattened implicitly), dropout and residual
({"block", "main": [...], "shortcut": [...]}: relu(main(x) + shortcut(x)), an empty
shortcut being the identity). Layer names become module names; a dotted name
("downsample.0") nests, as torchvision's.

Dependencies: torch and this directory's torch_lenet.py (its safetensors reader).
"""

from __future__ import annotations

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore", message=r"Failed to initialize NumPy")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_lenet import FixtureError, read_safetensors  # noqa: E402

BATCH = 4


class Container(nn.Module):
    """A holder for named children (dotted names nest, as torchvision's `downsample.0`)."""


def register(parent: nn.Module, name: str, module: nn.Module) -> None:
    *path, leaf = name.split(".")
    for part in path:
        if not hasattr(parent, part) or not isinstance(getattr(parent, part), nn.Module):
            parent.add_module(part, Container())
        parent = getattr(parent, part)
    parent.add_module(leaf, module)


def out_size(n: int, k: int, s: int, p: int, d: int = 1) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def build_layer(op: dict, volume, flat: bool):
    h, w, c = volume
    kind = op["kind"]
    if kind == "conv":
        k, f, s, p, d = op["out_channels"], op["kernel"], op["stride"], op["padding"], op["dilation"]
        g = op.get("groups", 1)
        m = nn.Conv2d(c, k, f, stride=s, padding=p, dilation=d, groups=g, bias=op["bias"])
        return m, (out_size(h, f, s, p, d), out_size(w, f, s, p, d), k), False
    if kind in ("max_pool", "avg_pool", "sum_pool"):
        f, s, p = op["kernel"], op["stride"], op["padding"]
        if kind == "max_pool":
            m = nn.MaxPool2d(f, s, p)
        elif kind == "avg_pool":
            m = nn.AvgPool2d(f, s, p, count_include_pad=True)
        else:
            m = nn.AvgPool2d(f, s, p, count_include_pad=True, divisor_override=1)
        return m, (out_size(h, f, s, p), out_size(w, f, s, p), c), False
    if kind == "local_response_norm":
        return nn.LocalResponseNorm(op["size"]), volume, flat
    if kind == "activation":
        fn = op["function"]
        if fn.startswith("leaky_relu"):
            slope = float(fn.split(":", 1)[1]) if ":" in fn else 0.01
            m = nn.LeakyReLU(slope)
        else:
            m = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}[fn]()
        return m, volume, flat
    if kind == "batch_norm":
        m = nn.BatchNorm1d(c) if flat else nn.BatchNorm2d(c)
        return m, volume, flat
    if kind == "adaptive_avg_pool":
        return nn.AdaptiveAvgPool2d((op["h"], op["w"])), (op["h"], op["w"], c), False
    if kind == "flatten":
        return nn.Flatten(), (1, 1, h * w * c), True
    if kind == "linear":
        m = nn.Linear(h * w * c, op["out_features"], bias=op["bias"])
        if not flat:
            m = FlattenFirst(m)
        return m, (1, 1, op["out_features"]), True
    if kind == "dropout":
        return nn.Dropout(op["p"]), volume, flat
    if kind == "residual":
        block = Block(op["main"], op["shortcut"], volume)
        return block, block.output, False
    raise FixtureError(f"unknown layer kind {kind!r}")


class FlattenFirst(nn.Linear):
    """nn.Linear that flattens its input first (parameters stay `weight`, `bias`)."""

    def __init__(self, linear: nn.Linear):
        super().__init__(linear.in_features, linear.out_features, bias=linear.bias is not None)

    def forward(self, x):
        return super().forward(torch.flatten(x, 1))


class Block(nn.Module):
    """A residual block: relu(main(x) + shortcut(x)); children named as the layers."""

    def __init__(self, main: list[dict], shortcut: list[dict], volume):
        super().__init__()
        self.main_steps = build_steps_list(self, main, volume)
        self.short_steps = build_steps_list(self, shortcut, volume)
        self.output = self.main_steps[1]

    def forward(self, x):
        a = x
        for m in self.main_steps[0]:
            a = m(a)
        b = x
        for m in self.short_steps[0]:
            b = m(b)
        return torch.relu(a + b)


def build_steps_list(owner: nn.Module, layers: list[dict], volume):
    steps = []
    flat = False
    for layer in layers:
        module, volume, flat = build_layer(layer["op"], volume, flat)
        register(owner, layer["name"], module)
        steps.append(module)
    # Plain Python list: the modules are registered by name above, not under "steps".
    return steps, volume


def build_module(description: dict) -> nn.Module:
    h, w, c = description["input"]
    root = nn.Module()
    steps, _ = build_steps_list(root, description["layers"], (h, w, c))

    class Net(nn.Module):
        def forward(self, x):
            for m in steps:
                x = m(x)
            return x

    net = Net()
    for name, child in root.named_children():
        net.add_module(name, child)
    return net


def has_dropout(layers: list[dict]) -> bool:
    for layer in layers:
        op = layer["op"]
        if op["kind"] == "dropout" and op["p"] > 0:
            return True
        if op["kind"] == "residual" and (has_dropout(op["main"]) or has_dropout(op["shortcut"])):
            return True
    return False


def reference(path: str, seed: int) -> dict:
    tensors, meta = read_safetensors(path)
    if "network" not in meta:
        raise FixtureError(f"{path}: no 'network' description in the metadata")
    description = json.loads(meta["network"])
    net = build_module(description)
    # strict=True: every tensor of the module in the file, nothing else, same shapes.
    state = {k: (v.reshape(()) if v.dtype == torch.int64 else v) for k, v in tensors.items()}
    net.load_state_dict(state, strict=True)
    h, w, c = description["input"]
    g = torch.Generator().manual_seed(seed)
    x = torch.rand((BATCH, c, h, w), generator=g) * 2 - 1
    net.eval()
    with torch.no_grad():
        eval_out = net(x).reshape(BATCH, -1)
    out = {
        "torch": torch.__version__,
        "batch": BATCH,
        "input": [float(v) for v in x.flatten().tolist()],
        "eval": [float(v) for v in eval_out.flatten().tolist()],
    }
    if not has_dropout(description["layers"]):
        net.train()
        with torch.no_grad():
            train_out = net(x).reshape(BATCH, -1)
        out["train"] = [float(v) for v in train_out.flatten().tolist()]
        out["running"] = {
            k: [float(t) for t in v.flatten().tolist()]
            for k, v in net.state_dict().items()
            if k.endswith("running_mean") or k.endswith("running_var")
        }
    return out


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 1
    directory = sys.argv[1]
    names = sorted(f[: -len(".safetensors")] for f in os.listdir(directory) if f.endswith(".safetensors"))
    if not names:
        print(f"torch_net: no .safetensors files in {directory}", file=sys.stderr)
        return 1
    refs = {}
    for i, name in enumerate(names):
        try:
            refs[name] = reference(os.path.join(directory, f"{name}.safetensors"), seed=1000 + i)
        except (FixtureError, RuntimeError, KeyError) as e:
            print(f"torch_net: {name}: {e}", file=sys.stderr)
            return 1
        print(f"{name}: {len(refs[name]['eval'])} outputs" + (", train mode too" if "train" in refs[name] else ""))
    with open(os.path.join(directory, "torch_reference.json"), "w") as f:
        json.dump(refs, f, indent=None, separators=(",", ":"))
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
