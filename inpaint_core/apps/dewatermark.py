"""De-watermarking: find a known mark in a photo, then remove it.

As the survey shows it with OpenCV: SIFT features of the mark (the template) and of the photo
(``cv2.SIFT_create``), FLANN matching (``cv2.FlannBasedMatcher``) with Lowe's ratio test, a homography
by RANSAC, and the template's footprint (its alpha, or its pixels that differ from its background)
warped into the photo and dilated by a few pixels: that is the hole to inpaint. Several copies of one
mark (tiled) are found one at a time: the best homography's inliers, and every match inside its
footprint, are removed and the search repeats.

Beyond the survey, :func:`unblend` inverts a semi-transparent mark: with the mark's colour ``C`` and
footprint ``alpha`` warped into the photo, the photo is ``I = (1 - a alpha) J + a alpha C``. The opacity
``a`` is fitted by least squares over the pixels under the mark (against a smooth first guess of ``J``),
then ``J = (I - a alpha C) / (1 - a alpha)`` is recovered wherever that is reliable, and only the rest
(``a alpha`` close to 1, saturated pixels, the mark's anti-aliased edges) is inpainted.
"""

from __future__ import annotations

import dataclasses
import time

import cv2
import numpy as np

from ..errors import InpaintInputError
from ..masks import hole_percent
from .common import as_rgb8, dilate, fill, quality

MIN_TEMPLATE_SIDE = 24
MIN_TEMPLATE_FEATURES = 8
MIN_MATCHES = 10  # inliers of one homography
RATIO = 0.75  # Lowe's ratio test
MAX_MARKS = 12
GROW_PX = 3
DEFAULT_METHOD = "telea"
UNRELIABLE_ALPHA = 0.85  # where a * alpha is above this, the inversion amplifies noise too much


