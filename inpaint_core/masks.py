"""Hole masks: generators that take an rng (in the manner of LaMa's mask classes), and
conversion from an image editor's brush layers.

Every generator is a small frozen dataclass; calling it with ``(shape, rng)`` returns a
``bool`` mask (True = hole). :func:`generate_mask` looks one up by preset name and seeds it.
Sizes scale with the image, so a preset means the same thing at 64 px and at 512 px.

References: Pathak et al. 2016 (centre region, random blocks, random shapes),
Suvorov et al. 2022, LaMa, https://doi.org/10.1109/WACV51458.2022.00323 (thin / medium /
thick free-form strokes).
"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

Shape = tuple[int, int]


def hole_percent(mask: np.ndarray) -> float:
    """Share of the image inside the hole, in percent."""
    mask = np.asarray(mask, dtype=bool)
    return 100.0 * float(mask.mean()) if mask.size else 0.0


def _ensure_not_empty(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if not mask.any():  # tiny images: make sure every preset yields a hole
        h, w = mask.shape
        mask[rng.integers(h), rng.integers(w)] = True
    return mask


@dataclasses.dataclass(frozen=True)
class CentreSquare:
    """Pathak's centre region: a square in the middle covering ``area`` of the image."""

    area: float = 0.25

    def __call__(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        side_h = max(1, round(h * math.sqrt(self.area)))
        side_w = max(1, round(w * math.sqrt(self.area)))
        mask = np.zeros(shape, bool)
        top, left = (h - side_h) // 2, (w - side_w) // 2
        mask[top : top + side_h, left : left + side_w] = True
        return mask


@dataclasses.dataclass(frozen=True)
class RandomBlocks:
    """Pathak's random blocks: axis-aligned rectangles until about ``area`` is covered."""

    area: float = 0.25
    min_size: float = 0.05  # of the short side
    max_size: float = 0.25

    def __call__(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        short = min(h, w)
        mask = np.zeros(shape, bool)
        for _ in range(500):
            if mask.mean() >= self.area:
                break
            bh = max(1, int(rng.uniform(self.min_size, self.max_size) * short))
            bw = max(1, int(rng.uniform(self.min_size, self.max_size) * short))
            top, left = rng.integers(0, max(1, h - bh + 1)), rng.integers(0, max(1, w - bw + 1))
            mask[top : top + bh, left : left + bw] = True
        return _ensure_not_empty(mask, rng)


def _blob(shape: Shape, centre: tuple[float, float], radius: float, rng: np.random.Generator, roughness: float) -> np.ndarray:
    """A random star-shaped smooth polygon (sum of a few low-frequency harmonics)."""
    n = 48
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k in range(2, 6):
        r += roughness / k * rng.uniform(-1, 1) * np.cos(k * angles + rng.uniform(0, 2 * np.pi))
    r = np.clip(r, 0.35, None) * radius
    pts = np.stack([centre[1] + r * np.cos(angles), centre[0] + r * np.sin(angles)], axis=1)
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


@dataclasses.dataclass(frozen=True)
class RandomShapes:
    """Random irregular shapes (Pathak's "random region" masks, drawn rather than taken from PASCAL)."""

    count: tuple[int, int] = (2, 5)
    radius: tuple[float, float] = (0.06, 0.16)  # of the short side

    def __call__(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        mask = np.zeros(shape, bool)
        for _ in range(int(rng.integers(self.count[0], self.count[1] + 1))):
            rad = rng.uniform(*self.radius) * min(h, w)
            centre = (rng.uniform(0.1, 0.9) * h, rng.uniform(0.1, 0.9) * w)
            mask |= _blob(shape, centre, rad, rng, roughness=0.6)
        return _ensure_not_empty(mask, rng)


@dataclasses.dataclass(frozen=True)
class ObjectBlob:
    """One object-sized blob (object removal), about ``area`` of the image."""

    area: float = 0.15

    def __call__(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        radius = math.sqrt(self.area * h * w / math.pi)
        centre = (rng.uniform(0.35, 0.65) * h, rng.uniform(0.35, 0.65) * w)
        return _ensure_not_empty(_blob(shape, centre, radius, rng, roughness=0.35), rng)


@dataclasses.dataclass(frozen=True)
class FreeFormStrokes:
    """LaMa-style free-form brush strokes: random polylines of random width."""

    strokes: tuple[int, int] = (1, 4)
    vertices: tuple[int, int] = (4, 10)
    width: tuple[float, float] = (0.03, 0.08)  # of the short side
    length: float = 0.25  # step length, of the short side

    def __call__(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        short = min(h, w)
        mask = np.zeros(shape, np.uint8)
        for _ in range(int(rng.integers(self.strokes[0], self.strokes[1] + 1))):
            y, x = rng.uniform(0, h), rng.uniform(0, w)
            width = max(1, int(rng.uniform(*self.width) * short))
            angle = rng.uniform(0, 2 * np.pi)
            for _ in range(int(rng.integers(self.vertices[0], self.vertices[1] + 1))):
                angle += rng.uniform(-1.2, 1.2)
                step = rng.uniform(0.3, 1.0) * self.length * short
                ny = float(np.clip(y + step * np.sin(angle), 0, h - 1))
                nx = float(np.clip(x + step * np.cos(angle), 0, w - 1))
                cv2.line(mask, (int(x), int(y)), (int(nx), int(ny)), 1, width)
                cv2.circle(mask, (int(nx), int(ny)), width // 2, 1, -1)
                y, x = ny, nx
        return _ensure_not_empty(mask.astype(bool), rng)


@dataclasses.dataclass(frozen=True)
class Scratches:
    """Thin scratches on an old photo: a few long, gently curved 1-3 px lines."""

    count: tuple[int, int] = (3, 8)

    def __call__(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        h, w = shape
        mask = np.zeros(shape, np.uint8)
        for _ in range(int(rng.integers(self.count[0], self.count[1] + 1))):
            p0 = rng.uniform(0, 1, 2) * (w, h)
            p2 = rng.uniform(0, 1, 2) * (w, h)
            p1 = (p0 + p2) / 2 + rng.normal(0, 0.1, 2) * (w, h)
            t = np.linspace(0, 1, 64)[:, None]
            pts = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2
            thickness = int(rng.integers(1, 4)) if min(h, w) >= 64 else 1
            cv2.polylines(mask, [np.round(pts).astype(np.int32)], False, 1, thickness)
        return _ensure_not_empty(mask.astype(bool), rng)


@dataclasses.dataclass(frozen=True)
class RandomPixels:
    """Scattered pixel loss: each pixel is missing with probability ``percent`` / 100."""

    percent: float = 80.0

    def __call__(self, shape: Shape, rng: np.random.Generator) -> np.ndarray:
        mask = rng.random(shape) < self.percent / 100.0
        return _ensure_not_empty(mask, rng)


# Presets: name -> (title, generator). The UI, CLI, gallery and training use these names.
MASK_PRESETS: dict[str, tuple[str, object]] = {
    "centre": ("Centre square (25 %)", CentreSquare(0.25)),
    "blocks": ("Random blocks", RandomBlocks()),
    "shapes": ("Random shapes", RandomShapes()),
    "thin": ("Free-form strokes, thin", FreeFormStrokes(width=(0.015, 0.035), strokes=(2, 5))),
    "medium": ("Free-form strokes, medium", FreeFormStrokes(width=(0.04, 0.08), strokes=(1, 4))),
    "thick": ("Free-form strokes, thick", FreeFormStrokes(width=(0.09, 0.15), strokes=(1, 3), vertices=(3, 6))),
    "scratches": ("Scratches", Scratches()),
    "object": ("Object-like blob", ObjectBlob()),
    "pixels50": ("Random pixels, 50 %", RandomPixels(50.0)),
    "pixels80": ("Random pixels, 80 %", RandomPixels(80.0)),
}


def generate_mask(kind: str, shape: Shape, seed: int = 0) -> np.ndarray:
    """A preset mask of ``shape`` (H, W); the same seed gives the same mask."""
    if kind not in MASK_PRESETS:
        from .errors import InpaintInputError

        raise InpaintInputError(f"Unknown mask preset {kind!r}; known: {', '.join(MASK_PRESETS)}.")
    generator = MASK_PRESETS[kind][1]
    return generator(tuple(shape), np.random.default_rng(seed))


def mask_from_layers(layers: list[np.ndarray], shape: Shape) -> np.ndarray:
    """Union of an image editor's brush layers: alpha > 0 is the hole.

    Layers of another size (an editor that resized its canvas) are resized with
    nearest-neighbour interpolation to ``shape``.
    """
    hole = np.zeros(shape, bool)
    for layer in layers or []:
        if layer is None:
            continue
        layer = np.asarray(layer)
        if layer.ndim == 3 and layer.shape[2] == 4:
            painted = layer[..., 3] > 0
        elif layer.ndim == 3:
            painted = (layer > 0).any(axis=2)
        else:
            painted = layer > 0
        if painted.shape != tuple(shape):
            painted = cv2.resize(painted.astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST) > 0
        hole |= painted
    return hole


# ---------------------------------------------------------------------------- hole-area bins
BIN_WIDTH = 10.0  # percent: 0-10 %, 10-20 %, ... as in NVIDIA's irregular-mask protocol (Liu et al. 2018)


def bin_label(percent: float) -> str:
    """NVIDIA-style hole-area bin of a hole percentage: '0-10 %', '10-20 %', ..."""
    index = min(int(percent // BIN_WIDTH), int(100 // BIN_WIDTH) - 1)
    return f"{index * BIN_WIDTH:.0f}-{(index + 1) * BIN_WIDTH:.0f} %"


def bin_order(label: str) -> float:
    """Sort key of a bin label (its lower bound)."""
    return float(label.split("-")[0])
