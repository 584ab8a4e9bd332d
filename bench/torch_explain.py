#!/usr/bin/env python3
"""PyTorch's explanations of convscope's networks: the reference for convscope_core::explain.

Usage:
    python bench/torch_explain.py DIR

For DIR/lenet5.safetensors and DIR/fashion_resnet.safetensors (written by convscope; the
module built from the file's description by torch_net.py and loaded with
load_state_dict(strict=True)), on one seeded input in [0, 1] in eval mode, with autograd:
  - the saliency of the top class and of the top class minus the second
    (d(z_top - z_second)/dx),
  - Grad-CAM of the top class at each layer in GRAD_CAM_LAYERS (the layer's output and its
    gradient from a forward hook: weights = mean gradient per map, map = relu(sum)), and the
    map resized to the input by F.interpolate(mode="bilinear", align_corners=False),
  - the occlusion drops of the top class for an 8x8 patch of 0.5 moved 4 pixels a step
    (softmax probabilities),
and writes DIR/explain_reference.json, which crates/core/tests/suite/explain_torch.rs compares
with convscope's (within 1e-4).

Dependencies: torch, torch_net.py and torch_lenet.py (this directory).
"""

from __future__ import annotations

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore", message=r"Failed to initialize NumPy")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_lenet import read_safetensors  # noqa: E402
from torch_net import build_module  # noqa: E402

GRAD_CAM_LAYERS = {"lenet5": ["conv1", "conv2"], "fashion_resnet": ["conv1", "block1.conv2"]}
PATCH, STRIDE, FILL = 8, 4, 0.5


def flat(t: torch.Tensor) -> list[float]:
    return [float(v) for v in t.detach().flatten().tolist()]


def reference(path: str, name: str, seed: int) -> dict:
    tensors, meta = read_safetensors(path)
    description = json.loads(meta["network"])
    net = build_module(description)
    state = {k: (v.reshape(()) if v.dtype == torch.int64 else v) for k, v in tensors.items()}
    net.load_state_dict(state, strict=True)
    net.eval()
    h, w, c = description["input"]
    g = torch.Generator().manual_seed(seed)
    x = torch.rand((1, c, h, w), generator=g)
    with torch.no_grad():
        logits = net(x).reshape(-1)
    order = torch.argsort(logits, descending=True)
    top, second = int(order[0]), int(order[1])

    def input_gradient(weights: torch.Tensor) -> torch.Tensor:
        xi = x.clone().requires_grad_(True)
        (net(xi).reshape(-1) * weights).sum().backward()
        return xi.grad

    one_hot = torch.zeros_like(logits)
    one_hot[top] = 1.0
    versus = one_hot.clone()
    versus[second] = -1.0

    modules = dict(net.named_modules())
    cams = {}
    for layer in GRAD_CAM_LAYERS[name]:
        seen = {}

        def hook(_module, _inputs, output, seen=seen):
            output.retain_grad()
            seen["out"] = output

        handle = modules[layer].register_forward_hook(hook)
        (net(x).reshape(-1) * one_hot).sum().backward()
        handle.remove()
        a, grad = seen["out"][0], seen["out"].grad[0]
        alphas = grad.mean(dim=(1, 2))
        cam = torch.relu((alphas[:, None, None] * a).sum(dim=0))
        up = F.interpolate(cam[None, None], size=(h, w), mode="bilinear", align_corners=False)[0, 0]
        cams[layer] = {"dims": list(cam.shape), "weights": flat(alphas), "map": flat(cam), "on_input": flat(up)}

    with torch.no_grad():
        base = torch.softmax(net(x).reshape(-1), 0)[top]
        drops = []
        for y in range(0, h - PATCH + 1, STRIDE):
            for xx in range(0, w - PATCH + 1, STRIDE):
                covered = x.clone()
                covered[:, :, y : y + PATCH, xx : xx + PATCH] = FILL
                drops.append(float(base - torch.softmax(net(covered).reshape(-1), 0)[top]))

    return {
        "torch": torch.__version__,
        "input": flat(x),
        "logits": flat(logits),
        "top": top,
        "second": second,
        "saliency": flat(input_gradient(one_hot)),
        "versus": flat(input_gradient(versus)),
        "grad_cam": cams,
        "occlusion": {"patch": PATCH, "stride": STRIDE, "fill": FILL, "baseline": float(base), "drops": drops},
    }


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 1
    directory = sys.argv[1]
    refs = {}
    for i, name in enumerate(GRAD_CAM_LAYERS):
        refs[name] = reference(os.path.join(directory, f"{name}.safetensors"), name, seed=2000 + i)
        print(f"{name}: top class {refs[name]['top']}, Grad-CAM at {', '.join(GRAD_CAM_LAYERS[name])}")
    with open(os.path.join(directory, "explain_reference.json"), "w") as f:
        json.dump(refs, f, indent=None, separators=(",", ":"))
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
