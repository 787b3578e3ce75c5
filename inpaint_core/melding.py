"""Image melding: completion with the generalized PatchMatch and a gradient-domain vote.

Darabi, Shechtman, Barnes, Goldman and Sen, "Image Melding: Combining Inconsistent Images
using Patch-based Synthesis", ACM TOG 31(4) (SIGGRAPH), 2012,
https://doi.org/10.1145/2185520.2185578, on the generalized PatchMatch of Barnes, Shechtman,
Goldman and Finkelstein, "The Generalized PatchMatch Correspondence Algorithm", ECCV 2010,
https://doi.org/10.1007/978-3-642-15558-1_3.

Each target patch (a patch touching the hole) is matched to a *transformed* source patch:
centre ``c`` (sub-pixel), rotation ``theta``, uniform scale ``s`` and an optional mirror, so
that the target pixel at offset ``d`` from the patch centre is compared with the source
sampled bilinearly at ``c + s R(theta) F d``. Per channel, the source is also corrected by a
gain and a bias (``g = sigma_t / sigma_s``, ``b = mu_t - g mu_s``, both clamped, as in the
paper), and the distance adds the squared differences of the patches' gradients to the
squared differences of their colours. The search is PatchMatch's: random initialisation,
propagation of a neighbour's transform (its centre moved by the transformed one-pixel step)
and random search in windows that shrink in position, angle and log-scale together.

The reconstruction votes both colours and gradients (the differences between neighbouring
pixels of the transformed, gain-corrected source patches) and solves the screened Poisson
equation of :class:`inpaint_core.poisson.ScreenedPoisson` on the hole, inside the multi-scale
EM loop of Wexler et al. 2007 (:func:`inpaint_core.methods.patch_based.wexler_complete`).

The hot loops are numba kernels (single thread: the same seed gives the same result).
:func:`vote_warped` votes patches warped by any per-patch 3x3 matrix and is shared with the
planar structure guidance (:mod:`inpaint_core.planar`).
"""

from __future__ import annotations

import cv2
import numba
import numpy as np

from .patchmatch import seed_numba
from .poisson import ScreenedPoisson

__all__ = ["meld_complete", "vote_warped", "chebyshev_room", "transform_matrices", "NoSourcePatch", "GAIN_RANGE",
           "BIAS_RANGE"]

GAIN_RANGE = (0.8, 1.25)  # per-channel gain of a source patch, clamped (chosen here)
BIAS_RANGE = (-0.1, 0.1)  # per-channel bias, on the [0, 1] scale (chosen here)


class NoSourcePatch(ValueError):
    """A pyramid level has no fully known patch to copy from (tiny image or huge hole)."""


FINE_SWEEPS = 1  # generalized PatchMatch sweeps per EM iteration at full resolution (2 on coarser levels)


def chebyshev_room(known: np.ndarray) -> np.ndarray:
    """For every pixel, 1 + the largest ``r`` such that the square of half-side ``r`` around it
    lies inside the image and on ``known`` pixels (0 on unknown pixels): a patch of half-side
    ``half`` fits at a pixel exactly when its value is at least ``half + 1``."""
    padded = np.pad(np.asarray(known, np.uint8), 1)
    dist = cv2.distanceTransform(padded, cv2.DIST_C, 3)[1:-1, 1:-1]
    return np.round(dist).astype(np.int32)


# -- kernels ----------------------------------------------------------------------------------

@numba.njit(cache=True, fastmath=True, inline="always")
def _affine(theta, log_scale, flip):  # pragma: no cover
    """(a00, a01, a10, a11) of s R(theta) F: source offset (ox, oy) = (a00 dx + a01 dy, a10 dx + a11 dy)."""
    s = 2.0 ** log_scale
    c, n = np.cos(theta) * s, np.sin(theta) * s
    f = -1.0 if flip else 1.0
    return c * f, -n, n * f, c