# ----------------------------------------------------------------------------- drawing marks
def draw_mark(size: int = 160, text: str = "LAB", colour=(255, 255, 255)) -> np.ndarray:
    """A logo the project draws itself: a ring, a triangle, a bar and ``text``, as RGBA uint8."""
    h, w = size, int(size * 1.6)
    alpha = np.zeros((h, w), np.uint8)
    s = size / 160
    cv2.circle(alpha, (int(42 * s), h // 2), int(30 * s), 255, max(2, int(6 * s)), cv2.LINE_AA)
    tri = np.array([[42, 58], [26, 92], [58, 92]], np.float32) * s
    cv2.fillPoly(alpha, [tri.astype(np.int32)], 255, cv2.LINE_AA)
    cv2.rectangle(alpha, (int(84 * s), int(28 * s)), (int(240 * s), int(36 * s)), 255, -1)
    cv2.putText(alpha, text, (int(84 * s), int(100 * s)), cv2.FONT_HERSHEY_DUPLEX, 2.0 * s, 255,
                max(2, int(4 * s)), cv2.LINE_AA)
    cv2.putText(alpha, "inpaint", (int(88 * s), int(136 * s)), cv2.FONT_HERSHEY_SIMPLEX, 0.9 * s, 255,
                max(1, int(2 * s)), cv2.LINE_AA)
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = alpha
    return rgba


def _template_layers(template: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(colour float32 RGB 0-255, footprint alpha float32 0-1) of an RGBA or RGB template; an RGB
    template's footprint is every pixel that differs from its border's (background) colour."""
    t = np.asarray(template)
    if t.ndim == 3 and t.shape[2] == 4 and t.dtype == np.uint8:
        return t[..., :3].astype(np.float32), t[..., 3].astype(np.float32) / 255
    rgb = as_rgb8(t).astype(np.float32)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    background = np.median(border, axis=0)
    alpha = (np.abs(rgb - background).max(axis=2) > 30).astype(np.float32)
    return rgb, alpha


def stamp_marks(image: np.ndarray, mark: np.ndarray, placements, *, opacity: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``image`` with the RGBA ``mark`` blended at each ``(cx, cy, scale, angle_degrees)``; returns
    ``(marked uint8 RGB, truth mask)`` (the truth: the warped footprint's alpha over 0.5)."""
    out = as_rgb8(image).astype(np.float32)
    h, w = out.shape[:2]
    colour, alpha = _template_layers(mark)
    truth = np.zeros((h, w), bool)
    th, tw = alpha.shape
    for cx, cy, scale, angle in placements:
        m = cv2.getRotationMatrix2D((tw / 2, th / 2), angle, scale)
        m[:, 2] += (cx - tw / 2, cy - th / 2)
        a = cv2.warpAffine(alpha, m, (w, h), flags=cv2.INTER_LINEAR) * opacity
        c = cv2.warpAffine(colour, m, (w, h), flags=cv2.INTER_LINEAR)
        out = out * (1 - a[..., None]) + c * a[..., None]
        truth |= a > 0.5 * opacity
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), truth


# ----------------------------------------------------------------------------- finding marks
@dataclasses.dataclass
class FoundMark:
    homography: np.ndarray  # template (x, y) -> photo (x, y)
    matches: int  # RANSAC inliers
    box: tuple[int, int, int, int]  # x, y, width, height in the photo
    footprint: np.ndarray  # the warped alpha, float32 0-1 (not dilated)

    def as_dict(self) -> dict:
        return {"box": list(self.box), "matches": self.matches}


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _template_features(sift, template: np.ndarray):
    colour, alpha = _template_layers(template)
    th, tw = alpha.shape
    if min(th, tw) < MIN_TEMPLATE_SIDE:
        raise InpaintInputError(f"The mark template is {tw}x{th} pixels; it must be at least "
                                f"{MIN_TEMPLATE_SIDE} pixels on each side to be found.")
    if alpha.max() <= 0:
        raise InpaintInputError("The mark template is empty (fully transparent, or one flat colour).")
    # the mark as it would look over mid grey, so that its edges against any photo are features
    shown = (colour * alpha[..., None] + 128 * (1 - alpha[..., None])).astype(np.uint8)
    support = cv2.dilate((alpha > 0).astype(np.uint8) * 255, np.ones((7, 7), np.uint8))
    pad = 16  # features need room around the mark
    shown = cv2.copyMakeBorder(shown, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(128, 128, 128))
    support = cv2.copyMakeBorder(support, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    keypoints, descriptors = sift.detectAndCompute(_gray(shown), support)
    if descriptors is None or len(keypoints) < MIN_TEMPLATE_FEATURES:
        raise InpaintInputError(f"The mark template has {0 if descriptors is None else len(keypoints)} SIFT features "
                                f"(at least {MIN_TEMPLATE_FEATURES} needed); use a larger or more detailed mark.")
    points = np.float32([kp.pt for kp in keypoints]) - pad
    return points, descriptors, colour, alpha


def _warp(layer: np.ndarray, homography: np.ndarray, shape) -> np.ndarray:
    h, w = shape
    return cv2.warpPerspective(layer, homography, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)


def _area_ratio(homography: np.ndarray, template_shape) -> float:
    th, tw = template_shape
    corners = np.float32([[0, 0], [tw, 0], [tw, th], [0, th]]).reshape(-1, 1, 2)
    quad = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    return abs(cv2.contourArea(quad)) / (tw * th)


def _plausible(homography: np.ndarray, template_shape, first: np.ndarray | None = None) -> bool:
    """A homography that maps the template to a convex, not degenerate quadrilateral of sane scale
    (and, for a further copy, of about the size of the ``first`` one)."""
    if homography is None or not np.isfinite(homography).all():
        return False
    th, tw = template_shape
    corners = np.float32([[0, 0], [tw, 0], [tw, th], [0, th]]).reshape(-1, 1, 2)
    quad = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    if not cv2.isContourConvex(quad.astype(np.float32)):
        return False
    ratio = abs(cv2.contourArea(quad)) / (tw * th)
    if first is not None and not 0.6 <= ratio / _area_ratio(first, template_shape) <= 1.6:
        return False
    return 0.05 <= ratio <= 20


def _estimate(src: np.ndarray, dst: np.ndarray):
    """RANSAC homography (template -> photo) and its inlier flags. With few inliers a full homography
    (8 degrees of freedom) is poorly pinned down, so a similarity (scale, rotation, shift: 4) fitted
    by RANSAC to the same matches is used instead when it explains at least as many of them."""
    homography, inliers = cv2.findHomography(src, dst, cv2.RANSAC, 4.0, maxIters=3000, confidence=0.995)
    count = int(inliers.sum()) if inliers is not None else 0
    if count < 40 and len(src) >= 3:
        similarity, sim_inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=4.0,
                                                               maxIters=3000, confidence=0.995)
        if similarity is not None and sim_inliers is not None and int(sim_inliers.sum()) >= count:
            homography, inliers = np.vstack([similarity, [0.0, 0.0, 1.0]]), sim_inliers
    return homography, inliers


def find_marks(image: np.ndarray, template: np.ndarray, *, max_marks: int = MAX_MARKS,
               min_matches: int = MIN_MATCHES) -> list[FoundMark]:
    """Every copy of ``template`` in ``image`` (SIFT + FLANN ratio test + RANSAC homography, repeated);
    raises :class:`InpaintInputError` when none is found, saying how many matches there were."""
    rgb = as_rgb8(image)
    sift = cv2.SIFT_create()
    t_points, t_desc, _colour, alpha = _template_features(sift, template)
    keypoints, descriptors = sift.detectAndCompute(_gray(rgb), None)
    if descriptors is None or len(keypoints) < 2:
        raise InpaintInputError("The mark was not found: the photo has no SIFT features (is it one flat colour?).")
    # photo -> template: every copy of the mark in the photo can match the same template feature
    flann = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 5}, {"checks": 50})
    pairs = flann.knnMatch(descriptors, t_desc, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    src = np.float32([t_points[m.trainIdx] for m in good]).reshape(-1, 2)
    dst = np.float32([keypoints[m.queryIdx].pt for m in good]).reshape(-1, 2)
    found: list[FoundMark] = []
    alive = np.ones(len(good), bool)
    best_inliers = 0
    while len(found) < max_marks and alive.sum() >= min_matches:
        idx = np.flatnonzero(alive)
        homography, inliers = _estimate(src[idx], dst[idx])
        count = int(inliers.sum()) if inliers is not None else 0
        best_inliers = max(best_inliers, count)
        # once one copy is found, a further copy may be shown by fewer matches, at the same size
        needed = min_matches if not found else max(6, min_matches // 2)
        if count < needed or not _plausible(homography, alpha.shape, found[0].homography if found else None):
            break
        footprint = _warp(alpha, homography, rgb.shape[:2])
        inside = dilate(footprint > 0, GROW_PX * 2)
        alive[idx[inliers.ravel().astype(bool)]] = False
        xs, ys = np.clip(np.rint(dst[:, 0]).astype(int), 0, rgb.shape[1] - 1), np.clip(np.rint(dst[:, 1]).astype(int), 0, rgb.shape[0] - 1)
        alive &= ~inside[ys, xs]
        x, y, w, h = cv2.boundingRect((footprint > 0).astype(np.uint8))
        found.append(FoundMark(homography, count, (int(x), int(y), int(w), int(h)), footprint))
    if not found and len(good) < min_matches:
        raise InpaintInputError(f"The mark was not found: only {len(good)} SIFT matches passed the ratio test "
                                f"(at least {min_matches} needed).")
    if not found:
        raise InpaintInputError(
            f"The mark was not found: {len(good)} SIFT matches passed the ratio test and at most {best_inliers} agree "
            f"on one position (at least {min_matches} needed).")
    return found


def marks_mask(found: list[FoundMark], shape, grow: int = GROW_PX) -> np.ndarray:
    """The union of the marks' footprints, dilated by ``grow`` px: the hole for inpainting."""
    mask = np.zeros(shape, bool)
    for mark in found:
        mask |= mark.footprint > 0.02
    return dilate(mask, grow)


# ----------------------------------------------------------------------------- un-blending
def estimate_opacity(image: np.ndarray, found: list[FoundMark], template: np.ndarray, guess: np.ndarray) -> float:
    """Least-squares opacity ``a`` of ``I = (1 - a alpha) J + a alpha C`` over the pixels under the
    marks, with ``guess`` (a smooth fill of the footprint) standing for ``J``; clipped to [0, 1]."""
    colour, alpha = _template_layers(template)
    img, j0 = image.astype(np.float64), guess.astype(np.float64)
    num = den = 0.0
    for mark in found:
        c = _warp(colour, mark.homography, image.shape[:2]).astype(np.float64)
        al = mark.footprint.astype(np.float64)[..., None]
        under = mark.footprint > 0.5
        x = (al * (c - j0))[under]
        y = (img - j0)[under]
        num += float((x * y).sum())
        den += float((x * x).sum())
    return float(np.clip(num / den, 0.0, 1.0)) if den > 0 else 1.0


def unblend(image: np.ndarray, found: list[FoundMark], template: np.ndarray, *, method: str = DEFAULT_METHOD,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """Invert a semi-transparent mark: returns ``(result uint8 RGB, the mask that was inpainted, opacity)``."""
    rgb = as_rgb8(image)
    colour, _alpha = _template_layers(template)
    hole = marks_mask(found, rgb.shape[:2])
    guess = fill(rgb, hole, "harmonic")
    opacity = estimate_opacity(rgb, found, template, guess)
    a = np.zeros(rgb.shape[:2], np.float32)
    c = np.zeros(rgb.shape, np.float32)
    for mark in found:
        warped = mark.footprint * opacity
        c += _warp(colour, mark.homography, rgb.shape[:2]) * warped[..., None]
        a = 1 - (1 - a) * (1 - warped)
    cw = c / np.maximum(a, 1e-6)[..., None]
    img = rgb.astype(np.float32)
    recovered = (img - a[..., None] * cw) / np.maximum(1 - a, 1e-6)[..., None]
    # unreliable: too opaque, saturated, out of range after inversion, or on the mark's edges where
    # a sub-pixel misalignment of the footprint makes the inversion wrong
    edges = cv2.morphologyEx(a, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0.25 * max(opacity, 1e-6)
    saturated = (img.max(axis=2) >= 254) | (img.min(axis=2) <= 1)
    out_of_range = (recovered.min(axis=2) < -8) | (recovered.max(axis=2) > 263)
    bad = (a > UNRELIABLE_ALPHA) | ((a > 0.02) & (edges | saturated | out_of_range))
    bad = dilate(bad, 1) & hole
    result = rgb.copy()
    inverted = (a > 0.02) & ~bad
    result[inverted] = np.clip(np.rint(recovered[inverted]), 0, 255).astype(np.uint8)
    if bad.any():
        result = fill(result, bad, method, seed=seed)
    return result, bad, opacity


# ----------------------------------------------------------------------------- the application
@dataclasses.dataclass
class DewatermarkResult:
    marked: np.ndarray
    marks: list[FoundMark]
    mask: np.ndarray  # what was inpainted
    output: np.ndarray
    method: str
    unblended: bool
    opacity: float | None
    seconds: dict[str, float]
    scores: dict | None = None
    iou: float | None = None

    def summary(self) -> dict:
        out = {"application": "dewatermark", "method": self.method, "marks": len(self.marks),
               "found": [m.as_dict() for m in self.marks], "unblend": self.unblended,
               "mask_percent": round(hole_percent(self.mask), 3),
               "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}
        if self.opacity is not None:
            out["opacity"] = round(self.opacity, 3)
        if self.iou is not None:
            out["iou"] = round(self.iou, 4)
        if self.scores is not None:
            out["scores"] = self.scores
        return out


def dewatermark(image: np.ndarray, template: np.ndarray, *, method: str = DEFAULT_METHOD, unblend_mark: bool = False,
                clean: np.ndarray | None = None, truth: np.ndarray | None = None, seed: int = 0) -> DewatermarkResult:
    """Find every copy of ``template`` in ``image`` and remove it: inpaint the footprint with ``method``,
    or (``unblend_mark``) invert the blend and inpaint only where that is unreliable."""
    from ..registry import get_method
    from .common import mask_iou

    get_method(method)
    rgb = as_rgb8(image)
    start = time.perf_counter()
    found = find_marks(rgb, template)
    seconds = {"find": time.perf_counter() - start}
    start = time.perf_counter()
    footprint = marks_mask(found, rgb.shape[:2])
    opacity = None
    if unblend_mark:
        output, mask, opacity = unblend(rgb, found, template, method=method, seed=seed)
    else:
        mask = footprint
        output = fill(rgb, mask, method, seed=seed)
    seconds["remove"] = time.perf_counter() - start
    result = DewatermarkResult(rgb, found, mask, output, method, unblend_mark, opacity, seconds)
    if truth is not None:
        result.iou = mask_iou(np.any([m.footprint > 0.5 for m in found], axis=0), truth)
    if clean is not None:
        result.scores = quality(as_rgb8(clean), output, footprint)
    return result
