"""Old-photo repair: find the damage on its own, then fill it with any inpainting method.

Detection (:func:`detect_damage`) looks for what damage looks like, not for what a generator drew:

- **lines** (scratches, cracks, creases; light or dark, any direction): a morphological white / black
  top-hat (what is brighter / darker than its surroundings and thinner than the structuring element)
  that is also a ridge of the Hessian at small scales (one large eigenvalue across the line, as in
  Sato's and Meijering's ridge filters), thresholded against the image's own level of such responses
  so that texture does not count; elongated pieces only;
- **dust and spots**: strong top-hat responses in small, compact connected pieces;
- **stamped text** (a camera's date): thin strokes of high chroma (top-hat of the colour range
  max - min), several close together;
- **torn corners**: a flat, textureless region touching a corner of the photo.

:func:`damage` is the seeded generator the examples and the tests use: scratches, cracks, dust,
creases, a torn corner and a date stamp over a clean photo, at three strengths, with the truth mask.
"""

from __future__ import annotations

import dataclasses
import time

import cv2
import numpy as np

from ..errors import InpaintInputError
from ..masks import hole_percent
from .common import as_rgb8, detection_scores, dilate, disk, fill, quality

STRENGTHS = ("light", "medium", "heavy")
DEFAULT_METHOD = "telea"
GROW_PX = 1  # the detected mask is grown by this much before filling (anti-aliased edges)
PAPER = (236, 231, 219)  # what a torn corner shows (the backing card)


# ----------------------------------------------------------------------------- the generator
@dataclasses.dataclass(frozen=True)
class Strength:
    scratches: int
    cracks: int
    dust: int
    creases: int
    corner: bool
    stamp: bool
    contrast: float  # of lines and spots against the photo, 0-1


_STRENGTHS = {
    "light": Strength(scratches=3, cracks=1, dust=25, creases=0, corner=False, stamp=True, contrast=0.55),
    "medium": Strength(scratches=6, cracks=2, dust=60, creases=1, corner=True, stamp=True, contrast=0.7),
    "heavy": Strength(scratches=10, cracks=4, dust=140, creases=2, corner=True, stamp=True, contrast=0.85),
}


def _check_strength(strength: str) -> Strength:
    if strength not in _STRENGTHS:
        raise InpaintInputError(f"Unknown damage strength {strength!r}; use one of {', '.join(STRENGTHS)}.")
    return _STRENGTHS[strength]


