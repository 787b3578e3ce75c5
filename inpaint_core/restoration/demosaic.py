"""De-mosaicing: the mosaic (pixelation) operator, a detector for mosaicked regions, and the
classical restorers (upsampling the block means).

The survey's de-mosaicing example is Dahl, Norouzi and Shlens 2017, "Pixel Recursive Super
Resolution" (https://arxiv.org/abs/1702.00783): 8x8 faces restored to 32x32. A mosaic replaces every
``block`` x ``block`` cell of a grid (offset ``(oy, ox)``) by its mean colour; undoing it is
super-resolution of the block means, so the baselines are the classical upsamplers (nearest, which
gives the mosaic back, bicubic and Lanczos), each aligned to the grid.

Detection (this project's): in a mosaic, colours change only across the grid's lines. For each block
size the detector takes the grid offset from where the colour jumps fall (the most frequent column and
row residue), groups the cells that are constant inside, and keeps groups of at least ``min_cells``
cells in which most neighbouring cells differ (``PAIR_JUMPS``); the largest block
size that explains nearly as many pixels as the best one wins (a 4-px mosaic is also constant over 2-px
cells, never over 8-px ones). Lossy compression breaks "constant": the detector expects lossless images.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from ..base import Citation, MethodCard
from ..errors import InpaintInputError
from .base import RestorationMethod

BLOCKS = (2, 4, 8, 16)  # the survey's table
MAX_BLOCK = 16
TOLERANCE = 2  # 8-bit levels: a cell is constant when every channel varies by at most this much
MIN_CELLS = 12
MIN_AREA = 256  # px: a mosaicked region at least 16x16
PAIR_JUMPS = 0.6  # share of neighbouring constant cells that must differ for a group to be a mosaic


@dataclasses.dataclass(frozen=True)
class Mosaic:
    """A mosaicked region: its pixels, the block size and the grid offset (row, column)."""

    mask: np.ndarray
    block: int
    offset: tuple[int, int]

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, top, width, height) of the region's bounding box."""
        ys, xs = np.nonzero(self.mask)
        return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)

    def summary(self) -> dict:
        return {"block": self.block, "offset": list(self.offset), "box": list(self.box),
                "area_percent": round(100 * float(self.mask.mean()), 3)}


def check_block(block, offset=(0, 0)) -> tuple[int, tuple[int, int]]:
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or not 2 <= block <= 64:
        raise InpaintInputError(f"The mosaic's block size must be a whole number from 2 to 64 px, not {block!r}.")
    oy, ox = (int(v) for v in offset)
    if not (0 <= oy < block and 0 <= ox < block):
        raise InpaintInputError(f"The grid offset must lie in [0, {block}) on both axes, not {tuple(offset)}.")
    return int(block), (oy, ox)


def _cells(shape, block: int, offset) -> tuple[np.ndarray, np.ndarray]:
    """Row and column starts of the grid's cells that lie wholly inside ``shape``."""
    oy, ox = offset
    return np.arange(oy, shape[0] - block + 1, block), np.arange(ox, shape[1] - block + 1, block)


