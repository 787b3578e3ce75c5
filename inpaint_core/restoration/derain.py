"""De-raining: synthetic rain streaks at three densities, and a classical restorer.

Rain is drawn as in the data sets DID-MDN trained on (Zhang and Patel 2018,
https://doi.org/10.1109/CVPR.2018.00079): random short lines, motion-blurred along one direction
(angle and width per image), added over the photo with a screen blend; ``light``, ``medium`` and
``heavy`` differ in how many streaks fall and how bright they are.

The classical baseline (this project's combination of two known steps): the photo is split into a
smooth layer and a detail layer with the guided filter (He, Sun and Tang 2010, the photo guiding
itself), rain living in the detail layer; the streaks' direction is the dominant orientation of the
structure tensor of the thin bright structures (a white top-hat); and a median filter across that direction (a line of pixels perpendicular
to the streaks) removes lines thinner than half its length while keeping edges along other
directions; it replaces the detail only where the detail is brighter than it (rain only brightens),
and the detail layer is added back.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from ..base import Citation, MethodCard, Param
from ..errors import InpaintInputError
from .base import RestorationMethod


STREAK_LEVEL = 0.02  # a pixel whose detail exceeds the median across the streaks by this much is rain


@dataclasses.dataclass(frozen=True)
class RainDensity:
    streaks: float  # per 10,000 pixels
    brightness: tuple[float, float]
    length: tuple[float, float]  # of the short side


DENSITIES = {"light": RainDensity(6, (0.15, 0.3), (0.03, 0.06)),
             "medium": RainDensity(16, (0.2, 0.4), (0.04, 0.08)),
             "heavy": RainDensity(35, (0.3, 0.55), (0.05, 0.11))}


def rain_layer(shape, density: str = "medium", *, seed: int = 0, angle: float | None = None,
               width: int | None = None) -> tuple[np.ndarray, float]:
    """(streak layer in [0, 1] of ``shape`` (H, W), the streaks' angle in degrees from vertical)."""
    if density not in DENSITIES:
        raise InpaintInputError(f"Unknown rain density {density!r}; use one of {', '.join(DENSITIES)}.")
    d = DENSITIES[density]
    rng = np.random.default_rng(seed)
    h, w = shape
    angle = float(rng.uniform(-30, 30)) if angle is None else float(angle)
    width = int(rng.integers(1, 3)) if width is None else int(width)
    layer = np.zeros((h, w), np.float32)
    n = int(d.streaks * h * w / 10_000)
    a = np.radians(angle)
    for _ in range(n):
        length = rng.uniform(*d.length) * min(h, w)
        y, x = rng.uniform(-0.1 * h, h), rng.uniform(-0.1 * w, 1.1 * w)
        dy, dx = length * np.cos(a), length * np.sin(a)
        cv2.line(layer, (int(x), int(y)), (int(x + dx), int(y + dy)), float(rng.uniform(*d.brightness)), width,
                 cv2.LINE_AA)
    k = max(3, int(0.02 * min(h, w)) | 1)  # motion blur along the streaks
    kernel = np.zeros((k, k), np.float32)
    c = k // 2
    cv2.line(kernel, (int(c - c * np.sin(a)), int(c - c * np.cos(a))), (int(c + c * np.sin(a)), int(c + c * np.cos(a))), 1.0, 1)
    layer = cv2.filter2D(layer, -1, kernel / kernel.sum())
    return np.clip(layer, 0, 1), angle


def add_rain(image: np.ndarray, density: str = "medium", *, seed: int = 0, angle: float | None = None):
    """(rainy uint8 RGB, the streak layer, the angle): a screen blend of the layer over the photo."""
    img = np.asarray(image).astype(np.float32) / 255.0
    layer, angle = rain_layer(img.shape[:2], density, seed=seed, angle=angle)
    rainy = 1 - (1 - img) * (1 - layer[..., None])
    return np.clip(np.rint(rainy * 255), 0, 255).astype(np.uint8), layer, angle


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He, Sun and Tang's guided filter (gray guide), with box means."""
    def box(x):
        return cv2.boxFilter(x, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(guide), box(src)
    cov = box(guide * src) - mean_i * mean_p
    var = box(guide * guide) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    return box(a) * guide + box(b)


def streak_angle(detail: np.ndarray) -> float:
    """The dominant orientation of the bright lines of a detail layer, in degrees from the downward
    vertical towards +x (as :func:`rain_layer` draws them), from the structure tensor of its positive
    part (rain only brightens): gradients are perpendicular to the lines."""
    bright = np.maximum(detail, 0).astype(np.float32)
    gx = cv2.Sobel(bright, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(bright, cv2.CV_32F, 0, 1, ksize=3)
    jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    grad = 0.5 * np.degrees(np.arctan2(2 * jxy, jxx - jyy))  # the dominant gradient direction, from the x axis
    # a line along (sin a, cos a) has its gradient along (cos a, -sin a): at -a from the x axis
    return float(((-grad + 90) % 180) - 90)


def directional_median(layer: np.ndarray, angle: float, length: int) -> np.ndarray:
    """Median over ``length`` pixels on a line across the streaks (perpendicular to ``angle``)."""
    a = np.radians(angle)
    across = (np.cos(a), -np.sin(a))  # (dx, dy) perpendicular to the streak direction (sin a, cos a)
    half = length // 2
    shifted = []
    for t in range(-half, half + 1):
        m = np.float32([[1, 0, t * across[0]], [0, 1, t * across[1]]])
        shifted.append(cv2.warpAffine(layer, m, layer.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT))
    return np.median(np.stack(shifted), axis=0).astype(np.float32)


class NoOp(RestorationMethod):
    name = "derain_none"
    title = "No de-raining (the rainy input)"
    task = "derain"
    citation = Citation("H. Zhang, V. M. Patel", "Density-aware Single Image De-raining using a Multi-stream Dense "
                        "Network (the baseline every method must beat)", "CVPR", 2018,
                        "https://doi.org/10.1109/CVPR.2018.00079")
    card = MethodCard(idea="The input, unchanged: the floor of every de-raining score.", formula=r"\hat x = y",
                      fails_when="Always: the rain stays.")

    def run(self, image, params, ctx, **extra):
        return image.copy()


class GuidedMedian(RestorationMethod):
    name = "derain_guided_median"
    title = "Guided-filter layers + median across the streaks"
    task = "derain"
    citation = Citation("K. He, J. Sun, X. Tang", "Guided Image Filtering (the layer split; the directional median "
                        "across the streaks is this project's)", "ECCV", 2010,
                        "https://doi.org/10.1007/978-3-642-15549-9_1")
    params = (Param("radius", 4, "Guided-filter radius (px): the smooth layer's scale.", 1, 32, 1),
              Param("eps", 0.01, "Guided-filter regularisation: larger puts more of the edges (and the streaks) "
                    "into the detail layer.", 1e-4, 1.0),
              Param("length", 5, "Length of the median across the streaks (px; removes lines up to half as wide).",
                    3, 31, 2))
    card = MethodCard(idea="Rain streaks are thin, bright and all tilted the same way. The photo is split into a "
                      "smooth layer (guided filter) and a detail layer; in the detail layer the streaks' direction is "
                      "found from the structure tensor and a median across that direction removes them; the detail "
                      "left is added back to the smooth layer.",
                      formula=r"\hat x = q + \mathrm{med}_{\perp\theta}(y - q),\quad q = \mathrm{GF}_{y}(y)",
                      fails_when="Wide streaks or drops, rain in several directions, textures along the rain's "
                      "direction (removed with it); haze from heavy rain stays.")

    def run(self, image, params, ctx, **extra):
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        smooth = np.stack([guided_filter(gray, image[..., c], params["radius"], params["eps"]) for c in range(3)], 2)
        detail = image - smooth
        # thin bright structures (a white top-hat of the photo) carry the rain's direction best
        thin = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
        angle = streak_angle(thin)
        med = np.stack([directional_median(detail[..., c], angle, params["length"]) for c in range(3)], 2)
        # only where the detail stands out brighter than the median across the streaks (rain only
        # brightens): elsewhere the detail is kept as it is
        streak = (detail - med).max(axis=2, keepdims=True) > STREAK_LEVEL
        return np.clip(smooth + np.where(streak, med, detail), 0, 1).astype(np.float32)