def _curve(rng, w, h, bend=0.12, n=80):
    p0, p2 = rng.uniform(0, 1, 2) * (w, h), rng.uniform(0, 1, 2) * (w, h)
    p1 = (p0 + p2) / 2 + rng.normal(0, bend, 2) * (w, h)
    t = np.linspace(0, 1, n)[:, None]
    return np.round((1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2).astype(np.int32)


def _crack(rng, w, h, side):
    """A random walk with a drifting heading and a branch or two."""
    paths = []
    start, heading = rng.uniform(0.1, 0.9, 2) * (w, h), rng.uniform(0, 2 * np.pi)
    for _branch in range(int(rng.integers(1, 3))):
        pt, pts = start.copy(), [start.copy()]
        for _ in range(int(rng.integers(10, 25))):
            heading += rng.normal(0, 0.45)
            pt = pt + side * 0.02 * np.array([np.cos(heading), np.sin(heading)])
            pts.append(pt.copy())
        paths.append(np.round(pts).astype(np.int32))
        start, heading = pts[len(pts) // 2], heading + rng.choice([-1, 1]) * 1.0
    return paths


def _paint(out: np.ndarray, layer: np.ndarray, colour) -> None:
    """Blend ``colour`` (a value or a per-pixel image) over ``out`` with opacity ``layer`` (0-1)."""
    a = layer[..., None]
    out[:] = out * (1 - a) + np.asarray(colour, np.float32) * a


def _line_colour(rng, photo, contrast):
    light = rng.random() < 0.6
    target = 255.0 if light else 0.0
    return photo + (target - photo) * contrast  # toward white or black, by ``contrast``


def damage(image: np.ndarray, strength: str = "medium", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``image`` (a clean photo) with seeded damage; returns ``(damaged uint8 RGB, truth mask)``.

    The truth mask holds every pixel the damage changed visibly (opacity over 0.25 and a change
    of more than 10 levels)."""
    spec = _check_strength(strength)
    photo = as_rgb8(image).astype(np.float32)
    h, w = photo.shape[:2]
    side = min(h, w)
    rng = np.random.default_rng([seed, STRENGTHS.index(strength)])
    out, truth = photo.copy(), np.zeros((h, w), bool)

    def apply(layer, colour):
        nonlocal truth
        before = out.copy()
        _paint(out, layer, colour)
        truth |= (layer > 0.25) & (np.abs(out - before).max(axis=2) > 10)

    for _ in range(spec.scratches):
        layer = np.zeros((h, w), np.float32)
        cv2.polylines(layer, [_curve(rng, w, h)], False, 1.0, int(rng.integers(1, 3)), cv2.LINE_AA)
        apply(layer, _line_colour(rng, photo, spec.contrast * rng.uniform(0.85, 1.1)))
    for _ in range(spec.cracks):
        layer = np.zeros((h, w), np.float32)
        cv2.polylines(layer, _crack(rng, w, h, side), False, 1.0, int(rng.integers(1, 3)), cv2.LINE_AA)
        apply(layer, photo * (1 - spec.contrast))  # cracks are dark
    for _ in range(spec.creases):  # a fold: a long, straighter, wider light line with soft edges
        layer = np.zeros((h, w), np.float32)
        cv2.polylines(layer, [_curve(rng, w, h, bend=0.03)], False, 1.0, 3, cv2.LINE_AA)
        layer = cv2.GaussianBlur(layer, (5, 5), 0.8) * 0.9
        apply(layer, photo + (255 - photo) * spec.contrast)
    for _ in range(spec.dust):
        layer = np.zeros((h, w), np.float32)
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        radius = int(rng.choice([1, 1, 2, 2, 3, 4]))
        axes = (radius, max(1, radius + int(rng.integers(-1, 2))))
        cv2.ellipse(layer, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1, cv2.LINE_AA)
        apply(layer, _line_colour(rng, photo, min(1.0, spec.contrast * 1.1)))
    if spec.stamp:
        layer = np.zeros((h, w), np.uint8)
        text = f"'{rng.integers(80, 100)}  {rng.integers(1, 13)} {rng.integers(1, 29)}"
        scale = side / 600
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, max(1, round(side / 260)))
        org = (max(2, w - tw - side // 20), max(th + 2, h - side // 20))
        cv2.putText(layer, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, 255, max(1, round(side / 260)), cv2.LINE_AA)
        apply(layer.astype(np.float32) / 255, (255, 140, 40))  # the orange of a camera's date imprint
    if spec.corner:
        layer = np.zeros((h, w), np.uint8)
        cx, cy = (0 if rng.random() < 0.5 else w - 1), (0 if rng.random() < 0.5 else h - 1)
        size = side * rng.uniform(0.12, 0.2)
        t = np.linspace(0, 1, 14)
        edge = np.stack([size * (1 - t), size * t], 1) + rng.normal(0, side * 0.008, (14, 2))  # a jagged tear
        sx, sy = (1 if cx == 0 else -1), (1 if cy == 0 else -1)
        pts = np.concatenate([[[0, 0]], edge]) * (sx, sy) + (cx, cy)
        cv2.fillPoly(layer, [np.round(pts).astype(np.int32)], 1)
        apply(layer.astype(np.float32), PAPER)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), truth


# ----------------------------------------------------------------------------- detection
def _components(mask: np.ndarray):
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return n, labels, stats


def _keep(labels: np.ndarray, keep: np.ndarray) -> np.ndarray:
    keep = np.asarray(keep, bool).copy()
    keep[0] = False
    return keep[labels]


def _ridge(gray: np.ndarray, sigmas=(1.0, 1.8)) -> tuple[np.ndarray, np.ndarray]:
    """Scale-normalised Hessian ridge strength, (bright ridges, dark ridges): the large eigenvalue
    across a line where the small one along it is weak (Sato / Meijering style)."""
    bright, dark = np.zeros_like(gray), np.zeros_like(gray)
    for s in sigmas:
        g = cv2.GaussianBlur(gray, (0, 0), s)
        dxx = cv2.Sobel(g, cv2.CV_32F, 2, 0, ksize=3)
        dyy = cv2.Sobel(g, cv2.CV_32F, 0, 2, ksize=3)
        dxy = cv2.Sobel(g, cv2.CV_32F, 1, 1, ksize=3)
        root = np.sqrt((dxx - dyy) ** 2 + 4 * dxy**2)
        l1, l2 = (dxx + dyy + root) / 2, (dxx + dyy - root) / 2  # l1 >= l2
        norm = s * s
        bright = np.maximum(bright, np.where(l2 < 0, -l2 - np.abs(l1) * 0.5, 0) * norm)
        dark = np.maximum(dark, np.where(l1 > 0, l1 - np.abs(l2) * 0.5, 0) * norm)
    return bright, dark


def _level(x: np.ndarray, quantile: float = 0.9) -> float:
    """A typical strong response of the photo itself (damage is rare, so a quantile ignores it)."""
    return float(np.quantile(x[::2, ::2], quantile))


def _residual(gray: np.ndarray, size: int) -> np.ndarray:
    """``gray`` less its median over ``size`` px: a median removes lines and spots thinner than half
    its window but keeps edges, so what is left is thin damage (and fine texture)."""
    g8 = np.clip(gray, 0, 255).astype(np.uint8)
    return gray - cv2.medianBlur(g8, size).astype(np.float32)


def _hysteresis(strength: np.ndarray, low: float, high: float):
    """Connected pieces of ``strength > low`` that hold a pixel ``> high``."""
    n, labels, stats = _components(strength > low)
    seeded = np.zeros(n, bool)
    seeded[np.unique(labels[strength > high])] = True
    return n, labels, stats, seeded


def _thin_pieces(gray: np.ndarray, side: int, window: int, min_length: float, max_width: float,
                 ratio: float) -> np.ndarray:
    """Long, thin, light or dark pieces of the median residual over ``window`` px that stand out
    from the texture around them (``ratio`` times a local mean of the residual's magnitude); broken
    pieces of one line are linked (a small dilation) before their length and mean width are measured."""
    res = _residual(gray, window)
    texture = cv2.blur(np.abs(res), (2 * window + 3, 2 * window + 3))
    lines = np.zeros(gray.shape, bool)
    for strength in (res, -res):
        strength = np.where(strength > ratio * texture, strength, 0)
        n, labels, stats, seeded = _hysteresis(strength, 6.0, 16.0)
        candidates = _keep(labels, seeded)
        # thin: no pixel of the piece lies deeper inside it than half the widest line (so crossing
        # lines stay thin, while texture blobs do not)
        depth = cv2.distanceTransform(candidates.astype(np.uint8), cv2.DIST_L2, 3)
        deepest = np.zeros(n, np.float32)
        np.maximum.at(deepest, labels[candidates], depth[candidates])
        pieces = _keep(labels, seeded & (deepest <= max_width / 2))
        m, merged, mstats = _components(dilate(pieces, 2))
        extent = np.hypot(mstats[:, cv2.CC_STAT_WIDTH], mstats[:, cv2.CC_STAT_HEIGHT])
        elongated = extent >= min_length
        lines |= pieces & _keep(merged, elongated)
    return lines


def _line_mask(gray: np.ndarray, side: int) -> np.ndarray:
    """Scratches and cracks (up to 4 px wide), and creases (wider, longer, straighter)."""
    return (_thin_pieces(gray, side, 9, side / 9, 4.0, 2.5)
            | _thin_pieces(gray, side, 2 * max(7, side // 70) + 1, side / 4, 7.0, 2.5))


def _dust_mask(gray: np.ndarray, side: int) -> np.ndarray:
    """Small compact pieces of the median residual (over a window wider than a spot) that stand
    far out from the texture around them."""
    res = _residual(gray, 2 * max(6, side // 80) + 1)
    texture = cv2.blur(np.abs(res), (31, 31))
    spots = np.zeros(gray.shape, bool)
    for strength in (res, -res):
        strength = np.where(strength > 3.0 * texture, strength, 0)
        n, labels, stats, seeded = _hysteresis(strength, 10.0, 30.0)
        area = stats[:, cv2.CC_STAT_AREA]
        extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
        small = seeded & (area >= 2) & (extent <= side / 30) & (area >= 0.3 * extent**2)
        spots |= _keep(labels, small)
    return spots


def _stamp_mask(rgb: np.ndarray, side: int) -> np.ndarray:
    f = rgb.astype(np.float32)
    chroma = f.max(axis=2) - f.min(axis=2)
    hat = cv2.morphologyEx(chroma, cv2.MORPH_TOPHAT, disk(max(4, side // 90)))
    strokes = (hat > max(60.0, 2.5 * _level(hat, 0.98))) & (f.max(axis=2) > 150)
    n, labels, stats = _components(strokes)
    if n <= 1:
        return strokes
    # text: several stroke pieces close together (a word), not an isolated colourful edge
    area = stats[:, cv2.CC_STAT_AREA]
    pieces = _keep(labels, area >= 4)
    groups = cv2.dilate(pieces.astype(np.uint8), disk(max(3, side // 60)))
    gn, glabels, _ = _components(groups)
    pairs = np.unique(np.stack([glabels[pieces], labels[pieces]]), axis=1)  # (group, piece) pairs
    piece_labels = np.bincount(pairs[0], minlength=gn)
    words = _keep(glabels, piece_labels >= 3)
    return dilate(pieces & words, 1) & (hat > 30)


def _corner_mask(rgb: np.ndarray, side: int) -> np.ndarray:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    mean = cv2.blur(gray, (5, 5))
    std = np.sqrt(np.maximum(cv2.blur(gray * gray, (5, 5)) - mean * mean, 0))
    flat = (std < 1.5).astype(np.uint8)
    n, labels, stats = _components(flat)
    h, w = gray.shape
    out = np.zeros((h, w), bool)
    for y, x in ((0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1)):
        lab = labels[y, x]
        if lab and stats[lab, cv2.CC_STAT_AREA] >= (side * 0.05) ** 2:
            region = labels == lab
            values = gray[region]
            if values.std() < 3.0:  # one colour: paper or backing, not a dark sky
                out |= region
    if out.any():
        out = cv2.morphologyEx(out.astype(np.uint8), cv2.MORPH_CLOSE, disk(3)).astype(bool)
    return dilate(out, 2)


def detect_damage(image: np.ndarray) -> np.ndarray:
    """Scratches, cracks, creases, dust, stamped text and torn corners of ``image``, as a bool mask."""
    rgb = as_rgb8(image)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    side = min(gray.shape)
    mask = _line_mask(gray, side) | _dust_mask(gray, side) | _stamp_mask(rgb, side) | _corner_mask(rgb, side)
    return mask


# ----------------------------------------------------------------------------- the application
@dataclasses.dataclass
class RepairResult:
    damaged: np.ndarray
    mask: np.ndarray  # the mask that was filled (detected or given, grown by GROW_PX)
    output: np.ndarray
    method: str
    seconds: dict[str, float]
    detection: dict | None = None  # precision / recall against the truth, when known
    scores: dict | None = None  # of the output against the clean photo, when known
    damaged_scores: dict | None = None  # of the damaged photo against the clean one

    def summary(self) -> dict:
        out = {"application": "repair", "method": self.method, "damage_percent": round(hole_percent(self.mask), 3),
               "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}
        for key in ("detection", "scores", "damaged_scores"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


def repair(image: np.ndarray, *, mask: np.ndarray | None = None, method: str = DEFAULT_METHOD,
           clean: np.ndarray | None = None, truth: np.ndarray | None = None, seed: int = 0) -> RepairResult:
    """Detect the damage of ``image`` (unless ``mask`` is given), fill it with ``method``, and score
    the detection against ``truth`` and the result against ``clean`` when they are known."""
    from ..registry import get_method

    get_method(method)  # an unknown name fails before any work
    damaged = as_rgb8(image)
    seconds = {}
    start = time.perf_counter()
    if mask is None:
        found = detect_damage(damaged)
        seconds["detect"] = time.perf_counter() - start
        hole = dilate(found, GROW_PX)
    else:
        hole = np.asarray(mask, bool)
        if hole.shape != damaged.shape[:2]:
            raise InpaintInputError(f"The mask is {hole.shape[1]}x{hole.shape[0]} but the photo is "
                                    f"{damaged.shape[1]}x{damaged.shape[0]}; they must match.")
        found = hole
    if hole.all():
        raise InpaintInputError("The damage mask covers the whole photo; leave some pixels to fill from.")
    start = time.perf_counter()
    output = fill(damaged, hole, method, seed=seed)
    seconds["fill"] = time.perf_counter() - start
    result = RepairResult(damaged, hole, output, method, seconds)
    if truth is not None:
        result.detection = detection_scores(found, truth).as_dict()
    if clean is not None:
        clean8 = as_rgb8(clean)
        result.scores = quality(clean8, output, hole)
        result.damaged_scores = quality(clean8, damaged, hole)
    return result
