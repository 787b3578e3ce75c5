"""What the applications share: uint8 RGB conversion, filling with a method, detection scores."""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from ..api import inpaint
from ..imageio import to_uint8_rgb, validate_image
from ..metrics import score

TOLERANCE_PX = 2  # detection is scored with the masks dilated by this many pixels


def as_rgb8(image: np.ndarray) -> np.ndarray:
    """Any valid image as uint8 RGB (checked by the library's one validation gate)."""
    return to_uint8_rgb(validate_image(np.asarray(image)))


def disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` grown by ``radius`` pixels (a disk), as bool."""
    mask = np.asarray(mask, bool)
    if radius <= 0:
        return mask.copy()
    return cv2.dilate(mask.astype(np.uint8), disk(radius)).astype(bool)


@dataclasses.dataclass(frozen=True)
class Detection:
    """Pixel precision and recall of a detected mask against the truth, each with a tolerance:
    a detected pixel counts as right if it lies within ``tolerance`` px of a true one, a true pixel
    as found if it lies within ``tolerance`` px of a detected one."""

    precision: float
    recall: float
    tolerance: int

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 or math.isnan(p) or math.isnan(r) else 2 * p * r / (p + r)

    def as_dict(self) -> dict[str, float]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tolerance_px": self.tolerance}


def detection_scores(found: np.ndarray, truth: np.ndarray, tolerance: int = TOLERANCE_PX) -> Detection:
    found, truth = np.asarray(found, bool), np.asarray(truth, bool)
    precision = float((found & dilate(truth, tolerance)).sum() / found.sum()) if found.any() else float("nan")
    recall = float((truth & dilate(found, tolerance)).sum() / truth.sum()) if truth.any() else float("nan")
    return Detection(precision, recall, tolerance)


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def fill(image: np.ndarray, mask: np.ndarray, method: str = "telea", seed: int = 0) -> np.ndarray:
    """``image`` (uint8 RGB) with ``mask`` filled by ``method``; an empty mask returns a copy."""
    if not mask.any():
        return image.copy()
    return inpaint(image, mask, method, seed=seed)


def quality(clean: np.ndarray | None, result: np.ndarray, hole: np.ndarray) -> dict[str, float] | None:
    """PSNR / SSIM / VIF (and the hole's) of ``result`` against ``clean``, or None without one."""
    if clean is None:
        return None
    hole = np.asarray(hole, bool)
    return {k: round(float(v), 4) for k, v in score(clean, result, hole if hole.any() else np.ones_like(hole)).items()}
