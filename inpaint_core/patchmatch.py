"""PatchMatch: the randomized nearest-neighbour field of Barnes et al. 2009, with masks.

Barnes, Shechtman, Finkelstein and Goldman, "PatchMatch: A Randomized Correspondence
Algorithm for Structural Image Editing", ACM TOG 28(3) (SIGGRAPH), 2009,
https://doi.org/10.1145/1531326.1531330.

For every *target* patch centre of image ``A`` the field stores the centre of the most
similar patch of image ``B`` (sum of squared differences over the patch). It starts at
random, then alternates *propagation* (a neighbour's good match, shifted by one pixel,
is probably good here too; scan order flips each iteration) and *random search*
(candidates around the current match in windows halving from the image size to one
pixel). Masks make it usable for completion:

- ``target_mask``: which centres of ``A`` get a match (the others are left at -1);
- ``target_weight``: which pixels of ``A`` count in the distance (unknown ones do not);
- ``source_valid``: which centres of ``B`` may be matched (e.g. patches fully known);
- ``min_offset``: matches closer than this (Chebyshev distance, same image) are refused,
  as He and Sun 2012 need for the statistics of offsets.

Target patches that cross ``A``'s border are compared on their in-image pixels; source
patches always lie fully inside ``B``. The hot loops are compiled with numba (single
thread, so the same seed gives the same field on any machine).
"""

from __future__ import annotations

import cv2
import numba
import numpy as np

__all__ = ["nnf_search", "valid_source_centres", "largest_source_patch", "seed_numba", "nnf_offsets", "offsets_to_rgb",
           "downsample_known", "masked_pyramid"]


@numba.njit(cache=True)
def seed_numba(seed):  # pragma: no cover - numba's own generator (one per thread, shared by every kernel)
    """Seed the random generator that numba-compiled kernels draw from."""
    np.random.seed(seed)


@numba.njit(cache=True, fastmath=True, inline="always")
def _patch_distance(A, B, weight, ay, ax, by, bx, half, cutoff):  # pragma: no cover
    """SSD between A's patch at (ay, ax) and B's patch at (by, bx), over A's in-image pixels
    with nonzero weight; stops early (returning a value >= cutoff) once cutoff is passed."""
    h, w, c = A.shape
    total = 0.0
    for dy in range(-half, half + 1):
        y = ay + dy
        if y < 0 or y >= h:
            continue
        yb = by + dy
        for dx in range(-half, half + 1):
            x = ax + dx
            if x < 0 or x >= w:
                continue
            wt = weight[y, x]
            if wt == 0.0:
                continue
            xb = bx + dx
            s = 0.0
            for k in range(c):
                d = A[y, x, k] - B[yb, xb, k]
                s += d * d
            total += wt * s
        if total >= cutoff:
            return total
    return total


@numba.njit(cache=True, fastmath=True)
def _patchmatch(A, B, weight, ty, tx, valid, vy, vx, nnf, dist, half, iterations, min_offset, same_image, do_init):  # pragma: no cover
    """Run PatchMatch in place on the target centres (ty, tx); nnf[y, x] = (by, bx)."""
    h, w, _ = A.shape
    hb, wb, _ = B.shape
    n = ty.size
    nvalid = vy.size
    mo = min_offset

    # initialisation: keep a given match if it is still valid, else draw one at random
    for i in range(n):
        y, x = ty[i], tx[i]
        by, bx = nnf[y, x, 0], nnf[y, x, 1]
        ok = (not do_init) and by >= 0 and bx >= 0 and by < hb and bx < wb and valid[by, bx]
        if ok and same_image and max(abs(by - y), abs(bx - x)) < mo:
            ok = False
        tries = 0
        while not ok and tries < 32:
            j = np.random.randint(nvalid)
            by, bx = vy[j], vx[j]
            ok = not (same_image and max(abs(by - y), abs(bx - x)) < mo)
            tries += 1
        nnf[y, x, 0] = by
        nnf[y, x, 1] = bx
        dist[y, x] = _patch_distance(A, B, weight, y, x, by, bx, half, np.inf) if ok else np.inf

    # a target centre's index, to find its scan neighbours
    index = np.full((h, w), -1, np.int64)
    for i in range(n):
        index[ty[i], tx[i]] = i

    max_radius = max(hb, wb)
    for it in range(iterations):
        forward = it % 2 == 0
        step = 1 if forward else -1
        for k in range(n):
            i = k if forward else n - 1 - k
            y, x = ty[i], tx[i]
            best_y, best_x, best_d = nnf[y, x, 0], nnf[y, x, 1], dist[y, x]
            # propagation from the previous pixel in scan order, horizontally then vertically
            for axis in range(2):
                py = y - step if axis == 0 else y
                px = x - step if axis == 1 else x
                if py < 0 or py >= h or px < 0 or px >= w or index[py, px] < 0:
                    continue
                cy = nnf[py, px, 0] + (y - py)
                cx = nnf[py, px, 1] + (x - px)
                if cy < 0 or cy >= hb or cx < 0 or cx >= wb or not valid[cy, cx]:
                    continue
                if cy == best_y and cx == best_x:
                    continue
                if same_image and max(abs(cy - y), abs(cx - x)) < mo:
                    continue
                d = _patch_distance(A, B, weight, y, x, cy, cx, half, best_d)
                if d < best_d:
                    best_y, best_x, best_d = cy, cx, d
            # random search around the current best, in windows halving in size
            radius = max_radius
            while radius >= 1:
                cy = best_y + np.random.randint(-radius, radius + 1)
                cx = best_x + np.random.randint(-radius, radius + 1)
                radius //= 2
                if cy < 0 or cy >= hb or cx < 0 or cx >= wb or not valid[cy, cx]:
                    continue
                if same_image and max(abs(cy - y), abs(cx - x)) < mo:
                    continue
                d = _patch_distance(A, B, weight, y, x, cy, cx, half, best_d)
                if d < best_d:
                    best_y, best_x, best_d = cy, cx, d
            nnf[y, x, 0] = best_y
            nnf[y, x, 1] = best_x
            dist[y, x] = best_d