@numba.njit(cache=True, fastmath=True, inline="always")
def _fits(room, cy, cx, a00, a01, a10, a11, half):  # pragma: no cover
    """Whether every pixel the bilinear samples of the transformed patch read is known."""
    h, w = room.shape
    ry = int(np.floor(cy + 0.5))
    rx = int(np.floor(cx + 0.5))
    if ry < 0 or ry >= h or rx < 0 or rx >= w:
        return False
    ext = half * max(abs(a00) + abs(a01), abs(a10) + abs(a11))
    d = max(abs(cy - ry), abs(cx - rx))
    return room[ry, rx] >= int(np.ceil(ext + d - 1e-6)) + 1


@numba.njit(cache=True, fastmath=True, inline="always")
def _gain_bias(mean, std, y, x, cy, cx, gain, bias, gmin, gmax, bmin, bmax):  # pragma: no cover
    """Darabi et al.'s per-channel gain and bias from the patches' means and deviations (box
    statistics at the target centre and at the source centre's nearest pixel), clamped."""
    ry = int(np.floor(cy + 0.5))
    rx = int(np.floor(cx + 0.5))
    for k in range(mean.shape[2]):
        g = std[y, x, k] / max(std[ry, rx, k], 1e-4)
        g = min(max(g, gmin), gmax)
        b = mean[y, x, k] - g * mean[ry, rx, k]
        bias[k] = min(max(b, bmin), bmax)
        gain[k] = g


@numba.njit(cache=True, fastmath=True, inline="always")
def _cost(img, wmap, y, x, cy, cx, a00, a01, a10, a11, gain, bias, half, lam, cutoff, rowbuf, rowok):  # pragma: no cover
    """Colour + ``lam`` x gradient SSD between the target patch at (y, x) and the gain / bias
    corrected source sampled bilinearly at ``c + A d``, over the target pixels with nonzero
    ``wmap``; gradients are differences of neighbouring residuals. Stops early (>= cutoff)
    once ``cutoff`` is passed."""
    h, w, c = img.shape
    size = 2 * half + 1
    for j in range(size):
        rowok[j] = False
    total = 0.0
    for dy in range(-half, half + 1):
        yy = y + dy
        if yy < 0 or yy >= h:
            for j in range(size):
                rowok[j] = False
            continue
        left_ok = False
        for dx in range(-half, half + 1):
            j = dx + half
            xx = x + dx
            if xx < 0 or xx >= w or wmap[yy, xx] == 0.0:
                rowok[j] = False
                left_ok = False
                continue
            sx = cx + a00 * dx + a01 * dy
            sy = cy + a10 * dx + a11 * dy
            x0 = int(np.floor(sx))
            y0 = int(np.floor(sy))
            fx = sx - x0
            fy = sy - y0
            x1 = min(x0 + 1, w - 1)
            y1 = min(y0 + 1, h - 1)
            w00 = (1.0 - fx) * (1.0 - fy)
            w01 = fx * (1.0 - fy)
            w10 = (1.0 - fx) * fy
            w11 = fx * fy
            s = 0.0
            g = 0.0
            for k in range(c):
                v = w00 * img[y0, x0, k] + w01 * img[y0, x1, k] + w10 * img[y1, x0, k] + w11 * img[y1, x1, k]
                r = img[yy, xx, k] - (gain[k] * v + bias[k])
                s += r * r
                if left_ok:
                    t = r - rowbuf[j - 1, k]
                    g += t * t
                if rowok[j]:
                    t = r - rowbuf[j, k]
                    g += t * t
                rowbuf[j, k] = r
            total += s + lam * g
            rowok[j] = True
            left_ok = True
        if total >= cutoff:
            return total
    return total