def cell_stats(image: np.ndarray, block: int, offset) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean colour, max - min over each channel's maximum, row starts, column starts) of every
    whole cell of the grid."""
    rows, cols = _cells(image.shape[:2], block, offset)
    img = image.astype(np.float32)
    if img.ndim == 2:
        img = img[..., None]
    if len(rows) == 0 or len(cols) == 0:
        empty = np.zeros((len(rows), len(cols)))
        return empty[..., None], empty, rows, cols
    sub = img[rows[0] : rows[-1] + block, cols[0] : cols[-1] + block]
    cells = sub.reshape(len(rows), block, len(cols), block, -1)
    means = cells.mean(axis=(1, 3))
    spread = (cells.max(axis=(1, 3)) - cells.min(axis=(1, 3))).max(axis=-1)
    return means, spread, rows, cols


def _grid_sums(image: np.ndarray, block: int, offset) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """(per-cell sums, per-cell pixel counts, (top, left) padding): the grid laid over the image,
    cells cut by the border counted over what is inside."""
    h, w = image.shape[:2]
    oy, ox = offset
    top, left = (block - oy) % block, (block - ox) % block
    bottom, right = (-(h + top)) % block, (-(w + left)) % block
    img = image.astype(np.float64).reshape(h, w, -1)
    padded = np.pad(img, ((top, bottom), (left, right), (0, 0)))
    ones = np.pad(np.ones((h, w)), ((top, bottom), (left, right)))
    ph, pw = ones.shape
    sums = padded.reshape(ph // block, block, pw // block, block, -1).sum(axis=(1, 3))
    counts = ones.reshape(ph // block, block, pw // block, block).sum(axis=(1, 3))
    return sums, counts, (top, left)


def _expand(cells: np.ndarray, block: int, pad: tuple[int, int], shape) -> np.ndarray:
    """Per-cell values repeated over each cell and cropped back to the image."""
    top, left = pad
    full = np.repeat(np.repeat(cells, block, axis=0), block, axis=1)
    return full[top : top + shape[0], left : left + shape[1]]


def mosaic_cells(shape, block: int, region: np.ndarray | None = None, offset=(0, 0)) -> np.ndarray:
    """The pixels :func:`mosaic` changes: every grid cell that meets ``region`` (default: all)."""
    block, offset = check_block(block, offset)
    sel = np.ones(shape, bool) if region is None else np.asarray(region, bool)
    sums, _, pad = _grid_sums(sel.astype(np.float64), block, offset)
    return _expand(sums[..., 0] > 0, block, pad, shape)


def mosaic(image: np.ndarray, block: int, region: np.ndarray | None = None, offset=(0, 0)) -> np.ndarray:
    """``image`` with every grid cell that meets ``region`` (default: the whole image) replaced by
    its mean colour (rounded for integer images); cells cut by the border are averaged over what is
    inside. The same dtype and shape as ``image``."""
    block, offset = check_block(block, offset)
    img = np.asarray(image)
    sums, counts, pad = _grid_sums(img, block, offset)
    means = _expand(sums / np.maximum(counts, 1)[..., None], block, pad, img.shape[:2]).reshape(img.shape)
    cells = mosaic_cells(img.shape[:2], block, region, offset)
    out = img.copy()
    if img.dtype.kind == "f":
        out[cells] = means[cells].astype(img.dtype)
    else:
        out[cells] = np.clip(np.rint(means[cells]), 0, np.iinfo(img.dtype).max).astype(img.dtype)
    return out


def _grid_offset(image: np.ndarray, block: int, tol: float) -> tuple[int, int]:
    """The offset (row, column) whose grid lines carry most of the colour jumps."""
    img = image.astype(np.int32).reshape(*image.shape[:2], -1)
    offsets = []
    for axis in (0, 1):
        jumps = np.abs(np.diff(img, axis=axis)).max(axis=-1) > tol  # a jump between i and i + 1: a line at i + 1
        lines = np.nonzero(jumps)[axis] + 1
        offsets.append(int(np.argmax(np.bincount(lines % block, minlength=block))) if lines.size else 0)
    return offsets[0], offsets[1]


def _pair_jumps(means: np.ndarray, cells: np.ndarray, tol: float) -> tuple[int, int]:
    """(adjacent pairs of ``cells``, how many of them differ by more than ``tol``)."""
    pairs = jumps = 0
    for axis in (0, 1):
        n = cells.shape[axis]
        both = np.take(cells, range(n - 1), axis=axis) & np.take(cells, range(1, n), axis=axis)
        diff = np.abs(np.diff(means, axis=axis)).max(axis=-1) > tol
        pairs, jumps = pairs + int(both.sum()), jumps + int((both & diff).sum())
    return pairs, jumps


def _region_cells(means, spread, tol: float, min_cells: int, block: int) -> np.ndarray:
    """Constant cells that differ from a constant neighbour, grouped (after a 3x3 closing, within the
    constant cells), each group kept if most neighbouring cells in it differ: in a mosaic of a photo,
    adjacent block means almost always differ (70-85 % of pairs at blocks 2-8 on the astronaut); the
    flat or banded areas of a clean photo are constant too, but their constant cells mostly agree
    (30-46 % differ on scikit-image's samples)."""
    const = spread <= tol
    differs = np.zeros_like(const)
    for axis in (0, 1):
        n = const.shape[axis]
        both = np.take(const, range(n - 1), axis=axis) & np.take(const, range(1, n), axis=axis)
        jump = both & (np.abs(np.diff(means, axis=axis)).max(axis=-1) > tol)
        if axis == 0:
            differs[:-1] |= jump
            differs[1:] |= jump
        else:
            differs[:, :-1] |= jump
            differs[:, 1:] |= jump
    closed = cv2.morphologyEx(differs.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).astype(bool)
    closed &= const
    count, labels, stats, _ = cv2.connectedComponentsWithStats(closed.astype(np.uint8), connectivity=8)
    keep = np.zeros_like(const)
    for k in range(1, count):
        if stats[k, cv2.CC_STAT_AREA] < max(min_cells, MIN_AREA / block**2):
            continue
        group = labels == k
        pairs, jumps = _pair_jumps(means, group, tol)
        if pairs and jumps >= PAIR_JUMPS * pairs:
            keep |= group
    return keep


def detect_mosaic(image: np.ndarray, *, blocks=range(2, MAX_BLOCK + 1), tol: float = TOLERANCE,
                  min_cells: int = MIN_CELLS) -> Mosaic | None:
    """The mosaicked region of a (lossless) photo, with its block size and grid offset, or None."""
    img = np.asarray(image)
    if img.dtype != np.uint8:
        from ..imageio import to_uint8_rgb

        img = to_uint8_rgb(img)
    best, candidates = 0, []
    for block in blocks:
        if min(img.shape[:2]) < 2 * block:
            continue
        offset = _grid_offset(img, block, tol)
        means, spread, rows, cols = cell_stats(img, block, offset)
        if means.size == 0:
            continue
        cells = _region_cells(means, spread, tol, min_cells, block)
        covered = int(cells.sum()) * block * block
        candidates.append((block, offset, cells, rows, cols, covered))
        best = max(best, covered)
    if best == 0:
        return None
    block, offset, cells, rows, cols, _ = max((c for c in candidates if c[5] >= 0.9 * best), key=lambda c: c[0])
    mask = np.zeros(img.shape[:2], bool)
    for i, j in zip(*np.nonzero(cells)):
        mask[rows[i] : rows[i] + block, cols[j] : cols[j] + block] = True
    return Mosaic(mask, block, offset)


def upsample_means(image: np.ndarray, region: np.ndarray, block: int, offset, interpolation: int) -> np.ndarray:
    """The block means of the grid upsampled back to full size with ``interpolation``, aligned so that
    each mean sits at its cell's centre (cells cut by the border: the mean of what is inside);
    returned only inside ``region``, the rest of ``image`` kept."""
    sums, counts, (top, left) = _grid_sums(image, block, offset)
    means = (sums / np.maximum(counts, 1)[..., None]).astype(np.float32)
    ph, pw = means.shape[0] * block, means.shape[1] * block
    up = cv2.resize(means, (pw, ph), interpolation=interpolation).reshape(ph, pw, -1)
    up = up[top : top + image.shape[0], left : left + image.shape[1]].reshape(image.shape)
    out = image.copy()
    out[region] = np.clip(up[region], 0, 1)
    return out


class _Upsampling(RestorationMethod, abstract=True):
    """De-mosaicing by upsampling the block means (the mosaic's grid is an extra input: ``block``)."""

    task = "demosaic"
    needs = ("block",)
    interpolation: int
    citation = Citation("R. Dahl, M. Norouzi, J. Shlens", "Pixel Recursive Super Resolution (baselines)", "ICCV",
                        2017, "https://arxiv.org/abs/1702.00783")

    def run(self, image, params, ctx, *, block: Mosaic, **extra):
        return upsample_means(image, block.mask, block.block, block.offset, self.interpolation)


class NearestUpsampling(_Upsampling):
    name = "mosaic_nearest"
    title = "Nearest-neighbour upsampling (the mosaic itself)"
    interpolation = cv2.INTER_NEAREST
    card = MethodCard(idea="Each block mean is repeated over its block: the mosaic, unchanged. The floor every "
                      "de-mosaicing method must beat.", formula=r"\hat x(p) = \bar y_{\lfloor p / b \rfloor}",
                      fails_when="Always: the blocks stay.")


class BicubicUpsampling(_Upsampling):
    name = "mosaic_bicubic"
    title = "Bicubic upsampling of the block means"
    interpolation = cv2.INTER_CUBIC
    card = MethodCard(idea="The block means are samples of a blurred image at the blocks' centres; bicubic "
                      "interpolation (Keys 1981) joins them smoothly.",
                      formula=r"\hat x(p) = \sum_k \bar y_k\, c(p/b - k)",
                      fails_when="Edges and texture finer than a block: a smooth blur, no detail.")


class LanczosUpsampling(_Upsampling):
    name = "mosaic_lanczos"
    title = "Lanczos upsampling of the block means"
    interpolation = cv2.INTER_LANCZOS4
    card = MethodCard(idea="A windowed sinc (Lanczos, a = 4) through the block means: sharper than bicubic, "
                      "with slight ringing at strong edges.",
                      formula=r"L(x) = \mathrm{sinc}(x)\,\mathrm{sinc}(x/4),\ |x| < 4",
                      fails_when="As bicubic, plus halos beside strong edges.")
