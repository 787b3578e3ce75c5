"""Structure propagation along guide curves (Sun, Yuan, Jia and Shum 2005), and guides proposed
from the edges that enter and leave a hole.

Sun et al., "Image Completion with Structure Propagation", SIGGRAPH 2005,
https://doi.org/10.1145/1073204.1073274. The user draws curves across the hole where contours
must continue; patches are placed at anchor points along each curve inside the hole, each taken
from a patch centred on the same curve in the known region. The choice minimises, by dynamic
programming along the curve (the paper's case of a single curve; the paper uses belief
propagation where curves cross),

    E(x) = sum_i [ k_s E_S(x_i) + k_i E_I(x_i) ] + sum_i E_2(x_i, x_{i+1})

with E_S the structure term (how far the curve in the source patch lies from the curve in the
target patch, both ways), E_I the completion term (agreement with the known pixels a target patch
overlaps, at the hole's edge) and E_2 the agreement of neighbouring patches where they overlap.
The chosen patches are pasted into the hole (each pixel from the nearest anchor's patch); the
rest of the hole is left to an exemplar method with this structure fixed. Left out: the paper's
photometric correction (a Poisson blend of each pasted patch) and belief propagation over
crossing curves (crossing curves are propagated one after another, the later one seeing the
earlier one's patches as known).

Automatic guides (this project's, in the manner of the paper's "the user may also let the system
extend salient edges"): Canny edges in a ring around the hole, each edge piece that reaches the
hole a *stub* with its direction (principal axis) and the colours on its two sides; two stubs are
linked when they point at each other (both within ``max_angle`` of the line joining them) and
their sides' colours agree; the guide across the hole is a parabola fitted to both stubs.
"""

from __future__ import annotations

import dataclasses
from collections import deque

import cv2
import numpy as np

STRUCTURE_WEIGHT = 0.004  # k_s: 1 px of curve misalignment costs as much as an RMS colour error of ~0.06
COMPLETION_WEIGHT = 2.0  # k_i, as in Sun et al. (relative to E_2)
LINE_TOLERANCE = 0.5  # px: automatic guides are straight unless the edges they link are visibly curved


@dataclasses.dataclass
class Guide:
    """A guide curve: ``points`` (N, 2) int (row, col), ordered and 8-connected; where it came from."""

    points: np.ndarray
    source: str = "user"  # "user" (drawn) or "auto" (proposed from edges)
    score: float = 0.0  # auto guides: the link's cost (lower is better)
    fine: np.ndarray | None = None  # (M, 2) float: the curve at sub-pixel precision, where it is known


# ------------------------------------------------------------------------------ curves
def _neighbours(p, pixels):
    y, x = p
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            q = (y + dy, x + dx)
            if (dy or dx) and q in pixels:
                yield q


def _farthest(start, pixels):
    """BFS over 8-connected ``pixels`` from ``start``: (farthest pixel, parent map)."""
    parent = {start: None}
    queue, last = deque([start]), start
    while queue:
        last = queue.popleft()
        for q in _neighbours(last, pixels):
            if q not in parent:
                parent[q] = last
                queue.append(q)
    return last, parent


def order_curve(pixels: np.ndarray) -> np.ndarray:
    """The longest path through a thin, connected set of pixels (its tree diameter, by two BFS),
    ordered from one end to the other: (N, 2) int (row, col)."""
    pts = {(int(y), int(x)) for y, x in pixels}
    a, _ = _farthest(next(iter(sorted(pts))), pts)
    b, parent = _farthest(a, pts)
    path = [b]
    while parent[path[-1]] is not None:
        path.append(parent[path[-1]])
    return np.array(path, np.int32)