@numba.njit(cache=True, fastmath=True, inline="always")
def _evaluate(img, wmap, room, mean, std, y, x, cy, cx, theta, log_scale, flip, half, lam, gmin, gmax, bmin, bmax,
              cutoff, gain, bias, rowbuf, rowok):  # pragma: no cover
    a00, a01, a10, a11 = _affine(theta, log_scale, flip)
    if not _fits(room, cy, cx, a00, a01, a10, a11, half):
        return np.inf
    _gain_bias(mean, std, y, x, cy, cx, gain, bias, gmin, gmax, bmin, bmax)
    return _cost(img, wmap, y, x, cy, cx, a00, a01, a10, a11, gain, bias, half, lam, cutoff, rowbuf, rowok)


@numba.njit(cache=True, fastmath=True)
def _generalized_patchmatch(img, wmap, room, mean, std, ty, tx, index, cy, cx, th, ls, fl, gains, biases, dist,
                            vy, vx, half, iterations, rot, lsr, allow_flip, lam, gmin, gmax, bmin, bmax,
                            do_init):  # pragma: no cover
    """Generalized PatchMatch in place over the targets (ty, tx): state (cy, cx, th, ls, fl) per
    target, with its gain / bias and distance; target pixels count with weight ``wmap``."""
    h, w, c = img.shape
    n = ty.size
    size = 2 * half + 1
    rowbuf = np.zeros((size, c))
    rowok = np.zeros(size, np.bool_)
    gain = np.ones(c)
    bias = np.zeros(c)
    transforms = rot > 0.0 or lsr > 0.0 or allow_flip

    # initialisation: keep a state that still fits, else draw one at random
    for i in range(n):
        y, x = ty[i], tx[i]
        d = np.inf
        if not do_init:
            d = _evaluate(img, wmap, room, mean, std, y, x, cy[i], cx[i], th[i], ls[i], fl[i], half, lam,
                          gmin, gmax, bmin, bmax, np.inf, gain, bias, rowbuf, rowok)
        tries = 0
        while d == np.inf and tries < 32:
            j = np.random.randint(vy.size)
            cy[i], cx[i] = vy[j], vx[j]
            th[i] = (2.0 * np.random.random() - 1.0) * rot
            ls[i] = (2.0 * np.random.random() - 1.0) * lsr
            fl[i] = allow_flip and np.random.random() < 0.5
            if tries == 31:  # last resort: the untransformed patch there always fits
                th[i], ls[i], fl[i] = 0.0, 0.0, False
            d = _evaluate(img, wmap, room, mean, std, y, x, cy[i], cx[i], th[i], ls[i], fl[i], half, lam,
                          gmin, gmax, bmin, bmax, np.inf, gain, bias, rowbuf, rowok)
            tries += 1
        dist[i] = d
        for k in range(c):
            gains[i, k] = gain[k]
            biases[i, k] = bias[k]

    max_radius = max(h, w)
    for it in range(iterations):
        forward = it % 2 == 0
        step = 1 if forward else -1
        for k in range(n):
            i = k if forward else n - 1 - k
            y, x = ty[i], tx[i]
            bcy, bcx, bth, bls, bfl, bd = cy[i], cx[i], th[i], ls[i], fl[i], dist[i]
            changed = False
            # propagation: the neighbour's transform, its centre moved by the transformed step
            for axis in range(2):
                py = y - step if axis == 0 else y
                px = x - step if axis == 1 else x
                if py < 0 or py >= h or px < 0 or px >= w:
                    continue
                j = index[py, px]
                if j < 0:
                    continue
                a00, a01, a10, a11 = _affine(th[j], ls[j], fl[j])
                ex, ey = x - px, y - py
                ccy = cy[j] + a10 * ex + a11 * ey
                ccx = cx[j] + a00 * ex + a01 * ey
                if (abs(ccy - bcy) < 1e-6 and abs(ccx - bcx) < 1e-6 and th[j] == bth and ls[j] == bls
                        and fl[j] == bfl):
                    continue  # the neighbour agrees already (a coherent field)
                d = _evaluate(img, wmap, room, mean, std, y, x, ccy, ccx, th[j], ls[j], fl[j], half, lam,
                              gmin, gmax, bmin, bmax, bd, gain, bias, rowbuf, rowok)
                if d < bd:
                    bcy, bcx, bth, bls, bfl, bd = ccy, ccx, th[j], ls[j], fl[j], d
                    changed = True
                    for q in range(c):
                        gains[i, q] = gain[q]
                        biases[i, q] = bias[q]
            # a new orientation and scale in place
            if transforms:
                cth = (2.0 * np.random.random() - 1.0) * rot
                cls = (2.0 * np.random.random() - 1.0) * lsr
                cfl = bfl
                if allow_flip and np.random.random() < 0.5:
                    cfl = not bfl
                d = _evaluate(img, wmap, room, mean, std, y, x, bcy, bcx, cth, cls, cfl, half, lam,
                              gmin, gmax, bmin, bmax, bd, gain, bias, rowbuf, rowok)
                if d < bd:
                    bth, bls, bfl, bd = cth, cls, cfl, d
                    changed = True
                    for q in range(c):
                        gains[i, q] = gain[q]
                        biases[i, q] = bias[q]
            # random search in windows shrinking in position, angle and log-scale together
            radius = max_radius
            while radius >= 1:
                frac = radius / max_radius
                ccy = bcy + np.random.randint(-radius, radius + 1)
                ccx = bcx + np.random.randint(-radius, radius + 1)
                cth = min(max(bth + (2.0 * np.random.random() - 1.0) * rot * frac, -rot), rot)
                cls = min(max(bls + (2.0 * np.random.random() - 1.0) * lsr * frac, -lsr), lsr)
                cfl = bfl
                if allow_flip and np.random.random() < 0.25:
                    cfl = not bfl
                radius //= 2
                d = _evaluate(img, wmap, room, mean, std, y, x, ccy, ccx, cth, cls, cfl, half, lam,
                              gmin, gmax, bmin, bmax, bd, gain, bias, rowbuf, rowok)
                if d < bd:
                    bcy, bcx, bth, bls, bfl, bd = ccy, ccx, cth, cls, cfl, d
                    changed = True
                    for q in range(c):
                        gains[i, q] = gain[q]
                        biases[i, q] = bias[q]
            if changed:
                cy[i], cx[i], th[i], ls[i], fl[i], dist[i] = bcy, bcx, bth, bls, bfl, bd


