"""Planar structure guidance for completion, after Huang, Kang, Ahuja and Kopf 2014.

Huang, Kang, Ahuja and Kopf, "Image Completion using Planar Structure Guidance", ACM TOG
33(4) (SIGGRAPH), 2014, https://doi.org/10.1145/2601097.2601205.

1. **Line segments** of the known region: OpenCV's LSD (``cv2.createLineSegmentDetector``, which
   the installed OpenCV 5 has; some OpenCV 4 builds lack it), else scikit-image's probabilistic
   Hough transform on Canny edges; segments that come near the hole are dropped (its border is
   not an edge).
2. **Vanishing points** by sequential RANSAC over pairs of segments: the intersection of two
   segments' lines, supported by the segments (weighted by length) whose direction points at it
   within a few degrees, refined by least squares over its inliers.
3. **Planes** from pairs of vanishing points. Each plane's support at a pixel is the product of
   the (Gaussian-smoothed, normalised) densities of the segments of its two vanishing points;
   with a fronto-parallel plane of constant support they give a posterior per pixel, diffused
   into the hole by a harmonic fill (:func:`inpaint_core.poisson.solve_guided`).
4. **Regularity**: ORB features of the known region on each plane, positions rectified by the
   plane's homography, matched to each other; the modes of the rectified displacements
   (peaks of their smoothed histogram) are the plane's dominant translations.
5. **Completion**: the Wexler et al. 2007 multi-scale EM, where a target patch at ``t`` on
   plane ``m`` copies the source warped by ``H_m^-1 T(delta) H_m`` (rectify, translate by
   ``delta`` in the plane, unrectify), sampled bilinearly, and the patch cost adds Huang et
   al.'s guidance: plane compatibility ``-log P(m|s) - log P(m|t)``, the regularity cost
   (distance of ``delta`` to the nearest multiple of a dominant translation), the direction
   cost (``min(|delta_u|, |delta_v|)``, preferring copies along the plane's two axes) and the
   proximity cost ``|s - t|^2 / (sigma_d(t)^2 + sigma_c^2)``. The search is PatchMatch over
   ``(delta, m)``: propagation of a neighbour's ``(delta, m)``, random search around the
   source, planes drawn from the posterior, and jumps by a dominant translation.

With no plane found the method is exactly the translational completion
(:func:`inpaint_core.methods.patch_based.wexler_complete`), as the paper's method reduces to
its baseline.
"""

from __future__ import annotations

import dataclasses

import cv2
import numba
import numpy as np

from .patchmatch import seed_numba

__all__ = ["detect_segments", "vanishing_points", "PlaneModel", "plane_model", "planar_complete",
           "rectifying_homography", "Guidance"]


# -- 1. line segments -------------------------------------------------------------------------

def _lsd_available() -> bool:
    try:
        cv2.createLineSegmentDetector()
        return True
    except (AttributeError, cv2.error):
        return False