def smooth_path(points: np.ndarray, window: int = 9) -> np.ndarray:
    """An ordered pixel path at sub-pixel precision: each coordinate averaged over ``window``
    neighbouring points (reflected at the ends), so a drawn straight stroke becomes a straight line."""
    pts = np.asarray(points, np.float64)
    k = min(window, len(pts) - (len(pts) + 1) % 2)
    if k < 3:
        return pts
    padded = np.pad(pts, ((k // 2, k // 2), (0, 0)), mode="reflect", reflect_type="odd")
    kernel = np.ones(k) / k
    return np.stack([np.convolve(padded[:, i], kernel, mode="valid") for i in range(2)], 1)


def curves_from_mask(guides: np.ndarray, min_length: int = 6) -> list[Guide]:
    """Guide curves from a drawing (nonzero = on a curve): thinned to one pixel (Zhang-Suen, as
    scikit-image implements it), one curve per connected stroke, shorter ones dropped; each with
    its smoothed path (:func:`smooth_path`) for the structure term."""
    from skimage.morphology import skeletonize

    skeleton = skeletonize(np.asarray(guides, bool))
    count, labels = cv2.connectedComponents(skeleton.astype(np.uint8), connectivity=8)
    curves = []
    for k in range(1, count):
        pixels = np.argwhere(labels == k)
        if len(pixels) >= min_length:
            path = order_curve(pixels)
            curves.append(Guide(path, "user", fine=smooth_path(path)))
    return curves


def rasterise(points: np.ndarray, shape) -> np.ndarray:
    """Real (row, col) points as an ordered, 8-connected pixel path inside ``shape`` (no repeats)."""
    pts = np.asarray(points, np.float64)
    out = []
    for p, q in zip(pts[:-1], pts[1:]):
        n = int(np.ceil(np.abs(q - p).max())) + 1
        for t in np.linspace(0, 1, n, endpoint=False):
            out.append(np.rint(p + t * (q - p)).astype(int))
    out.append(np.rint(pts[-1]).astype(int))
    path = []
    h, w = shape
    for y, x in out:
        if 0 <= y < h and 0 <= x < w and (not path or path[-1] != (y, x)):
            path.append((int(y), int(x)))
    return np.array(path, np.int32).reshape(-1, 2)


def draw_guides(guides: list[Guide], shape, thickness: int = 1) -> np.ndarray:
    """The guides as a bool mask (for display and for the command line's output)."""
    canvas = np.zeros(shape, np.uint8)
    for g in guides:
        cv2.polylines(canvas, [g.points[:, ::-1].reshape(-1, 1, 2).astype(np.int32)], False, 1, thickness)
    return canvas.astype(bool)


# ------------------------------------------------------------------------------ propagation
def _patches(image: np.ndarray, centres: np.ndarray, half: int) -> np.ndarray:
    """(N, p, p, C) patches of ``image`` centred at ``centres`` (all fully inside)."""
    p = 2 * half + 1
    offs = np.arange(-half, half + 1)
    rows = centres[:, 0, None, None] + offs[None, :, None]
    cols = centres[:, 1, None, None] + offs[None, None, :]
    return image[np.broadcast_to(rows, (len(centres), p, p)), np.broadcast_to(cols, (len(centres), p, p))]


def _local_curve(points: np.ndarray, centre: np.ndarray, half: int) -> np.ndarray:
    """The curve's points inside the patch around ``centre``, relative to it."""
    rel = points - centre
    return rel[np.abs(rel).max(1) <= half]


def _structure_cost(targets: list[np.ndarray], sources: list[np.ndarray]) -> np.ndarray:
    """(T, S): Sun et al.'s E_S, the mean shortest distance from each target curve piece to each
    source piece plus the reverse (pixels)."""
    cost = np.empty((len(targets), len(sources)))
    for i, t in enumerate(targets):
        for j, s in enumerate(sources):
            if len(t) == 0 or len(s) == 0:
                cost[i, j] = 0.0
                continue
            d = np.sqrt(((t[:, None, :] - s[None, :, :]) ** 2).sum(-1))
            cost[i, j] = d.min(1).mean() + d.min(0).mean()
    return cost


def _overlap_cost(P: np.ndarray, offset, half: int) -> np.ndarray:
    """(N, N): mean squared difference between patch a at anchor i and patch b at anchor i + offset
    where the two windows overlap (E_2); zeros if they do not overlap."""
    dy, dx = int(offset[0]), int(offset[1])
    p = 2 * half + 1
    if abs(dy) >= p or abs(dx) >= p:
        return np.zeros((len(P), len(P)))
    # pixel (u, v) of the second window is pixel (u + dy, v + dx) of the first
    a = P[:, max(dy, 0) : p + min(dy, 0), max(dx, 0) : p + min(dx, 0)].reshape(len(P), -1)
    b = P[:, max(-dy, 0) : p + min(-dy, 0), max(-dx, 0) : p + min(-dx, 0)].reshape(len(P), -1)
    aa, bb = (a * a).sum(1), (b * b).sum(1)
    return np.maximum(aa[:, None] + bb[None, :] - 2 * a @ b.T, 0) / max(a.shape[1], 1)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs [start, end] of True in a 1-D bool array."""
    runs, start = [], None
    for i, f in enumerate(flags):
        if f and start is None:
            start = i
        if not f and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(flags) - 1))
    return runs


def _pair(pa: np.ndarray, pb: np.ndarray, offset, half: int) -> float:
    """E_2 of two given patches, the second's window shifted by ``offset`` from the first's."""
    return float(_overlap_cost(np.stack([pa, pb]), offset, half)[0, 1])


def _refine(img, known_patch, anchors, centres, T, K, half: int, passes: int = 2) -> np.ndarray:
    """Iterated conditional modes after the dynamic programme: each chosen source may move by one
    pixel (8 directions) where that lowers its completion and overlap terms. The candidates sit on
    the curve's rounded pixels, so a thin line can come out a pixel off; this lets the neighbours and
    the hole's edge pull it back into line."""
    h, w = known_patch.shape
    centres = centres.copy()
    moves = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    n = len(anchors)
    for _ in range(passes):
        changed = False
        for i in range(n):
            options = centres[i] + moves
            ok = ((options[:, 0] >= 0) & (options[:, 0] < h) & (options[:, 1] >= 0) & (options[:, 1] < w))
            options = options[ok]
            options = options[known_patch[options[:, 0], options[:, 1]]]
            if len(options) <= 1:
                continue
            P = _patches(img, options, half)
            k = K[i].astype(np.float32)
            cost = np.zeros(len(options))
            if k.sum() > 0:
                cost += COMPLETION_WEIGHT * ((P - T[i][None]) ** 2 * k[None]).reshape(len(P), -1).sum(1) / (
                    k.sum() * img.shape[2])
            for j in (i - 1, i + 1):
                if 0 <= j < n:
                    other = _patches(img, centres[j : j + 1], half)[0]
                    for o, cand in enumerate(P):
                        cost[o] += (_pair(other, cand, anchors[i] - anchors[j], half) if j < i
                                    else _pair(cand, other, anchors[j] - anchors[i], half))
            best = options[int(np.argmin(cost))]
            if (best != centres[i]).any():
                centres[i], changed = best, True
        if not changed:
            break
    return centres


@dataclasses.dataclass
class Propagation:
    """What structure propagation did: the image with the structure pasted, the pixels it filled,
    and per guide the anchors, the chosen source centres and the energy."""

    image: np.ndarray
    filled: np.ndarray
    anchors: list[np.ndarray] = dataclasses.field(default_factory=list)
    sources: list[np.ndarray] = dataclasses.field(default_factory=list)
    energies: list[float] = dataclasses.field(default_factory=list)
    skipped: int = 0  # guides that do not cross the hole or have no known part to copy from


def propagate_structure(image: np.ndarray, mask: np.ndarray, guides: list[Guide], *, patch: int = 9,
                        max_candidates: int = 400) -> Propagation:
    """Fill the hole along each guide (Sun et al. 2005, dynamic programming along the curve).

    ``image`` float (H, W, C) in [0, 1]; ``mask`` bool, True = hole. Returns a
    :class:`Propagation`; pixels outside the hole are never written."""
    img = np.asarray(image, np.float32).copy()
    if img.ndim == 2:
        img = img[..., None]
    hole = np.asarray(mask, bool).copy()
    h, w = hole.shape
    half = patch // 2
    result = Propagation(img, np.zeros_like(hole))
    for guide in guides:
        pts = guide.points
        shape_pts = pts if guide.fine is None else guide.fine  # the curve E_S compares, sub-pixel if known
        valid = (pts[:, 0] >= half) & (pts[:, 0] < h - half) & (pts[:, 1] >= half) & (pts[:, 1] < w - half)
        inside = hole[pts[:, 0], pts[:, 1]]
        # candidate sources: curve points whose whole patch is known
        known_patch = cv2.erode((~hole).astype(np.uint8), np.ones((patch, patch), np.uint8),
                                borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
        cand_idx = np.flatnonzero(valid & known_patch[pts[:, 0], pts[:, 1]])
        runs = _runs(inside)
        if not runs or len(cand_idx) == 0:
            result.skipped += 1
            continue
        if len(cand_idx) > max_candidates:
            cand_idx = cand_idx[np.linspace(0, len(cand_idx) - 1, max_candidates).round().astype(int)]
        cands = pts[cand_idx]
        P = _patches(img, cands, half)
        sources = [_local_curve(shape_pts, c, half) for c in cands]
        step = max(1, half)
        for start, end in runs:
            idx = list(range(max(start - half, 0), min(end + half, len(pts) - 1) + 1, step))
            if idx[-1] != min(end + half, len(pts) - 1):
                idx.append(min(end + half, len(pts) - 1))
            anchors = np.array([pts[i] for i in idx if valid[i]])
            if len(anchors) == 0:
                continue
            targets = [_local_curve(shape_pts, a, half) for a in anchors]
            unary = STRUCTURE_WEIGHT * _structure_cost(targets, sources)
            T = _patches(img, anchors, half)
            K = ~_patches(hole[..., None], anchors, half)  # known pixels of each target window
            for i in range(len(anchors)):
                k = K[i].astype(np.float32)
                if k.sum() > 0:  # E_I: agreement with the known pixels the target window overlaps
                    diff = ((P - T[i][None]) ** 2 * k[None]).reshape(len(P), -1).sum(1) / (k.sum() * img.shape[2])
                    unary[i] += COMPLETION_WEIGHT * diff
            # dynamic programming (Viterbi) along the anchors
            total = unary[0].copy()
            back = []
            for i in range(1, len(anchors)):
                pair = _overlap_cost(P, anchors[i] - anchors[i - 1], half)
                scores = total[:, None] + pair
                back.append(np.argmin(scores, 0))
                total = scores[back[-1], np.arange(len(P))] + unary[i]
            choice = [int(np.argmin(total))]
            for b in reversed(back):
                choice.append(int(b[choice[-1]]))
            choice = choice[::-1]
            result.energies.append(float(total.min()))
            centres = _refine(img, known_patch, anchors, cands[choice], T, K, half)
            result.anchors.append(anchors)
            result.sources.append(centres)
            # paste: each hole pixel of the windows takes the nearest anchor's patch
            best = np.full((h, w), np.inf)
            offs = np.arange(-half, half + 1)
            chosen = _patches(img, centres, half)
            for a, patch_px in zip(anchors, chosen):
                rows, cols = a[0] + offs[:, None], a[1] + offs[None, :]
                dist = (offs[:, None] ** 2 + offs[None, :] ** 2).astype(np.float64)
                win_hole = hole[rows, cols]
                closer = win_hole & (dist < best[rows, cols])
                best[rows, cols] = np.where(closer, dist, best[rows, cols])
                region = img[rows, cols]
                region[closer] = patch_px[closer]
                img[rows, cols] = region
            pasted = np.isfinite(best) & hole
            result.filled |= pasted
        hole &= ~result.filled  # later guides see this structure as known
    result.image = img
    return result


# ------------------------------------------------------------------------------ automatic guides
@dataclasses.dataclass
class Stub:
    """An edge piece that reaches the hole: its pixels (from far to near), its end at the hole,
    its direction into the hole, the colours on its left and right, and the edge pixels that
    locate it (both sides of a thin line once they are merged)."""

    pixels: np.ndarray
    end: np.ndarray
    direction: np.ndarray
    left: np.ndarray
    right: np.ndarray
    support: np.ndarray | None = None

    def __post_init__(self):
        if self.support is None:
            self.support = self.pixels


def _sample(image: np.ndarray, known: np.ndarray, point: np.ndarray) -> np.ndarray | None:
    y, x = np.rint(point).astype(int)
    h, w = known.shape
    if 0 <= y < h and 0 <= x < w and known[y, x]:
        return image[y, x]
    return None


def find_stubs(image: np.ndarray, mask: np.ndarray, *, ring: int = 12, min_length: int = 6) -> list[Stub]:
    """Canny edges (Canny 1986; thresholds from the median intensity) in a ring of ``ring`` px
    around the hole, each 8-connected piece that comes within 2 px of the hole a stub."""
    hole = np.asarray(mask, bool)
    img = np.asarray(image, np.float32)
    gray = (cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 and img.shape[2] == 3 else img.reshape(hole.shape))
    g8 = np.clip(gray * 255, 0, 255).astype(np.uint8)
    g8 = cv2.GaussianBlur(g8, (3, 3), 0)
    med = float(np.median(g8[~hole])) if (~hole).any() else 128.0
    edges = cv2.Canny(g8, max(10, 0.5 * med), max(30, 1.2 * med)) > 0
    near = cv2.dilate(hole.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))).astype(bool)
    ring_mask = cv2.dilate(hole.astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * ring + 1, 2 * ring + 1))).astype(bool) & ~near
    touch = cv2.dilate(near.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & ~near
    pieces = edges & ring_mask
    # break the edge map at junctions (a pixel with more than two edge neighbours): a fence's posts
    # and rails become separate pieces, each with one direction
    neighbours = cv2.filter2D(pieces.astype(np.uint8), -1, np.ones((3, 3), np.float32), borderType=cv2.BORDER_CONSTANT)
    pieces &= neighbours <= 3
    count, labels = cv2.connectedComponents(pieces.astype(np.uint8), connectivity=8)
    known = ~hole
    dist_to_hole = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 5)
    stubs = []
    for k in range(1, count):
        pix = np.argwhere(labels == k)
        if len(pix) < min_length or not touch[pix[:, 0], pix[:, 1]].any():
            continue
        path = order_curve(pix)
        if dist_to_hole[tuple(path[0])] < dist_to_hole[tuple(path[-1])]:
            path = path[::-1]  # from far to near
        end = path[-1].astype(np.float64)
        centred = path - path.mean(0)
        _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
        d = vt[0]
        if np.dot(d, path[-1] - path[0]) < 0:
            d = -d
        normal = np.array([-d[1], d[0]])  # left of the direction (row, col coordinates)
        mid = path[len(path) // 2].astype(np.float64)
        left = _sample(img, known, mid + 3 * normal)
        right = _sample(img, known, mid - 3 * normal)
        if left is None or right is None:
            continue
        stubs.append(Stub(path, end, d, np.atleast_1d(left), np.atleast_1d(right)))
    return stubs


def merge_line_sides(stubs: list[Stub], max_gap: float = 8.0) -> list[Stub]:
    """Canny marks both sides of a thin line: two parallel stubs whose ends lie within ``max_gap``
    px become one along the line's centre, with the outer colours (else a guide could link one
    side of a wire to the other side across the hole, and the copied line would step)."""
    merged, used = [], set()
    for i, a in enumerate(stubs):
        if i in used:
            continue
        for j in range(i + 1, len(stubs)):
            b = stubs[j]
            if j in used or float(np.dot(a.direction, b.direction)) < 0.95:
                continue
            gap = b.end - a.end
            if np.hypot(*gap) > max_gap:
                continue
            normal = np.array([-a.direction[1], a.direction[0]])
            outer_left, outer_right = (a, b) if np.dot(gap, normal) < 0 else (b, a)
            longer = a if len(a.pixels) >= len(b.pixels) else b
            shift = (a.end + b.end) / 2 - longer.end
            pixels = np.rint(longer.pixels + shift).astype(np.int32)
            a = Stub(pixels, (a.end + b.end) / 2, a.direction, outer_left.left, outer_right.right,
                     np.concatenate([a.support, b.support]))
            used.add(j)
            break
        merged.append(a)
    return merged


def _fitted_curve(a: Stub, b: Stub, length: float) -> np.ndarray:
    """The guide at sub-pixel precision, from ``a``'s far end across the hole to ``b``'s far end: a
    straight line, or a parabola where it fits clearly better (a line missing them by more than
    ``LINE_TOLERANCE`` px RMS, the parabola by 30 % less), fitted (least squares) to both stubs' edge pixels in the frame of the line joining
    their ends, so a straight edge stays straight and a gently curved one keeps its curvature (and
    both sides of a thin line give its centre); a point every half pixel."""
    u = (b.end - a.end) / length
    n = np.array([-u[1], u[0]])
    pts = np.concatenate([a.support, b.support]).astype(np.float64) - a.end
    along, across = pts @ u, pts @ n
    coef = np.polyfit(along, across, 1)  # a straight line unless a parabola fits the stubs clearly better
    if len(pts) >= 8:
        curved = np.polyfit(along, across, 2)
        rms_line, rms_curved = (np.sqrt(np.mean((np.polyval(c, along) - across) ** 2)) for c in (coef, curved))
        if rms_line > LINE_TOLERANCE and rms_curved < 0.7 * rms_line:
            coef = curved
    s = np.arange(min(along.min(), 0.0), max(along.max(), length) + 0.5, 0.5)
    return a.end + s[:, None] * u + np.polyval(coef, s)[:, None] * n


def propose_guides(image: np.ndarray, mask: np.ndarray, *, max_angle: float = 35.0, max_colour: float = 0.18,
                   ring: int = 12, max_guides: int = 8) -> list[Guide]:
    """Guides linking pairs of stubs that point at each other with matching side colours, best first."""
    hole = np.asarray(mask, bool)
    stubs = merge_line_sides(find_stubs(image, hole, ring=ring))
    limit = np.cos(np.radians(max_angle))
    pairs = []
    for i, a in enumerate(stubs):
        for j in range(i + 1, len(stubs)):
            b = stubs[j]
            gap = b.end - a.end
            length = float(np.hypot(*gap))
            if length < 2:
                continue
            u = gap / length
            ca, cb = float(np.dot(a.direction, u)), float(np.dot(b.direction, -u))
            if ca < limit or cb < limit:
                continue
            # facing each other, a's left side continues as b's right side
            colour = 0.5 * (np.sqrt(np.mean((a.left - b.right) ** 2)) + np.sqrt(np.mean((a.right - b.left) ** 2)))
            if colour > max_colour:
                continue
            cost = float((1 - ca) + (1 - cb) + colour)
            pairs.append((cost, i, j, length))
    guides, used = [], set()
    for cost, i, j, length in sorted(pairs):
        if i in used or j in used:
            continue
        used |= {i, j}
        fine = _fitted_curve(stubs[i], stubs[j], length)
        path = rasterise(fine, hole.shape)
        if len(path) >= 4:
            guides.append(Guide(path, "auto", round(cost, 4), fine))
        if len(guides) >= max_guides:
            break
    return guides