@numba.njit(cache=True, fastmath=True)
def _vote_warped(img, hole, ty, tx, mats, gains, biases, weights, half, with_gradients):  # pragma: no cover
    h, w, c = img.shape
    size = 2 * half + 1
    acc = np.zeros((h, w, c))
    wsum = np.zeros((h, w))
    gx = np.zeros((h, w, c))
    wgx = np.zeros((h, w))
    gy = np.zeros((h, w, c))
    wgy = np.zeros((h, w))
    buf = np.zeros((size, size, c))
    inside = np.zeros((size, size), np.bool_)
    for i in range(ty.size):
        wt = weights[i]
        if wt <= 0.0:
            continue
        y, x = ty[i], tx[i]
        m = mats[i]
        for dy in range(-half, half + 1):
            for dx in range(-half, half + 1):
                a, b = dy + half, dx + half
                yy, xx = y + dy, x + dx
                inside[a, b] = yy >= 0 and yy < h and xx >= 0 and xx < w
                if not inside[a, b]:
                    continue
                zw = m[2, 0] * dx + m[2, 1] * dy + m[2, 2]
                sx = (m[0, 0] * dx + m[0, 1] * dy + m[0, 2]) / zw
                sy = (m[1, 0] * dx + m[1, 1] * dy + m[1, 2]) / zw
                sx = min(max(sx, 0.0), w - 1.0)
                sy = min(max(sy, 0.0), h - 1.0)
                x0 = int(np.floor(sx))
                y0 = int(np.floor(sy))
                fx = sx - x0
                fy = sy - y0
                x1 = min(x0 + 1, w - 1)
                y1 = min(y0 + 1, h - 1)
                for k in range(c):
                    v = ((1.0 - fx) * (1.0 - fy) * img[y0, x0, k] + fx * (1.0 - fy) * img[y0, x1, k]
                         + (1.0 - fx) * fy * img[y1, x0, k] + fx * fy * img[y1, x1, k])
                    buf[a, b, k] = gains[i, k] * v + biases[i, k]
                if hole[yy, xx]:
                    for k in range(c):
                        acc[yy, xx, k] += wt * buf[a, b, k]
                    wsum[yy, xx] += wt
        if not with_gradients:
            continue
        for a in range(size):
            for b in range(size):
                if not inside[a, b]:
                    continue
                yy, xx = y + a - half, x + b - half
                if b + 1 < size and inside[a, b + 1] and (hole[yy, xx] or hole[yy, xx + 1]):
                    for k in range(c):
                        gx[yy, xx, k] += wt * (buf[a, b + 1, k] - buf[a, b, k])
                    wgx[yy, xx] += wt
                if a + 1 < size and inside[a + 1, b] and (hole[yy, xx] or hole[yy + 1, xx]):
                    for k in range(c):
                        gy[yy, xx, k] += wt * (buf[a + 1, b, k] - buf[a, b, k])
                    wgy[yy, xx] += wt
    return acc, wsum, gx, wgx, gy, wgy


