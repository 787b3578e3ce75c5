"""Patch-based completion on the PatchMatch nearest-neighbour field.

- Multi-scale completion in the manner of Wexler, Shechtman and Irani 2007 (the algorithm
  behind Photoshop's Content-Aware Fill): a coarse-to-fine pyramid, and at each level EM
  iterations of nearest-neighbour search (PatchMatch, Barnes et al. 2009) and weighted
  patch voting.
- Statistics of patch offsets, He and Sun 2012/2014: the dominant offsets between similar
  patches of the known region, then a labelling of the hole by those offsets, optimised
  with alpha-expansion graph cuts (Boykov, Veksler and Zabih 2001) on PyMaxflow.
"""

from __future__ import annotations

import cv2
import numba
import numpy as np

from ..base import Citation, InpaintMethod, MethodCard, Param
from ..trace import NNFLevel
from ..fast_marching import telea_fill
from ..patchmatch import masked_pyramid, nnf_search, valid_source_centres


def _upsample_nnf(nnf: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Coarse field -> fine field: each fine centre takes its parent's match, doubled."""
    h, w = shape
    hc, wc = nnf.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    py, px = np.minimum(yy * hc // h, hc - 1), np.minimum(xx * wc // w, wc - 1)
    parent = nnf[py, px]
    fine = np.empty((h, w, 2), np.int32)
    fine[..., 0] = np.clip(np.round(parent[..., 0] * h / hc).astype(np.int64) + (yy - py * h // hc), 0, h - 1)
    fine[..., 1] = np.clip(np.round(parent[..., 1] * w / wc).astype(np.int64) + (xx - px * w // wc), 0, w - 1)
    fine[parent[..., 0] < 0] = -1
    return fine


@numba.njit(cache=True, fastmath=True)
def _vote(image, hole, nnf, weights, ty, tx, half):  # pragma: no cover
    """Wexler's voting step: every hole pixel becomes the weighted mean of the pixels that
    the matched source patches of all target patches covering it put there."""
    h, w, c = image.shape
    acc = np.zeros((h, w, c), np.float64)
    wsum = np.zeros((h, w), np.float64)
    for i in range(ty.size):
        y, x = ty[i], tx[i]
        sy, sx = nnf[y, x, 0], nnf[y, x, 1]
        if sy < 0:
            continue
        wt = weights[i]
        for dy in range(-half, half + 1):
            yy = y + dy
            if yy < 0 or yy >= h:
                continue
            for dx in range(-half, half + 1):
                xx = x + dx
                if xx < 0 or xx >= w or not hole[yy, xx]:
                    continue
                for k in range(c):
                    acc[yy, xx, k] += wt * image[sy + dy, sx + dx, k]
                wsum[yy, xx] += wt
    out = image.copy()
    for y in range(h):
        for x in range(w):
            if hole[y, x] and wsum[y, x] > 0.0:
                for k in range(c):
                    out[y, x, k] = acc[y, x, k] / wsum[y, x]
    return out


def wexler_complete(
    image: np.ndarray,
    hole: np.ndarray,
    *,
    patch_size: int = 7,
    levels: int = 4,
    iterations: int = 5,
    seed: int = 0,
    gamma: float = 1.3,
    progress=None,
    trace: dict | None = None,
) -> np.ndarray:
    """Multi-scale EM completion (Wexler et al. 2007) on PatchMatch; see :class:`PatchMatchCompletion`."""
    half = patch_size // 2
    pyramid = masked_pyramid(image, hole, levels, patch_size)
    n_levels = len(pyramid)
    nnf = None
    current = None
    total_steps = sum(iterations + (2 if k == n_levels - 1 else 0) for k in range(n_levels))
    done = 0
    for level in range(n_levels - 1, -1, -1):
        base, lhole = pyramid[level]
        h, w = lhole.shape
        img = base.copy()
        targets = cv2.dilate(lhole.astype(np.uint8), np.ones((patch_size, patch_size), np.uint8)).astype(bool)
        ty, tx = np.nonzero(targets)
        # Wexler's confidence: pixels deep inside the hole are less trustworthy, alpha = gamma^-dist
        depth = cv2.distanceTransform(lhole.astype(np.uint8), cv2.DIST_L2, 3)
        alpha = gamma ** (-depth[ty, tx].astype(np.float64))
        if current is None:
            img = telea_fill(img, lhole)
            init = None
        else:
            up = cv2.resize(current, (w, h), interpolation=cv2.INTER_LINEAR)
            img[lhole] = up[lhole]
            # Wexler et al. / Barnes et al.: the finer level starts from a vote of the upsampled
            # field over this level's own sharp pixels, not from the interpolated coarse colours
            # (which are blurred, and would pull the search towards smooth patches)
            init = _upsample_nnf(nnf, (h, w))
            matched = init[..., 0] >= 0
            init[..., 0] = np.where(matched, np.clip(init[..., 0], half, h - 1 - half), -1)
            init[..., 1] = np.where(matched, np.clip(init[..., 1], half, w - 1 - half), -1)
            img = _vote(img, lhole, init, alpha + 1e-10, ty, tx, half)
        valid = valid_source_centres(~lhole, patch_size)
        if not valid.any():  # tiny image or huge hole: allow any in-image centre with a known centre pixel
            valid = valid_source_centres(np.ones_like(lhole), patch_size) & ~lhole
        n_iter = iterations + (2 if level == n_levels - 1 else 0)
        if valid.any():
            for it in range(n_iter):
                nnf, dist = nnf_search(
                    img, img, patch_size=patch_size, iterations=4 if (it == 0 and init is None) else 2,
                    target_mask=targets, source_valid=valid, init=init, seed=seed + 1000 * level + it,
                )
                init = nnf
                d = dist[ty, tx].astype(np.float64)
                finite = np.isfinite(d)
                sigma2 = max(float(np.max(d[finite])) if finite.any() else 1.0, 1e-8)
                weights = np.where(finite, alpha * np.exp(-np.where(finite, d, 0.0) / (2.0 * sigma2)), 0.0) + 1e-10
                img = _vote(img, lhole, nnf, weights, ty, tx, half)
                done += 1
                if progress is not None:
                    progress(done / total_steps, f"level {n_levels - level}/{n_levels}, EM iteration {it + 1}/{n_iter}")
        else:
            nnf = np.full((h, w, 2), -1, np.int32)
        if trace is not None:
            trace.nnf_levels.append(NNFLevel(level, nnf.copy(), lhole.copy()))
        current = img
    return current


_PATCH = Param("patch_size", 7, "Side of the square patches (odd, px).", 3, 15, 2)


class PatchMatchCompletion(InpaintMethod):
    """Multi-scale patch-based completion (Wexler, Shechtman and Irani 2007) on PatchMatch
    (Barnes et al. 2009), the algorithm behind Photoshop's Content-Aware Fill.

    At each pyramid level, coarse to fine: PatchMatch finds, for every patch overlapping
    the hole, the most similar fully known patch; every hole pixel then becomes the
    weighted mean of the values its overlapping matches vote for (weight
    ``gamma^-dist(boundary) * exp(-d / 2 sigma^2)``, sigma^2 the largest match distance of
    the iteration, so that every coherent vote counts). The result is upsampled and refined at the next level.

    References: Wexler et al., IEEE TPAMI 29(3), 2007, https://doi.org/10.1109/TPAMI.2007.60;
    Barnes et al., ACM TOG 28(3), 2009, https://doi.org/10.1145/1531326.1531330.
    """

    name = "patchmatch"
    title = "PatchMatch completion (Wexler / Content-Aware Fill)"
    family = "patch-based"
    speed = "medium"
    citation = Citation(
        "Y. Wexler, E. Shechtman, M. Irani; C. Barnes, E. Shechtman, A. Finkelstein, D. B. Goldman",
        "Space-Time Completion of Video; PatchMatch: A Randomized Correspondence Algorithm for Structural Image Editing",
        "IEEE TPAMI 29(3); ACM TOG 28(3)", 2009, "https://doi.org/10.1145/1531326.1531330",
    )
    params = (
        _PATCH,
        Param("levels", 4, "Most pyramid levels (fewer when the image or the hole gets too small).", 1, 8, 1),
        Param("iterations", 5, "EM iterations (search + vote) per level; the coarsest gets 2 more.", 1, 20, 1),
    )
    version = "2"  # 2: finer levels start from a vote of the upsampled field (texture kept), flatter weights
    context_margin = 96
    card = MethodCard(
        idea="Finds the fill whose every patch looks like some patch of the known image: alternately match each "
        "patch touching the hole to its nearest known patch (PatchMatch's random search and propagation) and let "
        "the matches vote for each pixel, coarse to fine.",
        formula=r"\min_{\hat I} \sum_{t \ni \Omega} \min_{s \in S} \| P_t(\hat I) - P_s(I) \|^2,\quad "
        r"\hat I(p) = \frac{\sum_{t \ni p} w_t\, P_{s(t)}(p)}{\sum_{t \ni p} w_t}",
        fails_when="Structures that need global reasoning (a face, a long curved edge); the voting averages "
        "inconsistent matches into slight blur; nothing similar exists in the known region.",
    )

    def fill(self, image, mask, params, ctx):
        p = min(params["patch_size"], (min(mask.shape) // 2) * 2 - 1)
        seed = int(ctx.rng.integers(2**31))
        return wexler_complete(
            image, mask, patch_size=max(p, 1), levels=params["levels"], iterations=params["iterations"],
            seed=seed, progress=ctx.progress, trace=ctx.trace,
        )


# -- Statistics of patch offsets (He and Sun 2012/2014) ----------------------------------------

_BAD = 3.0  # colour distance charged when a shifted sample falls outside the known region
_INF = 1e6  # data term of a label whose shift leaves the known region


@numba.njit(cache=True, inline="always")
def _smooth(shifted, ok, x, a, b, bad):  # pragma: no cover
    if not (ok[x, a] and ok[x, b]):
        return bad
    d = 0.0
    for k in range(shifted.shape[2]):
        t = shifted[x, a, k] - shifted[x, b, k]
        d += t * t
    return d


@numba.njit(cache=True)
def _pair_terms(shifted, ok, pp, pq, labels, alpha, bad):  # pragma: no cover
    """He and Sun's smoothness of every hole-hole pair for the current labels (e00), with q
    switched to alpha (e01) and with p switched to alpha (e10)."""
    m = pp.size
    e00 = np.zeros(m)
    e01 = np.zeros(m)
    e10 = np.zeros(m)
    for i in range(m):
        p, q = pp[i], pq[i]
        a, b = labels[p], labels[q]
        if a != b:
            e00[i] = _smooth(shifted, ok, p, a, b, bad) + _smooth(shifted, ok, q, a, b, bad)
        if a != alpha:
            e01[i] = _smooth(shifted, ok, p, a, alpha, bad) + _smooth(shifted, ok, q, a, alpha, bad)
        if b != alpha:
            e10[i] = _smooth(shifted, ok, p, alpha, b, bad) + _smooth(shifted, ok, q, alpha, b, bad)
    return e00, e01, e10


@numba.njit(cache=True)
def _energy(shifted, ok, table, pp, pq, labels, bad):  # pragma: no cover
    e = 0.0
    for i in range(labels.size):
        e += table[i, labels[i]]
    for i in range(pp.size):
        p, q = pp[i], pq[i]
        a, b = labels[p], labels[q]
        if a != b:
            e += _smooth(shifted, ok, p, a, b, bad) + _smooth(shifted, ok, q, a, b, bad)
    return e


def dominant_offsets(image: np.ndarray, hole: np.ndarray, *, patch_size: int = 7, count: int = 60,
                     min_offset: int | None = None, seed: int = 0) -> np.ndarray:
    """The ``count`` dominant offsets (dy, dx) between similar patches of the known region:
    peaks of the histogram of the PatchMatch field (He and Sun 2012), smoothed by a Gaussian
    of sigma sqrt(2), after non-maximum suppression. Matches closer than ``min_offset``
    (default: the image's longer side / 15) are excluded, as in the paper."""
    h, w = hole.shape
    if min_offset is None:
        min_offset = max(max(h, w) // 15, 2)
    valid = valid_source_centres(~hole, patch_size)
    nnf, dist = nnf_search(image, None, patch_size=patch_size, iterations=4, target_mask=valid,
                           source_valid=valid, min_offset=min_offset, seed=seed)
    ok = valid & np.isfinite(dist)
    yy, xx = np.nonzero(ok)
    dy, dx = nnf[yy, xx, 0] - yy, nnf[yy, xx, 1] - xx
    hist = np.zeros((2 * h + 1, 2 * w + 1), np.float32)
    np.add.at(hist, (dy + h, dx + w), 1.0)
    hist = cv2.GaussianBlur(hist, (0, 0), np.sqrt(2.0))
    peaks = (hist == cv2.dilate(hist, np.ones((5, 5), np.uint8))) & (hist > 0)
    py, px = np.nonzero(peaks)
    order = np.argsort(-hist[py, px], kind="stable")[:count]
    return np.stack([py[order] - h, px[order] - w], axis=1).astype(np.int64)


def offset_labelling(image: np.ndarray, hole: np.ndarray, offsets: np.ndarray, *, cycles: int = 2,
                     progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Label every hole pixel with one of ``offsets`` (copy I(x + s)) by alpha-expansion graph
    cuts (Boykov, Veksler and Zabih 2001) on He and Sun's energy:

    - data term: 0 if x + s is a known pixel, else infinite;
    - smoothness between 4-neighbours x, x' of labels a, b:
      ``|I(x+s_a) - I(x+s_b)|^2 + |I(x'+s_a) - I(x'+s_b)|^2``; a known neighbour x' counts
      as label 0 (itself), which gives ``|I(x'+s_a) - I(x')|^2``.

    Non-submodular pair terms of an expansion are truncated (Rother et al. 2005) and a move is
    kept only if it lowers the energy. Returns (labels per hole pixel in ``np.nonzero``
    order, -1 where no offset is usable; the composed image)."""
    import maxflow

    h, w = hole.shape
    known = ~hole
    hy, hx = np.nonzero(hole)
    n = hy.size
    index = np.full((h, w), -1, np.int64)
    index[hy, hx] = np.arange(n)
    flat = image.reshape(-1, image.shape[2])

    def sample(ys, xs, labels):
        """I(y + s_label) and whether it is a known pixel."""
        sy, sx = ys + offsets[labels, 0], xs + offsets[labels, 1]
        inside = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w)
        sy, sx = np.clip(sy, 0, h - 1), np.clip(sx, 0, w - 1)
        ok = inside & known[sy, sx]
        return flat[sy * w + sx], ok

    def colour_cost(va, oka, vb, okb):
        d = np.sum((va - vb) ** 2, axis=1)
        return np.where(oka & okb, d, _BAD)

    # 4-neighbour pairs inside the hole, and (hole pixel, known neighbour) pairs
    pairs_p, pairs_q, border_p, border_y, border_x = [], [], [], [], []
    for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        ny, nx = hy + dy, hx + dx
        inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        ids = np.flatnonzero(inside)
        nb = index[ny[ids], nx[ids]]
        if dy >= 0 and dx >= 0:  # each hole-hole pair once
            sel = nb >= 0
            pairs_p.append(ids[sel]), pairs_q.append(nb[sel])
        sel = nb < 0
        border_p.append(ids[sel]), border_y.append(ny[ids[sel]]), border_x.append(nx[ids[sel]])
    pp, pq = np.concatenate(pairs_p), np.concatenate(pairs_q)
    bp, by, bx = np.concatenate(border_p), np.concatenate(border_y), np.concatenate(border_x)
    border_values = flat[by * w + bx]

    n_labels = len(offsets)
    # per-label tables: shifted colours at the hole pixels, and the unary term of each pixel
    shifted = np.empty((n, n_labels, image.shape[2]), np.float32)
    shifted_ok = np.empty((n, n_labels), bool)
    table = np.empty((n, n_labels), np.float64)
    ones = np.ones(bp.size, bool)
    for a in range(n_labels):
        vals, ok = sample(hy, hx, np.full(n, a))
        shifted[:, a], shifted_ok[:, a] = vals, ok
        v, okb = sample(by, bx, np.full(bp.size, a))
        table[:, a] = np.where(ok, 0.0, _INF) + np.bincount(bp, colour_cost(v, okb, border_values, ones), minlength=n)
    rows = np.arange(n)

    def unary(labels):
        return table[rows, labels]

    # start: the most frequent offset that is usable at each pixel
    labels = np.full(n, -1, np.int64)
    for a in range(n_labels - 1, -1, -1):
        labels[shifted_ok[:, a]] = a
    usable = labels >= 0
    labels[~usable] = 0

    def energy(lab):
        return _energy(shifted, shifted_ok, table, pp, pq, lab, _BAD)

    current = energy(labels)
    total = cycles * n_labels
    for cycle in range(cycles):
        changed = False
        for alpha in range(n_labels):
            if progress is not None:
                progress((cycle * n_labels + alpha) / total, f"expansion {cycle + 1}/{cycles}, offset {alpha + 1}/{n_labels}")
            movable = shifted_ok[:, alpha] & (labels != alpha)
            if not movable.any():
                continue
            u0, u1 = unary(labels), table[:, alpha].copy()
            e00, e01, e10 = _pair_terms(shifted, shifted_ok, pp, pq, labels, alpha, _BAD)
            mp, mq = movable[pp], movable[pq]
            # a fixed end turns the pair into a unary term of the other end
            only_p = mp & ~mq
            u0 += np.bincount(pp[only_p], e00[only_p], minlength=n)
            u1 += np.bincount(pp[only_p], e10[only_p], minlength=n)
            only_q = mq & ~mp
            u0 += np.bincount(pq[only_q], e00[only_q], minlength=n)
            u1 += np.bincount(pq[only_q], e01[only_q], minlength=n)
            both = mp & mq
            e00b = np.minimum(e00[both], e01[both] + e10[both])  # truncation of non-submodular terms
            p_b, q_b = pp[both], pq[both]
            u1 += np.bincount(p_b, e10[both] - e00b, minlength=n)
            u1 -= np.bincount(q_b, e10[both], minlength=n)
            cap = e01[both] + e10[both] - e00b
            node = np.full(n, -1, np.int64)
            mov = np.flatnonzero(movable)
            node[mov] = np.arange(mov.size)
            g = maxflow.Graph[float](mov.size, p_b.size)
            g.add_nodes(mov.size)
            if p_b.size:
                g.add_edges(node[p_b], node[q_b], cap, np.zeros_like(cap))
            a0, a1 = u0[mov], u1[mov]
            low = np.minimum(a0, a1)
            g.add_grid_tedges(np.arange(mov.size), a1 - low, a0 - low)
            g.maxflow()
            switch = g.get_grid_segments(np.arange(mov.size))
            if not switch.any():
                continue
            proposal = labels.copy()
            proposal[mov[switch]] = alpha
            e = energy(proposal)
            if e < current - 1e-9:
                labels, current, changed = proposal, e, True
        if not changed:
            break
    out = image.copy()
    out[hy, hx] = shifted[rows, labels]
    labels[~(usable & shifted_ok[rows, labels])] = -1
    return labels, out


def patch_offsets_complete(image, hole, *, patch_size=7, count=60, cycles=2, seed=0, progress=None, trace=None):
    """He and Sun 2012 on a working image; see :class:`PatchOffsets`."""
    p = min(patch_size, (min(hole.shape) // 2) * 2 - 1)
    offsets = dominant_offsets(image, hole, patch_size=max(p, 1), count=count, seed=seed)
    if len(offsets) == 0:  # no fully known patch: nothing to learn offsets from
        return telea_fill(image, hole)
    labels, out = offset_labelling(image, hole, offsets, cycles=cycles, progress=progress)
    if (labels < 0).any():  # pixels that no dominant offset can reach: smooth fill from the result
        left = np.zeros_like(hole)
        hy, hx = np.nonzero(hole)
        left[hy[labels < 0], hx[labels < 0]] = True
        out = telea_fill(out, left)
    if trace is not None:
        trace.patch_offsets = {"offsets": offsets, "labels": labels, "hole": hole.copy()}
    return out


class PatchOffsets(InpaintMethod):
    """Statistics of patch offsets, He and Sun 2012 (ECCV) / 2014 (TPAMI).

    PatchMatch matches every known patch to its most similar known patch at least
    ``max(H, W) / 15`` pixels away; the K highest peaks of the (Gaussian-smoothed) histogram
    of those offsets are the image's dominant repetitions. Each hole pixel then copies
    ``I(x + s)`` for one of these K offsets, chosen by minimising the data + smoothness
    energy with alpha-expansion graph cuts (PyMaxflow's Boykov-Kolmogorov max-flow). He and
    Sun finish with Poisson blending of the seams; this version does not.

    References: https://doi.org/10.1007/978-3-642-33709-3_2 (ECCV 2012);
    https://doi.org/10.1109/TPAMI.2014.2330611 (TPAMI 2014).
    """

    name = "patch_offsets"
    title = "Statistics of patch offsets (He & Sun)"
    family = "patch-based"
    speed = "medium"
    citation = Citation(
        "K. He, J. Sun", "Image Completion Approaches Using the Statistics of Similar Patches",
        "IEEE TPAMI 36(12)", 2014, "https://doi.org/10.1109/TPAMI.2014.2330611",
    )
    params = (
        _PATCH,
        Param("offsets", 60, "Number K of dominant offsets (labels); He and Sun use 60.", 4, 200, 1),
        Param("cycles", 2, "Alpha-expansion sweeps over all labels.", 1, 5, 1),
    )
    card = MethodCard(
        idea="Similar patches in an image repeat at a few dominant shifts. Learn them from the known region's "
        "nearest-neighbour field, then fill the hole by copying the image shifted by one of those offsets per "
        "pixel, chosen by a graph cut so that neighbouring pixels agree.",
        formula=r"E(L) = \sum_x E_d(L(x)) + \sum_{(x,x')} \|I(x+s_a) - I(x+s_b)\|^2 + \|I(x'+s_a) - I(x'+s_b)\|^2",
        fails_when="Images without repetition (portraits, single objects): the offsets are arbitrary and the "
        "fill is copied from the wrong place; visible seams (no Poisson blending here).",
    )

    def fill(self, image, mask, params, ctx):
        seed = int(ctx.rng.integers(2**31))
        return patch_offsets_complete(image, mask, patch_size=params["patch_size"], count=params["offsets"],
                                      cycles=params["cycles"], seed=seed, progress=ctx.progress, trace=ctx.trace)


# -- Image melding (Darabi et al. 2012) --------------------------------------------------------

class ImageMelding(InpaintMethod):
    """Image melding, Darabi, Shechtman, Barnes, Goldman and Sen 2012, for hole filling:
    the multi-scale completion of :class:`PatchMatchCompletion`, with source patches that may be
    rotated, scaled and mirrored (the generalized PatchMatch of Barnes et al. 2010), corrected
    per channel by a clamped gain and bias, compared on colours and gradients, and voted in the
    gradient domain (colours and gradients voted, then a screened Poisson solve).

    Implemented here: the transformed-patch search (bilinear sampling, propagation of a
    neighbour's transform, random search shrinking in position, angle and log-scale), gain and
    bias (``sigma_t / sigma_s`` clamped to [0.8, 1.25], ``mu_t - g mu_s`` to [-0.1, 0.1]),
    the gradient term of the distance, and the screened Poisson vote at every EM iteration.
    Left out: the paper's L*a*b* colour space (RGB here); gain and bias come from the box
    statistics at the source's nearest pixel, not from the warped patch; combining two or more
    source images (the paper's melding of inconsistent images, HDR, cloning), user constraints;
    the coarsest level starts boundary-first (bands half a patch deep), this implementation's choice.

    References: Darabi et al., ACM TOG 31(4), 2012, https://doi.org/10.1145/2185520.2185578;
    Barnes et al., ECCV 2010, https://doi.org/10.1007/978-3-642-15558-1_3.
    """

    name = "melding"
    title = "Image melding (rotated / scaled patches, gradient vote)"
    family = "patch-based"
    speed = "medium"
    citation = Citation(
        "S. Darabi, E. Shechtman, C. Barnes, D. B. Goldman, P. Sen",
        "Image Melding: Combining Inconsistent Images using Patch-based Synthesis",
        "ACM TOG 31(4)", 2012, "https://doi.org/10.1145/2185520.2185578",
    )
    params = (
        _PATCH,
        Param("levels", 4, "Most pyramid levels (fewer when the image or the hole gets too small).", 1, 8, 1),
        Param("iterations", 3, "EM iterations (search + vote) per level; the coarsest gets 2 more.", 1, 20, 1),
        Param("rotation", 45.0, "Largest rotation of a source patch, degrees (0 = none).", 0.0, 180.0, 5.0),
        Param("scale_range", 0.35, "Largest scale change, octaves: scales from 2^-r to 2^r (0 = none).", 0.0, 1.0, 0.05),
        Param("reflection", True, "Allow mirrored source patches."),
        Param("gradient_weight", 1.0, "Weight of gradients in the patch distance and the screened Poisson vote "
              "(0 = colours only).", 0.0, 10.0, 0.1),
    )
    context_margin = 96
    card = MethodCard(
        idea="Completes the hole like Content-Aware Fill, but a source patch may be rotated, scaled or mirrored and "
        "brightened or darkened a little, so a texture seen at another angle or size elsewhere can fill the hole. "
        "Colours and gradients are voted separately and merged by a screened Poisson solve, which hides seams.",
        formula=r"d(t, s) = \sum_{p} \|P_t(p) - g\,P_s(c + sR_\theta F p) - b\|^2 + \lambda \|\nabla P_t - g \nabla P_s\|^2,\quad "
        r"\min_I \|I - \hat c\|^2 + \lambda \|\nabla I - \hat g\|^2",
        fails_when="Large ranges make the search slower and noisier (a sub-pixel rotation blurs a little); "
        "structures needing global reasoning; nothing similar in the known region even after rotation or scaling.",
    )

    def fill(self, image, mask, params, ctx):
        from ..melding import NoSourcePatch, meld_complete

        p = max(min(params["patch_size"], (min(mask.shape) // 2) * 2 - 1), 1)
        try:
            return meld_complete(
                image, mask, patch_size=p, levels=params["levels"], iterations=params["iterations"],
                rotation=params["rotation"], scale_range=params["scale_range"], reflection=params["reflection"],
                gradient_weight=params["gradient_weight"], seed=ctx.child_seed(0), progress=ctx.progress,
                trace=ctx.trace,
            )
        except NoSourcePatch:  # no fully known patch to copy from: the translational completion's fallbacks
            return wexler_complete(image, mask, patch_size=p, levels=params["levels"],
                                   iterations=params["iterations"], seed=ctx.child_seed(0) % 2**31,
                                   progress=ctx.progress, trace=ctx.trace)


# -- Planar structure guidance (Huang et al. 2014) ---------------------------------------------

class PlanarGuidance(InpaintMethod):
    """Image completion using planar structure guidance, Huang, Kang, Ahuja and Kopf 2014.

    Line segments of the known region (OpenCV's LSD, or a probabilistic Hough transform) give
    vanishing points (sequential RANSAC over segment pairs); pairs of them give planes, with a
    posterior per pixel from the densities of both points' segments, diffused into the hole;
    ORB features matched within each rectified plane give its dominant translations. The
    completion is :class:`PatchMatchCompletion`'s EM, with each source patch warped by its
    plane's homography (rectify, translate, unrectify) and the patch cost raised by the
    guidance: plane compatibility, regularity, direction and proximity costs.

    Implemented here: all of the above; with no plane found the run *is* the translational
    completion (same seed, same output). Left out: the paper's detection of the fronto-parallel
    plane's own regularity, its lattice fitting (here: the modes of the rectified displacements,
    and their multiples up to 2), its per-level tuning of the guidance weights (the weights and
    truncations here are this implementation's), its photometric compensation, and its
    nearest-neighbour-field refinement tricks; rectified scale is set at the hole's centroid.

    Reference: Huang et al., ACM TOG 33(4), 2014, https://doi.org/10.1145/2601097.2601205.
    """

    name = "planar"
    title = "Planar structure guidance (Huang et al.)"
    family = "patch-based"
    speed = "medium"
    citation = Citation(
        "J.-B. Huang, S. B. Kang, N. Ahuja, J. Kopf", "Image Completion using Planar Structure Guidance",
        "ACM TOG 33(4)", 2014, "https://doi.org/10.1145/2601097.2601205",
    )
    params = (
        _PATCH,
        Param("levels", 4, "Most pyramid levels (fewer when the image or the hole gets too small).", 1, 8, 1),
        Param("iterations", 5, "EM iterations (search + vote) per level; the coarsest gets 2 more.", 1, 20, 1),
        Param("guidance", 1.0, "Multiplier of the guidance costs (plane, regularity, direction, proximity).",
              0.0, 5.0, 0.1),
        Param("detector", "auto", "Line segments: OpenCV's LSD, scikit-image's Hough transform on Canny edges, "
              "or auto (LSD when available).", choices=("auto", "lsd", "hough")),
    )
    context_margin = 96  # the translational completion's crop, so that its fallback is the same run
    card = MethodCard(
        idea="Finds the scene's planes from its straight lines: segments meeting at vanishing points, pairs of "
        "vanishing points spanning planes. The hole is completed like Content-Aware Fill, but each copied patch is "
        "warped by its plane's perspective and the search prefers sources on the same plane, along its axes, at "
        "its repetition period and nearby.",
        formula=r"E(t, s, m) = \|P_t - P_s \circ H_m^{-1} T_\delta H_m\|^2 + \lambda_p (-\log P(m|s) - \log P(m|t)) "
        r"+ \lambda_r E_{reg} + \lambda_d \min(|\delta_u|, |\delta_v|) + \lambda_x \frac{\|s - t\|^2}{\sigma_d(t)^2 + \sigma_c^2}",
        fails_when="Scenes without straight lines or with lines of many directions (no reliable vanishing "
        "points): it falls back to translational completion; curved or non-planar surfaces; planes that only "
        "the hole shows.",
    )

    def fill(self, image, mask, params, ctx):
        from ..melding import NoSourcePatch
        from ..planar import Guidance, plane_model, planar_complete
        from ..trace import PlanarRecord

        p = max(min(params["patch_size"], (min(mask.shape) // 2) * 2 - 1), 1)
        seed = int(ctx.rng.integers(2**31))  # the translational completion's own draw: its fallback is the same run
        model = plane_model(image, mask, detector=params["detector"], seed=ctx.child_seed(1))
        result = None
        if model.has_planes:
            try:
                result, _ = planar_complete(
                    image, mask, model, patch_size=p, levels=params["levels"], iterations=params["iterations"],
                    seed=ctx.child_seed(2), guidance=Guidance().scaled(params["guidance"]), progress=ctx.progress,
                )
            except NoSourcePatch:  # no fully known patch to copy from at some level
                result = None
        if ctx.trace is not None:
            ctx.trace.planar = PlanarRecord(
                model.segments, model.labels, model.points, list(model.planes), model.probability,
                [t.copy() for t in model.translations], mask.copy(), fallback=result is None,
            )
        if result is None:
            result = wexler_complete(image, mask, patch_size=p, levels=params["levels"],
                                     iterations=params["iterations"], seed=seed, progress=ctx.progress,
                                     trace=ctx.trace)
        return result