def detect_segments(image: np.ndarray, hole: np.ndarray, *, min_length: float | None = None,
                    detector: str = "auto", seed: int = 0) -> np.ndarray:
    """Line segments ``(n, 4)`` as ``x1, y1, x2, y2`` of the known region of a working image.

    ``detector``: "lsd" (OpenCV's line segment detector), "hough" (scikit-image's probabilistic
    Hough transform on Canny edges), or "auto" (LSD when this OpenCV has it). The hole is filled
    smoothly first, and segments passing within 2 px of it are dropped; segments shorter than
    ``min_length`` (default: 1/40 of the longer side, at least 10 px) are dropped."""
    from .fast_marching import telea_fill

    h, w = hole.shape
    if min_length is None:
        min_length = max(10.0, max(h, w) / 40.0)
    smooth = telea_fill(image, hole) if hole.any() else image
    gray = cv2.cvtColor(np.clip(smooth * 255.0 + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    near = cv2.dilate(hole.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if detector == "auto":
        detector = "lsd" if _lsd_available() else "hough"
    if detector == "lsd":
        found = cv2.createLineSegmentDetector().detect(gray)[0]
        segs = np.zeros((0, 4), np.float64) if found is None else found.reshape(-1, 4).astype(np.float64)
    elif detector == "hough":
        from skimage.feature import canny
        from skimage.transform import probabilistic_hough_line

        edges = canny(gray.astype(np.float64) / 255.0, sigma=1.5) & ~near
        lines = probabilistic_hough_line(edges, threshold=10, line_length=int(min_length), line_gap=3, rng=seed)
        segs = np.array([[p0[0], p0[1], p1[0], p1[1]] for p0, p1 in lines], np.float64).reshape(-1, 4)
    else:
        raise ValueError(f"unknown detector {detector!r}")
    if len(segs) == 0:
        return segs
    length = np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])
    segs = segs[length >= min_length]
    if len(segs) == 0:
        return segs
    t = np.linspace(0.0, 1.0, 16)
    xs = segs[:, None, 0] + t[None] * (segs[:, None, 2] - segs[:, None, 0])
    ys = segs[:, None, 1] + t[None] * (segs[:, None, 3] - segs[:, None, 1])
    xi = np.clip(np.round(xs).astype(int), 0, w - 1)
    yi = np.clip(np.round(ys).astype(int), 0, h - 1)
    return segs[~near[yi, xi].any(axis=1)]


# -- 2. vanishing points ----------------------------------------------------------------------

def _segment_angles(v: np.ndarray, mids: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Angle (radians, 0..pi/2) between each segment and the line from its midpoint to the
    homogeneous point ``v`` (a direction when ``v`` lies at infinity)."""
    if abs(v[2]) > 1e-9:
        to = v[:2] / v[2] - mids
    else:
        to = np.broadcast_to(v[:2], mids.shape)
    norm = np.linalg.norm(to, axis=1) + 1e-12
    cos = np.abs(np.sum(to * dirs, axis=1)) / norm
    return np.arccos(np.clip(cos, 0.0, 1.0))


def vanishing_points(segments: np.ndarray, shape: tuple[int, int], *, max_points: int = 3,
                     threshold_deg: float = 1.5, iterations: int = 400, min_support: float | None = None,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Vanishing points by sequential RANSAC over pairs of segments.

    Returns ``(points, labels)``: ``points`` (k, 3) homogeneous image points (unit norm),
    strongest first, and each segment's point (-1 for none). A point needs inliers totalling
    ``min_support`` px of segment length (default: the image's longer side) and 3 segments."""
    h, w = shape
    rng = np.random.default_rng(seed)
    labels = np.full(len(segments), -1, np.int64)
    if len(segments) < 4:
        return np.zeros((0, 3)), labels
    if min_support is None:
        min_support = float(max(h, w))
    # normalised coordinates (centre 0, half-size 1) keep the homogeneous algebra well conditioned
    scale = max(h, w) / 2.0
    centre = np.array([w / 2.0, h / 2.0])
    p1 = (segments[:, :2] - centre) / scale
    p2 = (segments[:, 2:] - centre) / scale
    mids = (p1 + p2) / 2.0
    d = p2 - p1
    length = np.linalg.norm(d, axis=1) * scale
    dirs = d / (np.linalg.norm(d, axis=1, keepdims=True) + 1e-12)
    lines = np.cross(np.c_[p1, np.ones(len(p1))], np.c_[p2, np.ones(len(p2))])
    lines /= np.linalg.norm(lines[:, :2], axis=1, keepdims=True) + 1e-12
    thr = np.radians(threshold_deg)
    points = []
    free = np.ones(len(segments), bool)
    for k in range(max_points):
        idx = np.flatnonzero(free)
        if idx.size < 3:
            break
        prob = length[idx] / length[idx].sum()
        best, best_score = None, 0.0
        for _ in range(iterations):
            i, j = rng.choice(idx, 2, replace=False, p=prob)
            v = np.cross(lines[i], lines[j])
            nv = np.linalg.norm(v)
            if nv < 1e-12:
                continue
            v = v / nv
            inl = _segment_angles(v, mids[idx], dirs[idx]) < thr
            score = float(length[idx][inl].sum())
            if score > best_score:
                best, best_score = v, score
        if best is None or best_score < min_support:
            break
        inl = idx[_segment_angles(best, mids[idx], dirs[idx]) < thr]
        if inl.size < 3:
            break
        # least squares: the unit v minimising sum_i length_i (l_i . v)^2, then the inliers again
        for _ in range(2):
            A = lines[inl] * np.sqrt(length[inl])[:, None]
            v = np.linalg.svd(A)[2][-1]
            again = idx[_segment_angles(v, mids[idx], dirs[idx]) < thr]
            if again.size < 3:
                break
            inl = again
        # back to image coordinates: x_img = scale x_n + centre
        T = np.array([[scale, 0.0, centre[0]], [0.0, scale, centre[1]], [0.0, 0.0, 1.0]])
        vi = T @ v
        points.append(vi / np.linalg.norm(vi))
        labels[inl] = k
        free[inl] = False
    return (np.array(points) if points else np.zeros((0, 3))), labels


def direction_angle(v1: np.ndarray, v2: np.ndarray, shape: tuple[int, int], focal: float | None = None) -> float:
    """Angle in degrees between the 3D directions of two vanishing points, for a camera with the
    principal point at the image centre and focal length ``focal`` (default: the image width);
    a sign-free measure that is finite for points at infinity."""
    h, w = shape
    f = float(w if focal is None else focal)
    Kinv = np.array([[1 / f, 0, -w / (2 * f)], [0, 1 / f, -h / (2 * f)], [0, 0, 1.0]])
    a, b = Kinv @ np.asarray(v1, float), Kinv @ np.asarray(v2, float)
    cos = abs(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.degrees(np.arccos(np.clip(cos, 0.0, 1.0))))


# -- 3. planes --------------------------------------------------------------------------------

def rectifying_homography(v1: np.ndarray, v2: np.ndarray, origin: tuple[float, float]) -> np.ndarray | None:
    """The homography ``H`` that sends ``v1`` and ``v2`` to the points at infinity of the x and
    y axes and ``origin`` to (0, 0), with unit scale along both axes there (so near the origin
    a rectified unit is an image pixel); None when the vanishing points are (nearly) the same."""
    o = np.array([origin[0], origin[1], 1.0])
    cols = []
    for v in (v1, v2):
        step = np.asarray(v[:2], float) - v[2] * o[:2]
        n = np.linalg.norm(step)
        if n < 1e-12:
            return None
        cols.append(np.asarray(v, float) / n)
    Hinv = np.stack([cols[0], cols[1], o], axis=1)
    if abs(np.linalg.det(Hinv)) < 1e-12:
        return None
    H = np.linalg.inv(Hinv)
    return H / H[2, 2]


@dataclasses.dataclass
class PlaneModel:
    """What the guidance knows about the scene (full-resolution crop coordinates)."""

    segments: np.ndarray
    labels: np.ndarray
    points: np.ndarray  # vanishing points (k, 3)
    planes: list[tuple[int, int]]
    homographies: list[np.ndarray]  # rectifying H per plane; the fronto-parallel plane (last) is the identity
    probability: np.ndarray  # float32 (M + 1, H, W): the planes, then the fronto-parallel plane
    translations: list[np.ndarray]  # per plane (incl. fronto-parallel), (t, 2) in rectified px

    @property
    def has_planes(self) -> bool:
        return len(self.planes) > 0


def _density(segments: np.ndarray, shape: tuple[int, int], known: np.ndarray, sigma: float) -> np.ndarray:
    """Length-weighted density of ``segments``: their rasterised lines blurred by a Gaussian,
    normalised by the blurred known region (normalised convolution) and by its maximum."""
    h, w = shape
    canvas = np.zeros((h, w), np.float32)
    for x1, y1, x2, y2 in segments:
        cv2.line(canvas, (int(round(x1)), int(round(y1))), (int(round(x2)), int(round(y2))), 1.0, 1)
    blur = cv2.GaussianBlur(canvas, (0, 0), sigma)
    norm = cv2.GaussianBlur(known.astype(np.float32), (0, 0), sigma)
    dens = blur / np.maximum(norm, 0.05)
    top = float(dens.max())
    return dens / top if top > 0 else dens


FINE_SWEEPS = 1  # PatchMatch sweeps per EM iteration at full resolution (2 on coarser levels)
FRONTO_SUPPORT = 0.04  # constant support of the fronto-parallel plane (chosen here)
MIN_PLANE_ANGLE = 20.0  # degrees between a plane's two vanishing directions, at least


def plane_model(image: np.ndarray, hole: np.ndarray, *, detector: str = "auto", seed: int = 0,
                threshold_deg: float = 1.5) -> PlaneModel:
    """Segments, vanishing points, planes with their posterior per pixel, and each plane's
    dominant translations (Huang et al. 2014, sections 3-4) for a working image and its hole."""
    from .poisson import solve_guided

    h, w = hole.shape
    segments = detect_segments(image, hole, detector=detector, seed=seed)
    points, labels = vanishing_points(segments, (h, w), threshold_deg=threshold_deg, seed=seed)
    ys, xs = np.nonzero(hole)
    origin = (float(xs.mean()), float(ys.mean())) if ys.size else (w / 2.0, h / 2.0)
    planes, homs = [], []
    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            if direction_angle(points[i], points[j], (h, w)) < MIN_PLANE_ANGLE:
                continue
            H = rectifying_homography(points[i], points[j], origin)
            if H is not None:
                planes.append((i, j))
                homs.append(H)
    known = ~hole
    # the plane posteriors at a quarter of the resolution (smooth maps), then upsampled
    q = max(1, min(4, min(h, w) // 64))
    hs, ws = max(h // q, 1), max(w // q, 1)
    small_known = cv2.resize(known.astype(np.float32), (ws, hs), interpolation=cv2.INTER_AREA) > 0.5
    sigma = max(hs, ws) / 12.0
    dens = [_density(segments[labels == k] / q, (hs, ws), small_known, sigma) for k in range(len(points))]
    yy, xx = np.mgrid[0:hs, 0:ws].astype(np.float64) * q + (q - 1) / 2.0
    support = []
    for (i, j), H in zip(planes, homs):
        s = dens[i] * dens[j]
        zw = H[2, 0] * xx + H[2, 1] * yy + H[2, 2]  # beyond the plane's vanishing line: not on the plane
        support.append(np.where(zw > 1e-3, s, 0.0))
    support.append(np.full((hs, ws), FRONTO_SUPPORT))
    support = np.stack(support, axis=2)
    post = support / support.sum(axis=2, keepdims=True)
    small_hole = ~small_known
    if small_hole.any() and small_known.any() and len(planes):
        post = np.clip(solve_guided(post, small_hole), 0.0, None)  # Huang et al.: diffused into the hole
        post /= np.maximum(post.sum(axis=2, keepdims=True), 1e-9)
    prob = cv2.resize(post.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    prob = prob.reshape(h, w, -1).transpose(2, 0, 1)
    prob /= np.maximum(prob.sum(axis=0, keepdims=True), 1e-9)
    homs.append(np.eye(3))
    translations = [regular_translations(image, hole, H, prob[m], seed=seed) if m < len(planes)
                    else np.zeros((0, 2)) for m, H in enumerate(homs)]
    return PlaneModel(segments, labels, points, planes, homs, prob.astype(np.float32), translations)


# -- 4. regularity ----------------------------------------------------------------------------

def regular_translations(image: np.ndarray, hole: np.ndarray, H: np.ndarray, prob: np.ndarray, *,
                         count: int = 4, bin_px: float = 2.0, seed: int = 0) -> np.ndarray:
    """The dominant translations (t, 2) of one plane in its rectified frame: ORB features of the
    known region where the plane is likely (posterior > 0.5), each matched to its most similar
    others (Hamming distance), rectified displacements histogrammed in ``bin_px`` bins, smoothed,
    and the highest local maxima kept (at least 4 votes and 30 % of the highest)."""
    h, w = hole.shape
    gray = cv2.cvtColor(np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    region = ((~hole) & (prob > 0.5)).astype(np.uint8)
    region = cv2.erode(region, np.ones((15, 15), np.uint8))
    if region.sum() < 100:
        return np.zeros((0, 2))
    cv2.setRNGSeed(int(seed) % 2**31)
    orb = cv2.ORB_create(nfeatures=1500, edgeThreshold=15, patchSize=15)
    kps, des = orb.detectAndCompute(gray, region)
    if des is None or len(kps) < 8:
        return np.zeros((0, 2))
    pts = np.array([k.pt for k in kps], np.float64)
    hom = np.c_[pts, np.ones(len(pts))] @ H.T
    ok = hom[:, 2] > 1e-6
    rect = hom[:, :2] / np.where(ok, hom[:, 2], 1.0)[:, None]
    matches = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(des, des, k=min(6, len(kps)))
    disp = []
    for row in matches:
        for m in row:
            if m.queryIdx == m.trainIdx or m.distance > 48 or not (ok[m.queryIdx] and ok[m.trainIdx]):
                continue
            disp.append(rect[m.trainIdx] - rect[m.queryIdx])
    if len(disp) < 8:
        return np.zeros((0, 2))
    disp = np.array(disp)
    reach = float(max(h, w))
    disp = disp[(np.abs(disp) < reach).all(axis=1) & (np.hypot(disp[:, 0], disp[:, 1]) > 4.0)]
    if len(disp) < 8:
        return np.zeros((0, 2))
    n = int(2 * reach / bin_px) + 1
    idx = np.clip(((disp + reach) / bin_px).astype(int), 0, n - 1)
    hist = np.zeros((n, n), np.float32)
    np.add.at(hist, (idx[:, 1], idx[:, 0]), 1.0)
    hist = cv2.GaussianBlur(hist, (0, 0), 1.0)
    peaks = (hist == cv2.dilate(hist, np.ones((5, 5), np.uint8))) & (hist > 0)
    py, px = np.nonzero(peaks)
    values = hist[py, px]
    order = np.argsort(-values, kind="stable")
    top = float(values[order[0]]) if order.size else 0.0
    keep = [o for o in order if values[o] >= 0.3 * top]
    out = []
    for o in keep[: 2 * count]:
        sel = (np.abs(idx[:, 0] - px[o]) <= 1) & (np.abs(idx[:, 1] - py[o]) <= 1)
        if sel.sum() < 4:
            continue
        out.append(disp[sel].mean(axis=0))  # the mode's mean displacement, finer than a bin
        if len(out) == count:
            break
    return np.array(out).reshape(-1, 2)


# -- 5. guided completion ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Guidance:
    """Weights of Huang et al.'s guidance terms, in units of a patch SSD of 0.04 per value
    (chosen here), and their scales."""

    plane: float = 1.0  # -log P(m|s) - log P(m|t)
    regularity: float = 1.0  # distance of delta to a multiple of a dominant translation, truncated
    direction: float = 0.5  # min(|delta_u|, |delta_v|), truncated
    proximity: float = 0.5  # |s - t|^2 / (sigma_d(t)^2 + sigma_c^2)
    tau: float = 8.0  # truncation of the regularity and direction costs, rectified full-resolution px
    min_scale: float = 0.4  # a source patch may be this much smaller ...
    max_scale: float = 2.5  # ... or larger than its target (foreshortening)

    def scaled(self, factor: float) -> "Guidance":
        return dataclasses.replace(self, plane=self.plane * factor, regularity=self.regularity * factor,
                                   direction=self.direction * factor, proximity=self.proximity * factor)


@numba.njit(cache=True, fastmath=True, inline="always")
def _warp(Hinv, Hl, m, ddx, ddy, W):  # pragma: no cover
    """W = H^-1 T(delta) H = I + (H^-1 (dx, dy, 0)) h3^T, h3 the last row of H."""
    for k in range(3):
        u = Hinv[m, k, 0] * ddx + Hinv[m, k, 1] * ddy
        for j in range(3):
            W[k, j] = (1.0 if k == j else 0.0) + u * Hl[m, 2, j]


@numba.njit(cache=True, fastmath=True, inline="always")
def _affine_ssd(img, y, x, sx, sy, jxx, jxy, jyx, jyy, half, cutoff):  # pragma: no cover
    """SSD between the target patch at (y, x) and the source sampled bilinearly at
    ``s + J d``: the warp's affine approximation over one patch (its corners fix J)."""
    h, w, c = img.shape
    total = 0.0
    for dy in range(-half, half + 1):
        yy = y + dy
        if yy < 0 or yy >= h:
            continue
        for dx in range(-half, half + 1):
            xx = x + dx
            if xx < 0 or xx >= w:
                continue
            px = min(max(sx + jxx * dx + jxy * dy, 0.0), w - 1.0)
            py = min(max(sy + jyx * dx + jyy * dy, 0.0), h - 1.0)
            x0 = int(px)
            y0 = int(py)
            fx = px - x0
            fy = py - y0
            x1 = min(x0 + 1, w - 1)
            y1 = min(y0 + 1, h - 1)
            for k in range(c):
                v = ((1.0 - fx) * (1.0 - fy) * img[y0, x0, k] + fx * (1.0 - fy) * img[y0, x1, k]
                     + (1.0 - fx) * fy * img[y1, x0, k] + fx * fy * img[y1, x1, k])
                d = img[yy, xx, k] - v
                total += d * d
        if total >= cutoff:
            return total
    return total


@numba.njit(cache=True, fastmath=True)
def _evaluate(img, room, nlp, Hl, Hinv, trans, ntr, tok, depth2, i, y, x, m, ddx, ddy, half, gp, fronto, W,
              cutoff):  # pragma: no cover
    """Guidance + appearance cost of copying the patch at (y, x) on plane ``m`` from ``delta``
    away in the plane (inf when the warped source leaves the known region)."""
    lp, lr, ld, lx, tau, smin, smax, sigc2 = gp[0], gp[1], gp[2], gp[3], gp[4], gp[5], gp[6], gp[7]
    if not tok[i, m]:
        return np.inf
    _warp(Hinv, Hl, m, ddx, ddy, W)
    z = W[2, 0] * x + W[2, 1] * y + W[2, 2]
    if z <= 1e-6:
        return np.inf
    sx = (W[0, 0] * x + W[0, 1] * y + W[0, 2]) / z
    sy = (W[1, 0] * x + W[1, 1] * y + W[1, 2]) / z
    ext = 0.0
    jxx = jxy = jyx = jyy = 0.0
    for cy in (-half, half):
        for cx in (-half, half):
            qz = W[2, 0] * (x + cx) + W[2, 1] * (y + cy) + W[2, 2]
            if qz <= 1e-6:
                return np.inf
            qx = (W[0, 0] * (x + cx) + W[0, 1] * (y + cy) + W[0, 2]) / qz
            qy = (W[1, 0] * (x + cx) + W[1, 1] * (y + cy) + W[1, 2]) / qz
            ext = max(ext, abs(qx - sx), abs(qy - sy))
            jxx += cx * qx
            jxy += cy * qx
            jyx += cx * qy
            jyy += cy * qy
    if half > 0:  # least-squares affine fit to the four corners
        k = 1.0 / (4.0 * half * half)
        jxx, jxy, jyx, jyy = jxx * k, jxy * k, jyx * k, jyy * k
    if ext < half * smin - 1e-9 or ext > half * smax + 1e-9:
        return np.inf
    h, w = room.shape
    ry = int(np.floor(sy + 0.5))
    rx = int(np.floor(sx + 0.5))
    if ry < 0 or ry >= h or rx < 0 or rx >= w:
        return np.inf
    if room[ry, rx] < int(np.ceil(ext + max(abs(sy - ry), abs(sx - rx)) - 1e-6)) + 1:
        return np.inf
    g = lp * (nlp[m, ry, rx] + nlp[m, y, x])
    if m != fronto:
        g += ld * min(min(abs(ddx), abs(ddy)), tau) / tau
        if ntr[m] > 0:
            r = np.inf
            for k in range(ntr[m]):
                for j in (-2.0, -1.0, 1.0, 2.0):
                    r = min(r, np.hypot(ddx - j * trans[m, k, 0], ddy - j * trans[m, k, 1]))
            g += lr * min(r, tau) / tau
    g += lx * ((sx - x) ** 2 + (sy - y) ** 2) / (depth2[i] + sigc2)
    if g >= cutoff:
        return np.inf
    return g + _affine_ssd(img, y, x, sx, sy, jxx, jxy, jyx, jyy, half, cutoff - g)


@numba.njit(cache=True, inline="always")
def _draw_plane(cdf, i):  # pragma: no cover
    r = np.random.random()
    for m in range(cdf.shape[1]):
        if r <= cdf[i, m]:
            return m
    return cdf.shape[1] - 1


@numba.njit(cache=True, fastmath=True, inline="always")
def _delta_to(Hl, rt, i, m, sx, sy):  # pragma: no cover
    """delta that takes target i to source (sx, sy) in plane m's rectified frame (nan if behind)."""
    z = Hl[m, 2, 0] * sx + Hl[m, 2, 1] * sy + Hl[m, 2, 2]
    if z <= 1e-6:
        return np.nan, np.nan
    u = (Hl[m, 0, 0] * sx + Hl[m, 0, 1] * sy + Hl[m, 0, 2]) / z
    v = (Hl[m, 1, 0] * sx + Hl[m, 1, 1] * sy + Hl[m, 1, 2]) / z
    return u - rt[i, m, 0], v - rt[i, m, 1]


@numba.njit(cache=True, fastmath=True)
def _planar_patchmatch(img, room, nlp, Hl, Hinv, trans, ntr, tok, depth2, cdf, rt, ty, tx, index, delta, plane,
                       dist, fresh, vy, vx, half, iterations, gp):  # pragma: no cover
    """PatchMatch over (delta, plane) per target, in place."""
    h, w, _ = img.shape
    n = ty.size
    fronto = Hl.shape[0] - 1
    W = np.zeros((3, 3))
    for i in range(n):
        y, x = ty[i], tx[i]
        d = np.inf
        if not fresh[i]:
            d = _evaluate(img, room, nlp, Hl, Hinv, trans, ntr, tok, depth2, i, y, x, plane[i], delta[i, 0],
                          delta[i, 1], half, gp, fronto, W, np.inf)
        tries = 0
        while d == np.inf and tries < 32:
            j = np.random.randint(vy.size)
            m = _draw_plane(cdf, i) if tries < 31 else fronto
            ddx, ddy = _delta_to(Hl, rt, i, m, vx[j], vy[j])
            if ddx == ddx:
                d = _evaluate(img, room, nlp, Hl, Hinv, trans, ntr, tok, depth2, i, y, x, m, ddx, ddy, half, gp,
                              fronto, W, np.inf)
                if d < np.inf:
                    delta[i, 0], delta[i, 1], plane[i] = ddx, ddy, m
            tries += 1
        dist[i] = d
    max_radius = max(h, w)
    for it in range(iterations):
        forward = it % 2 == 0
        step = 1 if forward else -1
        for k in range(n):
            i = k if forward else n - 1 - k
            y, x = ty[i], tx[i]
            bx, by, bm, bd = delta[i, 0], delta[i, 1], plane[i], dist[i]
            # propagation: a neighbour's translation in its plane
            for axis in range(2):
                py = y - step if axis == 0 else y
                px = x - step if axis == 1 else x
                if py < 0 or py >= h or px < 0 or px >= w:
                    continue
                j = index[py, px]
                if j < 0 or (plane[j] == bm and delta[j, 0] == bx and delta[j, 1] == by):
                    continue
                d = _evaluate(img, room, nlp, Hl, Hinv, trans, ntr, tok, depth2, i, y, x, plane[j], delta[j, 0],
                              delta[j, 1], half, gp, fronto, W, bd)
                if d < bd:
                    bx, by, bm, bd = delta[j, 0], delta[j, 1], plane[j], d
            # the current source seen on another plane
            _warp(Hinv, Hl, bm, bx, by, W)
            z = W[2, 0] * x + W[2, 1] * y + W[2, 2]
            sx = (W[0, 0] * x + W[0, 1] * y + W[0, 2]) / z
            sy = (W[1, 0] * x + W[1, 1] * y + W[1, 2]) / z
            m = _draw_plane(cdf, i)
            if m != bm:
                ddx, ddy = _delta_to(Hl, rt, i, m, sx, sy)
                if ddx == ddx:
                    d = _evaluate(img, room, nlp, Hl, Hinv, trans, ntr, tok, depth2, i, y, x, m, ddx, ddy, half,
                                  gp, fronto, W, bd)
                    if d < bd:
                        bx, by, bm, bd = ddx, ddy, m, d
            # a jump by one of the plane's dominant translations
            if ntr[bm] > 0:
                for _ in range(2):
                    kk = np.random.randint(ntr[bm])
                    sgn = 1.0 if np.random.random() < 0.5 else -1.0
                    ddx, ddy = bx + sgn * trans[bm, kk, 0], by + sgn * trans[bm, kk, 1]
                    d = _evaluate(img, room, nlp, Hl, Hinv, trans, ntr, tok, depth2, i, y, x, bm, ddx, ddy, half,
                                  gp, fronto, W, bd)
                    if d < bd:
                        bx, by, bd = ddx, ddy, d
            # random search around the source, in windows halving in size
            _warp(Hinv, Hl, bm, bx, by, W)
            z = W[2, 0] * x + W[2, 1] * y + W[2, 2]
            sx = (W[0, 0] * x + W[0, 1] * y + W[0, 2]) / z
            sy = (W[1, 0] * x + W[1, 1] * y + W[1, 2]) / z
            radius = max_radius
            while radius >= 1:
                cx = sx + np.random.randint(-radius, radius + 1)
                cy = sy + np.random.randint(-radius, radius + 1)
                m = bm if np.random.random() < 0.75 else _draw_plane(cdf, i)
                radius //= 2
                ddx, ddy = _delta_to(Hl, rt, i, m, cx, cy)
                if ddx != ddx:
                    continue
                d = _evaluate(img, room, nlp, Hl, Hinv, trans, ntr, tok, depth2, i, y, x, m, ddx, ddy, half, gp,
                              fronto, W, bd)
                if d < bd:
                    bx, by, bm, bd = ddx, ddy, m, d
                    sx, sy = cx, cy
            delta[i, 0], delta[i, 1], plane[i], dist[i] = bx, by, bm, bd


def _matrices(delta, plane, Hl, Hinv, ty, tx) -> np.ndarray:
    """Per-target 3x3 matrices for :func:`inpaint_core.melding.vote_warped`: offset (dx, dy) ->
    source W (tx + dx, ty + dy, 1), W = H^-1 T(delta) H."""
    u = np.einsum("nkj,nj->nk", Hinv[plane][:, :, :2], delta)
    W = np.eye(3)[None] + u[:, :, None] * Hl[plane][:, 2, None, :]
    M = W.copy()
    M[:, :, 2] = W[:, :, 0] * tx[:, None] + W[:, :, 1] * ty[:, None] + W[:, :, 2]
    return M


def planar_complete(image, hole, model: PlaneModel, *, patch_size=7, levels=4, iterations=5, seed=0,
                    guidance: Guidance = Guidance(), gamma: float = 1.3, progress=None):
    """Wexler et al.'s multi-scale EM with plane-warped patches and Huang et al.'s guidance;
    see :class:`inpaint_core.methods.patch_based.PlanarGuidance`. Returns (image, field of the
    finest level as (delta, plane, ty, tx))."""
    from .melding import NoSourcePatch, chebyshev_room, vote_warped
    from .fast_marching import telea_fill
    from .patchmatch import masked_pyramid

    half = patch_size // 2
    h0, w0 = hole.shape
    pyramid = masked_pyramid(image, hole, levels, patch_size)
    n_levels = len(pyramid)
    homs = np.array(model.homographies)
    n_planes = len(homs)
    ntr = np.array([len(t) for t in model.translations], np.int64)
    trans = np.zeros((n_planes, max(int(ntr.max()), 1), 2))
    for m, t in enumerate(model.translations):
        trans[m, : len(t)] = t
    unit = patch_size * patch_size * image.shape[2] * 0.04 ** 2
    current, prev = None, None
    total_steps = sum(iterations + (2 if k == n_levels - 1 else 0) for k in range(n_levels))
    done = 0
    for level in range(n_levels - 1, -1, -1):
        base, lhole = pyramid[level]
        h, w = lhole.shape
        S = np.diag([w0 / w, h0 / h, 1.0])
        Hl = np.ascontiguousarray(homs @ S)
        Hinv = np.ascontiguousarray(np.linalg.inv(Hl))
        prob = np.stack([cv2.resize(p, (w, h), interpolation=cv2.INTER_AREA) for p in model.probability])
        nlp = -np.log(np.maximum(prob.astype(np.float64), 1e-3))
        targets = cv2.dilate(lhole.astype(np.uint8), np.ones((patch_size, patch_size), np.uint8)).astype(bool)
        ty, tx = (a.astype(np.int64) for a in np.nonzero(targets))
        n = ty.size
        index = np.full((h, w), -1, np.int64)
        index[ty, tx] = np.arange(n)
        depth = cv2.distanceTransform(lhole.astype(np.uint8), cv2.DIST_L2, 3)
        alpha = gamma ** (-depth[ty, tx].astype(np.float64))
        hom = np.einsum("mkj,nj->nmk", Hl, np.c_[tx, ty, np.ones(n)])
        tok = np.ascontiguousarray(hom[:, :, 2] > 1e-6)
        rt = np.ascontiguousarray(hom[:, :, :2] / np.where(tok, hom[:, :, 2], 1.0)[:, :, None])
        pt = prob[:, ty, tx].T.astype(np.float64) * tok
        pt[:, -1] = np.maximum(pt[:, -1], 1e-6)
        cdf = np.ascontiguousarray(np.cumsum(pt / pt.sum(axis=1, keepdims=True), axis=1))
        room = chebyshev_room(~lhole)
        vy, vx = (a.astype(np.float64) for a in np.nonzero(room >= half + 1))
        if vy.size == 0:
            raise NoSourcePatch("no fully known source patch at this level")
        gp = np.array([guidance.plane * unit, guidance.regularity * unit, guidance.direction * unit,
                       guidance.proximity * unit, guidance.tau, guidance.min_scale, guidance.max_scale,
                       (max(h, w) / 8.0) ** 2])
        depth2 = depth[ty, tx].astype(np.float64) ** 2
        delta = np.zeros((n, 2))
        plane = np.full(n, n_planes - 1, np.int64)
        fresh = np.ones(n, np.bool_)
        img = base.copy()
        if prev is None:
            img = telea_fill(img, lhole)
        else:
            pdelta, pplane, pindex = prev
            hc, wc = pindex.shape
            parent = pindex[np.minimum(ty * hc // h, hc - 1), np.minimum(tx * wc // w, wc - 1)]
            has = parent >= 0
            delta[has], plane[has] = pdelta[parent[has]], pplane[parent[has]]  # delta is in full-resolution units
            fresh[has] = False
            up = cv2.resize(current, (w, h), interpolation=cv2.INTER_LINEAR)
            img[lhole] = up[lhole]
            img = vote_warped(img, lhole, ty[has], tx[has], _matrices(delta[has], plane[has], Hl, Hinv, ty[has], tx[has]),
                              alpha[has] + 1e-10, half)
        dist = np.full(n, np.inf)
        n_iter = iterations + (2 if level == n_levels - 1 else 0)
        for it in range(n_iter):
            seed_numba(int(np.random.SeedSequence([seed, level, it]).generate_state(1)[0]))
            _planar_patchmatch(np.ascontiguousarray(img, np.float32), room, nlp, Hl, Hinv, trans, ntr, tok, depth2,
                               cdf, rt, ty, tx, index, delta, plane, dist, fresh, vy, vx, half,
                               4 if (it == 0 and prev is None) else (FINE_SWEEPS if level == 0 else 2), gp)
            fresh[:] = False
            finite = np.isfinite(dist)
            sigma2 = max(float(np.max(dist[finite])) if finite.any() else 1.0, 1e-8)
            weights = np.where(finite, alpha * np.exp(-np.where(finite, dist, 0.0) / (2.0 * sigma2)), 0.0) + 1e-10
            img = vote_warped(img, lhole, ty, tx, _matrices(delta, plane, Hl, Hinv, ty, tx), weights, half)
            done += 1
            if progress is not None:
                progress(done / total_steps, f"level {n_levels - level}/{n_levels}, EM iteration {it + 1}/{n_iter}")
        prev = (delta, plane, index)
        current = img
    return current, (delta, plane, ty, tx)