def vote_warped(image, hole, ty, tx, mats, weights, half, gains=None, biases=None, *, gradients=False):
    """Wexler's vote with warped patches: the target pixel at offset ``(dx, dy)`` from target
    centre ``i`` (patches of side ``2 half + 1``) receives the source sampled bilinearly at
    ``mats[i] @ (dx, dy, 1)`` (a 3x3 matrix per patch, dehomogenised, giving (x, y)), times ``gains[i]`` plus ``biases[i]``, weighted by
    ``weights[i]``.

    Returns the voted image (hole pixels replaced where any patch voted) and, with
    ``gradients=True``, the voted differences ``gx`` (``u[y, x+1] - u[y, x]``) and ``gy``
    (``u[y+1, x] - u[y, x]``) on the edges touching the hole, the image's own differences
    where no patch voted."""
    img = np.ascontiguousarray(image, np.float32)
    c = img.shape[2]
    n = len(ty)
    gains = np.ones((n, c)) if gains is None else np.ascontiguousarray(gains, np.float64)
    biases = np.zeros((n, c)) if biases is None else np.ascontiguousarray(biases, np.float64)
    acc, wsum, gx, wgx, gy, wgy = _vote_warped(
        img, np.ascontiguousarray(hole, np.bool_), np.asarray(ty, np.int64), np.asarray(tx, np.int64),
        np.ascontiguousarray(mats, np.float64), gains, biases, np.ascontiguousarray(weights, np.float64),
        int(half), bool(gradients))
    out = img.astype(np.float64)
    voted = hole & (wsum > 0)
    out[voted] = acc[voted] / wsum[voted][:, None]
    if not gradients:
        return out.astype(np.float32)
    own_x = np.zeros_like(out)
    own_x[:, :-1] = out[:, 1:] - out[:, :-1]
    own_y = np.zeros_like(out)
    own_y[:-1] = out[1:] - out[:-1]
    gx = np.where(wgx[..., None] > 0, gx / np.maximum(wgx, 1e-12)[..., None], own_x)
    gy = np.where(wgy[..., None] > 0, gy / np.maximum(wgy, 1e-12)[..., None], own_y)
    return out.astype(np.float32), gx, gy


# -- the completion ---------------------------------------------------------------------------

def transform_matrices(cy, cx, theta, log_scale, flip) -> np.ndarray:
    """Per-patch 3x3 matrices for :func:`vote_warped` from (centre, angle in radians, log2 scale,
    mirror): target offset (dx, dy) -> source (x, y) = c + s R(theta) F (dx, dy)."""
    s = np.exp2(log_scale)
    c, n = np.cos(theta) * s, np.sin(theta) * s
    f = np.where(flip, -1.0, 1.0)
    mats = np.zeros((len(cy), 3, 3))
    mats[:, 0, 0], mats[:, 0, 1], mats[:, 0, 2] = c * f, -n, cx
    mats[:, 1, 0], mats[:, 1, 1], mats[:, 1, 2] = n * f, c, cy
    mats[:, 2, 2] = 1.0
    return mats