def valid_source_centres(known: np.ndarray, patch_size: int) -> np.ndarray:
    """Centres whose whole ``patch_size`` patch lies inside the image and on ``known`` pixels."""
    import cv2

    known = np.asarray(known, dtype=bool)
    half = patch_size // 2
    h, w = known.shape
    valid = np.zeros_like(known)
    if h <= 2 * half or w <= 2 * half:
        return valid
    eroded = cv2.erode(known.astype(np.uint8), np.ones((patch_size, patch_size), np.uint8),
                       borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    valid[half : h - half, half : w - half] = eroded[half : h - half, half : w - half]
    return valid


def downsample_known(image: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Halve an image using only its known pixels; a coarse pixel is a hole if fewer than
    half of the fine pixels under it are known."""
    h, w = hole.shape
    size = (max(w // 2, 1), max(h // 2, 1))
    known = (~hole).astype(np.float32)
    frac = cv2.resize(known, size, interpolation=cv2.INTER_AREA)
    summed = cv2.resize(image * known[..., None], size, interpolation=cv2.INTER_AREA)
    coarse = summed / np.maximum(frac, 1e-6)[..., None]
    coarse_hole = frac < 0.5
    coarse[coarse_hole] = 0.0
    return coarse.astype(np.float32), coarse_hole


def masked_pyramid(image: np.ndarray, hole: np.ndarray, levels: int, patch_size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fine-to-coarse list of (image, hole); stops when the image gets smaller than three
    patches across or the hole disappears."""
    pyramid = [(image, hole)]
    while len(pyramid) < levels:
        img, hl = pyramid[-1]
        if min(hl.shape) // 2 < 3 * patch_size:
            break
        coarse, coarse_hole = downsample_known(img, hl)
        if not coarse_hole.any() or coarse_hole.all():
            break
        pyramid.append((coarse, coarse_hole))
    return pyramid


def largest_source_patch(known: np.ndarray, patch_size: int) -> tuple[int, np.ndarray]:
    """The largest odd patch side up to ``patch_size`` for which some fully known source patch
    exists, and those patches' centres: (side, valid centres). Side 1 (single known pixels) is the
    last resort."""
    side = patch_size
    valid = valid_source_centres(known, side)
    while not valid.any() and side > 1:
        side -= 2
        valid = valid_source_centres(known, side) if side > 1 else np.asarray(known, bool).copy()
    return side, valid


def nnf_search(
    target: np.ndarray,
    source: np.ndarray | None = None,
    *,
    patch_size: int = 7,
    iterations: int = 5,
    target_mask: np.ndarray | None = None,
    target_weight: np.ndarray | None = None,
    source_valid: np.ndarray | None = None,
    init: np.ndarray | None = None,
    min_offset: int = 0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-neighbour field from ``target`` patches to ``source`` patches (PatchMatch).

    Parameters
    ----------
    target, source : float arrays (H, W, C); ``source=None`` matches the image to itself.
    patch_size : odd side of the square patches.
    iterations : propagation + random-search sweeps (Barnes et al. use 4-5).
    target_mask : bool (H, W), centres to match (default: all).
    target_weight : float or bool (H, W), per-pixel weight of target pixels in the SSD
        (default: all 1); 0 for pixels that are unknown.
    source_valid : bool (Hs, Ws), centres that may be matched (default: all whose patch fits).
    init : int (H, W, 2) field to start from (e.g. upsampled from a coarser level);
        invalid entries are redrawn at random.
    min_offset : refuse matches within this Chebyshev distance (only when matching an
        image to itself).
    seed : seed of the random initialisation and search.

    Returns
    -------
    nnf : int32 (H, W, 2), source centre (y, x) for each target centre, -1 elsewhere.
    dist : float32 (H, W), SSD of each match (inf where none was found or not a target).

    References
    ----------
    Barnes et al. 2009, https://doi.org/10.1145/1531326.1531330
    """
    if patch_size < 1 or patch_size % 2 == 0:
        raise ValueError("patch_size must be a positive odd integer.")
    same_image = source is None
    A = np.ascontiguousarray(target, dtype=np.float32)
    if A.ndim == 2:
        A = A[..., None]
    B = A if same_image else np.ascontiguousarray(source, dtype=np.float32)
    if B.ndim == 2:
        B = B[..., None]
    if A.shape[2] != B.shape[2]:
        raise ValueError("target and source must have the same number of channels.")
    h, w = A.shape[:2]
    half = patch_size // 2
    if source_valid is None:
        source_valid = valid_source_centres(np.ones(B.shape[:2], bool), patch_size)
    source_valid = np.ascontiguousarray(source_valid, dtype=np.bool_)
    if source_valid.shape != B.shape[:2]:
        raise ValueError("source_valid must have the source's (H, W) shape.")
    # a source patch must fit inside the source image
    fits = valid_source_centres(np.ones(B.shape[:2], bool), patch_size)
    source_valid = source_valid & fits
    weight = np.ones((h, w), np.float32) if target_weight is None else np.ascontiguousarray(target_weight, np.float32)
    tmask = np.ones((h, w), bool) if target_mask is None else np.asarray(target_mask, bool)
    ty, tx = np.nonzero(tmask)
    vy, vx = np.nonzero(source_valid)
    nnf = np.full((h, w, 2), -1, np.int32)
    dist = np.full((h, w), np.inf, np.float32)
    if ty.size == 0 or vy.size == 0:
        return nnf, dist
    do_init = init is None
    if init is not None:
        nnf[tmask] = np.asarray(init, np.int32)[tmask]
    seed_numba(int(seed) % (2**32))
    _patchmatch(A, B, weight, ty.astype(np.int64), tx.astype(np.int64), source_valid, vy.astype(np.int64),
                vx.astype(np.int64), nnf, dist, half, int(iterations), int(min_offset), same_image, do_init)
    nnf[~tmask] = -1
    dist[~tmask] = np.inf
    return nnf, dist


def nnf_offsets(nnf: np.ndarray) -> np.ndarray:
    """Offsets (dy, dx) = match - position, float with NaN where the field has no match."""
    h, w = nnf.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    off = np.stack([nnf[..., 0] - yy, nnf[..., 1] - xx], axis=-1).astype(np.float32)
    off[nnf[..., 0] < 0] = np.nan
    return off


def offsets_to_rgb(offsets: np.ndarray, max_magnitude: float | None = None) -> np.ndarray:
    """Colour-code an offset field: hue = direction, saturation = length (uint8 RGB).

    Pixels without an offset (NaN) are black. ``max_magnitude`` sets full saturation
    (default: the field's largest offset).
    """
    import cv2

    dy, dx = offsets[..., 0], offsets[..., 1]
    has = np.isfinite(dy)
    mag = np.hypot(np.nan_to_num(dy), np.nan_to_num(dx))
    top = float(max_magnitude) if max_magnitude else float(mag[has].max()) if has.any() else 1.0
    angle = (np.degrees(np.arctan2(np.nan_to_num(dy), np.nan_to_num(dx))) % 360.0) / 2.0  # OpenCV hue 0..180
    hsv = np.zeros(offsets.shape[:2] + (3,), np.uint8)
    hsv[..., 0] = np.round(angle).astype(np.uint8) % 180
    hsv[..., 1] = np.clip(np.round(255.0 * np.sqrt(mag / max(top, 1e-6))), 0, 255).astype(np.uint8)
    hsv[..., 2] = 255
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    rgb[~has] = 0
    return rgb