def _box_stats(img: np.ndarray, patch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of every pixel's ``patch_size`` box."""
    k = (patch_size, patch_size)
    mean = cv2.boxFilter(img, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)
    sq = cv2.boxFilter(img * img, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)
    return mean.astype(np.float64), np.sqrt(np.maximum(sq - mean * mean, 0.0)).astype(np.float64)


class _Field:
    """The generalized nearest-neighbour field of one level: a transform per target centre."""

    def __init__(self, ty, tx, shape, channels):
        n = ty.size
        self.ty, self.tx = ty, tx
        self.index = np.full(shape, -1, np.int64)
        self.index[ty, tx] = np.arange(n)
        self.cy, self.cx = np.zeros(n), np.zeros(n)
        self.th, self.ls = np.zeros(n), np.zeros(n)
        self.fl = np.zeros(n, np.bool_)
        self.gain, self.bias = np.ones((n, channels)), np.zeros((n, channels))
        self.dist = np.full(n, np.inf)
        self.fresh = np.ones(n, np.bool_)  # no state yet: draw one at random

    _STATE = ("cy", "cx", "th", "ls", "fl", "gain", "bias", "dist", "fresh")

    def subset(self, keep: np.ndarray) -> "_Field":
        """The targets ``keep`` (a boolean selection), as a field of their own."""
        sub = _Field.__new__(_Field)
        sub.ty, sub.tx = self.ty[keep], self.tx[keep]
        sub.index = np.full(self.index.shape, -1, np.int64)
        sub.index[sub.ty, sub.tx] = np.arange(sub.ty.size)
        for name in self._STATE:
            setattr(sub, name, getattr(self, name)[keep].copy())
        return sub

    def update(self, keep: np.ndarray, sub: "_Field") -> None:
        for name in self._STATE:
            getattr(self, name)[keep] = getattr(sub, name)

    def upsampled(self, ty, tx, shape, channels) -> "_Field":
        """The finer level's field: each fine centre takes its parent's transform, the parent's
        centre scaled up and moved by the transformed offset from the parent (Barnes et al.)."""
        fine = _Field(ty, tx, shape, channels)
        h, w = shape
        hc, wc = self.index.shape
        py, px = np.minimum(ty * hc // h, hc - 1), np.minimum(tx * wc // w, wc - 1)
        parent = self.index[py, px]
        has = parent >= 0
        j = parent[has]
        s = np.exp2(self.ls[j])
        c, n = np.cos(self.th[j]) * s, np.sin(self.th[j]) * s
        f = np.where(self.fl[j], -1.0, 1.0)
        ey, ex = ty[has] - py[has] * h // hc, tx[has] - px[has] * w // wc
        fine.cy[has] = np.round(self.cy[j] * h / hc) + n * f * ex + c * ey
        fine.cx[has] = np.round(self.cx[j] * w / wc) + c * f * ex - n * ey
        fine.th[has], fine.ls[has], fine.fl[has] = self.th[j], self.ls[j], self.fl[j]
        fine.gain[has], fine.bias[has] = self.gain[j], self.bias[j]
        fine.dist[has] = 0.0
        fine.fresh[has] = False  # a fine centre without a parent is drawn at random
        return fine

    def matrices(self) -> np.ndarray:
        return transform_matrices(self.cy, self.cx, self.th, self.ls, self.fl)

    def vote_weights(self, alpha: np.ndarray) -> np.ndarray:
        """Wexler's vote weights, ``alpha exp(-d / 2 sigma^2)``, sigma^2 the largest distance."""
        d = self.dist
        finite = np.isfinite(d)
        sigma2 = max(float(np.max(d[finite])) if finite.any() else 1.0, 1e-8)
        return np.where(finite, alpha * np.exp(-np.where(finite, d, 0.0) / (2.0 * sigma2)), 0.0) + 1e-10


class _Search:
    """What the generalized PatchMatch of one level needs besides the field."""

    def __init__(self, hole, patch_size, rotation, scale_range, reflection, gradient_weight, seed, level):
        self.half = patch_size // 2
        self.patch_size = patch_size
        self.room = chebyshev_room(~hole)
        self.vy, self.vx = (a.astype(np.float64) for a in np.nonzero(self.room >= self.half + 1))
        self.params = (float(np.radians(rotation)), float(scale_range), bool(reflection), float(gradient_weight),
                       *GAIN_RANGE, *BIAS_RANGE)
        self.seed, self.level, self.calls = seed, level, 0

    def run(self, img, wmap, field, iterations):
        """Search ``field`` in place against ``img``, target pixels weighted by ``wmap``."""
        if wmap is None:
            mean, std = _box_stats(img, self.patch_size)
        else:  # statistics of the weighted pixels only
            k = (self.patch_size, self.patch_size)
            wsum = np.maximum(cv2.boxFilter(wmap, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT), 1e-6)[..., None]
            mean = cv2.boxFilter(img * wmap[..., None], cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT) / wsum
            sq = cv2.boxFilter(img * img * wmap[..., None], cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT) / wsum
            mean, std = mean.astype(np.float64), np.sqrt(np.maximum(sq - mean * mean, 0.0)).astype(np.float64)
        if wmap is None:
            wmap = np.ones(img.shape[:2], np.float32)
        seed_numba(int(np.random.SeedSequence([self.seed, self.level, self.calls]).generate_state(1)[0]))
        self.calls += 1
        rot, lsr, flip, lam, gmin, gmax, bmin, bmax = self.params
        fresh = bool(field.fresh.all())
        if not fresh and field.fresh.any():  # states to draw: push them out of the image
            field.cy[field.fresh] = -1e6
        _generalized_patchmatch(
            np.ascontiguousarray(img, np.float32), np.ascontiguousarray(wmap, np.float32), self.room, mean, std,
            field.ty, field.tx, field.index, field.cy, field.cx, field.th, field.ls, field.fl, field.gain,
            field.bias, field.dist, self.vy, self.vx, self.half, int(iterations), rot, lsr, flip, lam,
            gmin, gmax, bmin, bmax, fresh)
        field.fresh[:] = False


def _vote(img, hole, field, weights, half, solver):
    """Colour vote, or colour + gradient vote and the screened Poisson solve."""
    if solver is None:
        return vote_warped(img, hole, field.ty, field.tx, field.matrices(), weights, half, field.gain, field.bias)
    colours, gx, gy = vote_warped(img, hole, field.ty, field.tx, field.matrices(), weights, half, field.gain,
                                  field.bias, gradients=True)
    return np.clip(solver.solve(img, colours, gx, gy), 0.0, 1.0).astype(np.float32)


def _onion_start(img, hole, field, search, alpha, patch_size, solver_weight):
    """The coarsest level's start, boundary first: bands of the hole half a patch deep are filled
    in turn, each matched only on the pixels known or filled before it (this implementation's
    choice: a smooth guess deep in a large hole otherwise lets the interior settle on whatever
    matches the blur before the boundary's structure arrives)."""
    half = patch_size // 2
    depth = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    step = max(float(half), 1.0)
    wmap = (~hole).astype(np.float32)
    box = np.ones((patch_size, patch_size), np.uint8)
    for k in range(1, int(np.ceil(float(depth.max()) / step)) + 2):
        band = hole & (depth <= k * step) & (wmap == 0)
        if not band.any():
            continue
        touches = cv2.dilate(band.astype(np.uint8), box).astype(bool)[field.ty, field.tx]
        sub = field.subset(touches)
        search.run(img, wmap, sub, 4 if sub.fresh.all() else 2)
        field.update(touches, sub)
        img = _vote(img, band, sub, sub.vote_weights(alpha[touches]), half,
                    ScreenedPoisson(band, solver_weight) if solver_weight > 0 else None)
        wmap[band] = 1.0
    return img


def meld_complete(
    image: np.ndarray,
    hole: np.ndarray,
    *,
    patch_size: int = 7,
    levels: int = 4,
    iterations: int = 4,
    rotation: float = 45.0,
    scale_range: float = 0.35,
    reflection: bool = True,
    gradient_weight: float = 1.0,
    seed: int = 0,
    gamma: float = 1.3,
    progress=None,
    trace=None,
) -> np.ndarray:
    """Multi-scale completion with transformed patches, gain / bias and a screened Poisson vote
    (Darabi et al. 2012); see :class:`inpaint_core.methods.patch_based.ImageMelding`.

    Parameters
    ----------
    rotation : largest rotation of a source patch, degrees (0 = none).
    scale_range : largest scale change, in octaves (scales from 2^-r to 2^r; 0 = none).
    reflection : allow mirrored source patches.
    gradient_weight : weight of the gradients, in the patch distance and in the screened
        Poisson reconstruction (0 = colours only, a plain vote).
    seed : every random draw (numba's generator) derives from it.
    """
    from .fast_marching import telea_fill
    from .patchmatch import masked_pyramid
    from .trace import MeldingLevel

    half = patch_size // 2
    pyramid = masked_pyramid(image, hole, levels, patch_size)
    n_levels = len(pyramid)
    field = None
    current = None
    total_steps = sum(iterations + (2 if k == n_levels - 1 else 0) for k in range(n_levels))
    done = 0
    for level in range(n_levels - 1, -1, -1):
        base, lhole = pyramid[level]
        h, w = lhole.shape
        img = base.copy()
        c = img.shape[2]
        targets = cv2.dilate(lhole.astype(np.uint8), np.ones((patch_size, patch_size), np.uint8)).astype(bool)
        ty, tx = (a.astype(np.int64) for a in np.nonzero(targets))
        depth = cv2.distanceTransform(lhole.astype(np.uint8), cv2.DIST_L2, 3)
        alpha = gamma ** (-depth[ty, tx].astype(np.float64))
        search = _Search(lhole, patch_size, rotation, scale_range, reflection, gradient_weight, seed, level)
        if search.vy.size == 0:
            raise NoSourcePatch("no fully known source patch at this level")
        solver = ScreenedPoisson(lhole, gradient_weight) if gradient_weight > 0 else None
        if field is None:
            img = telea_fill(img, lhole)
            field = _Field(ty, tx, (h, w), c)
            img = _onion_start(img, lhole, field, search, alpha, patch_size, gradient_weight)
        else:
            up = cv2.resize(current, (w, h), interpolation=cv2.INTER_LINEAR)
            img[lhole] = up[lhole]
            field = field.upsampled(ty, tx, (h, w), c)
            # as in the translational completion: start from a vote of the upsampled field
            has = ~field.fresh
            img = vote_warped(img, lhole, ty[has], tx[has], field.matrices()[has], alpha[has] + 1e-10, half,
                              field.gain[has], field.bias[has])
        n_iter = iterations + (2 if level == n_levels - 1 else 0)
        for it in range(n_iter):
            # the finest level starts from a good upsampled field: one sweep per EM iteration
            search.run(img, None, field, FINE_SWEEPS if level == 0 else 2)
            img = _vote(img, lhole, field, field.vote_weights(alpha), half, solver)
            done += 1
            if progress is not None:
                progress(done / total_steps, f"level {n_levels - level}/{n_levels}, EM iteration {it + 1}/{n_iter}")
        if trace is not None:
            trace.melding_levels.append(MeldingLevel.from_field(level, field, lhole))
        current = img
    return current
