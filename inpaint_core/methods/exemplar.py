"""Exemplar-based methods: copy texture from the known part of the image.

- Efros and Leung 1999: non-parametric texture synthesis, one pixel at a time.
- Criminisi, Perez and Toyama 2004: exemplar-based inpainting with a fill order given
  by the priority P = C x D (confidence x data term), one patch at a time.

Both hot loops are compiled with numba: the searches are sums of squared differences over
the *known* pixels of a patch, whose set changes at every step, and an exhaustive scan
with early termination (stop a candidate once it is worse than the best so far) is both
exact and cheaper than recomputing masked correlations over the search window each step.
"""

from __future__ import annotations

import numba
import numpy as np

from ..base import Citation, InpaintMethod, MethodCard, Param
from ..trace import FillOrder
from ..geometry import hole_box
from ..patchmatch import largest_source_patch, seed_numba

# -- Criminisi, Perez and Toyama 2004 -------------------------------------------------------

_D_FLOOR = 1e-3  # keeps P > 0 where the isophote is flat, so confidence still orders the front


@numba.njit(cache=True, inline="always")
def _gradient_at(gray, known, y, x):  # pragma: no cover
    """Image gradient at a known pixel from its known neighbours only (central, else one-sided)."""
    h, w = gray.shape
    if not known[y, x]:
        return 0.0, 0.0
    left = x > 0 and known[y, x - 1]
    right = x < w - 1 and known[y, x + 1]
    up = y > 0 and known[y - 1, x]
    down = y < h - 1 and known[y + 1, x]
    gx = 0.0
    if left and right:
        gx = 0.5 * (gray[y, x + 1] - gray[y, x - 1])
    elif right:
        gx = gray[y, x + 1] - gray[y, x]
    elif left:
        gx = gray[y, x] - gray[y, x - 1]
    gy = 0.0
    if up and down:
        gy = 0.5 * (gray[y + 1, x] - gray[y - 1, x])
    elif down:
        gy = gray[y + 1, x] - gray[y, x]
    elif up:
        gy = gray[y, x] - gray[y - 1, x]
    return gx, gy


@numba.njit(cache=True, inline="always")
def _known_at(known, y, x):  # pragma: no cover
    h, w = known.shape
    y = min(max(y, 0), h - 1)
    x = min(max(x, 0), w - 1)
    return 1.0 if known[y, x] else 0.0


@numba.njit(cache=True)
def _update_region(gray, known, conf, gx, gy, prio, y0, y1, x0, x1, half, alpha):  # pragma: no cover
    """Recompute gradients (on a ring one pixel wider) and priorities P = C x D of the front
    pixels in rows y0..y1, columns x0..x1 (clipped to the image)."""
    h, w = gray.shape
    for y in range(max(y0 - 1, 0), min(y1 + 2, h)):
        for x in range(max(x0 - 1, 0), min(x1 + 2, w)):
            gx[y, x], gy[y, x] = _gradient_at(gray, known, y, x)
    for y in range(max(y0, 0), min(y1 + 1, h)):
        for x in range(max(x0, 0), min(x1 + 1, w)):
            prio[y, x] = -1.0
            if known[y, x]:
                continue
            front = (y > 0 and known[y - 1, x]) or (y < h - 1 and known[y + 1, x]) or \
                (x > 0 and known[y, x - 1]) or (x < w - 1 and known[y, x + 1])
            if not front:
                continue
            # confidence term: sum of the confidences of the patch's known pixels / patch area
            csum = 0.0
            area = 0
            best_mag = -1.0
            igx = 0.0
            igy = 0.0
            for yy in range(max(y - half, 0), min(y + half + 1, h)):
                for xx in range(max(x - half, 0), min(x + half + 1, w)):
                    area += 1
                    if known[yy, xx]:
                        csum += conf[yy, xx]
                        mag = gx[yy, xx] ** 2 + gy[yy, xx] ** 2
                        if mag > best_mag:  # isophote: the strongest gradient among the patch's known pixels
                            best_mag = mag
                            igx = gx[yy, xx]
                            igy = gy[yy, xx]
            c = csum / area
            # unit normal of the front: gradient (Sobel) of the known-region indicator
            ny = (_known_at(known, y + 1, x - 1) + 2.0 * _known_at(known, y + 1, x) + _known_at(known, y + 1, x + 1)) - \
                (_known_at(known, y - 1, x - 1) + 2.0 * _known_at(known, y - 1, x) + _known_at(known, y - 1, x + 1))
            nx = (_known_at(known, y - 1, x + 1) + 2.0 * _known_at(known, y, x + 1) + _known_at(known, y + 1, x + 1)) - \
                (_known_at(known, y - 1, x - 1) + 2.0 * _known_at(known, y, x - 1) + _known_at(known, y + 1, x - 1))
            norm = (nx * nx + ny * ny) ** 0.5
            d = 0.0
            if norm > 0.0:
                # data term |grad^perp I . n| / alpha, grad^perp I = (-gy, gx) in (x, y) order
                d = abs(-igy * nx / norm + igx * ny / norm) / alpha
            prio[y, x] = c * (d + _D_FLOOR)


@numba.njit(cache=True, fastmath=True)
def _criminisi_steps(img, gray, known, conf, gx, gy, prio, valid, by0, by1, bx0, bx1,
                     half, radius, alpha, max_steps, steps, n_done):  # pragma: no cover
    """Run up to ``max_steps`` fill steps; returns the new step count (``steps`` rows are
    target y, x, source y, x). Stops early when the hole is filled."""
    h, w, c = img.shape
    size = 2 * half + 1
    offy = np.empty(size * size, np.int64)
    offx = np.empty(size * size, np.int64)
    vals = np.empty((size * size, c), np.float32)
    for _ in range(max_steps):
        # 1. the front pixel of highest priority
        best_p = -1.0
        ty = -1
        tx = -1
        for y in range(by0, by1):
            for x in range(bx0, bx1):
                if prio[y, x] > best_p:
                    best_p = prio[y, x]
                    ty = y
                    tx = x
        if ty < 0:
            break
        # 2. the template: known pixels of the target patch
        m = 0
        for dy in range(-half, half + 1):
            y = ty + dy
            if y < 0 or y >= h:
                continue
            for dx in range(-half, half + 1):
                x = tx + dx
                if x < 0 or x >= w or not known[y, x]:
                    continue
                offy[m] = dy
                offx[m] = dx
                for k in range(c):
                    vals[m, k] = img[y, x, k]
                m += 1
        # 3. exemplar: least SSD over those pixels, in the search window (whole image if empty)
        best_d = np.inf
        sy = -1
        sx = -1
        for attempt in range(2):
            if attempt == 0 and radius > 0:
                y0, y1 = max(ty - radius, 0), min(ty + radius + 1, h)
                x0, x1 = max(tx - radius, 0), min(tx + radius + 1, w)
            else:
                y0, y1, x0, x1 = 0, h, 0, w
            for cy in range(y0, y1):
                for cx in range(x0, x1):
                    if not valid[cy, cx]:
                        continue
                    d = 0.0
                    for j in range(m):
                        py = cy + offy[j]
                        px = cx + offx[j]
                        for k in range(c):
                            diff = img[py, px, k] - vals[j, k]
                            d += diff * diff
                        if d >= best_d:
                            break
                    if d < best_d:
                        best_d = d
                        sy = cy
                        sx = cx
            if sy >= 0:
                break
        if sy < 0:
            break
        # 4. copy the exemplar's pixels into the unknown part, with the target's confidence
        cp = 0.0
        area = 0
        for y in range(max(ty - half, 0), min(ty + half + 1, h)):
            for x in range(max(tx - half, 0), min(tx + half + 1, w)):
                area += 1
                if known[y, x]:
                    cp += conf[y, x]
        cp /= area
        for y in range(max(ty - half, 0), min(ty + half + 1, h)):
            for x in range(max(tx - half, 0), min(tx + half + 1, w)):
                if known[y, x]:
                    continue
                py = sy + (y - ty)
                px = sx + (x - tx)
                for k in range(c):
                    img[y, x, k] = img[py, px, k]
                gray[y, x] = gray[py, px]
                known[y, x] = True
                conf[y, x] = cp
        steps[n_done, 0] = ty
        steps[n_done, 1] = tx
        steps[n_done, 2] = sy
        steps[n_done, 3] = sx
        n_done += 1
        # 5. update gradients and priorities around the filled patch
        reach = 2 * half + 2
        _update_region(gray, known, conf, gx, gy, prio, ty - reach, ty + reach, tx - reach, tx + reach, half, alpha)
    return n_done


def _luminance(image: np.ndarray) -> np.ndarray:
    return (255.0 * (0.299 * image[..., 0] + 0.587 * image[..., 1] + 0.114 * image[..., 2])).astype(np.float64)


def criminisi_fill(image, hole, *, patch_size=9, search_radius=80, progress=None, trace=None):
    """Criminisi et al. 2004 on a working image; see :class:`Criminisi`. Returns the filled image."""
    p, valid = largest_source_patch(~hole, patch_size)  # no fully known patch of this size: smaller ones
    half = p // 2
    img = np.ascontiguousarray(image, dtype=np.float32).copy()
    known = ~hole
    gray = _luminance(img)
    conf = known.astype(np.float64)
    gx = np.zeros(hole.shape)
    gy = np.zeros(hole.shape)
    prio = np.full(hole.shape, -1.0)
    rows, cols = hole_box(hole)
    by0, by1, bx0, bx1 = rows.start, rows.stop, cols.start, cols.stop
    _update_region(gray, known, conf, gx, gy, prio, by0, by1 - 1, bx0, bx1 - 1, half, 255.0)
    total = int(hole.sum())
    steps = np.zeros((total, 4), np.int32)
    n_done = 0
    while True:
        n_new = _criminisi_steps(img, gray, known, conf, gx, gy, prio, valid, by0, by1, bx0, bx1,
                                 half, int(search_radius), 255.0, 50, steps, n_done)
        if n_new == n_done:
            break
        n_done = n_new
        if progress is not None:
            progress(1.0 - float((~known).sum()) / total, f"{n_done} patches copied")
    if trace is not None:
        trace.fill_order = FillOrder(steps[:n_done].copy(), p, image.copy(), hole.copy())
    return img


class Criminisi(InpaintMethod):
    """Exemplar-based inpainting, Criminisi, Perez and Toyama 2004.

    The front pixel of highest priority ``P = C x D`` is filled first: ``C`` is the share
    of reliable pixels in its patch (confidence, 1 for known pixels, inherited when filled)
    and ``D = |grad^perp I . n| / alpha`` (alpha = 255) the strength of the isophote (the
    strongest gradient among the patch's known pixels, on luminance in 0..255) hitting the
    front (normal from the known-region indicator). The known pixels of that patch are
    matched by SSD against every fully known patch of the search window (the whole image
    when the window is 0 or holds none), and the exemplar's pixels are copied into the
    unknown ones. ``D`` has a floor of 0.001 so that in flat areas confidence orders the front.

    Reference: https://doi.org/10.1109/TIP.2004.833105
    """

    name = "criminisi"
    title = "Criminisi (exemplar-based)"
    family = "exemplar"
    speed = "medium"
    citation = Citation(
        "A. Criminisi, P. Perez, K. Toyama", "Region Filling and Object Removal by Exemplar-Based Image Inpainting",
        "IEEE TIP 13(9)", 2004, "https://doi.org/10.1109/TIP.2004.833105",
    )
    params = (
        Param("patch_size", 9, "Side of the square patches (odd, px); Criminisi et al. use 9.", 3, 21, 2),
        Param("search_window", 80, "Search radius (px) around the target patch; 0 searches the whole image.", 0, 1024, 1),
    )
    card = MethodCard(
        idea="Fills the hole patch by patch from its boundary inward, in an order that first continues strong "
        "edges hitting the boundary (data term) from well-known surroundings (confidence term). Each patch is "
        "copied from the best-matching known patch.",
        formula=r"P(p) = C(p)\,D(p),\quad C(p) = \frac{\sum_{q \in \Psi_p \cap \Phi} C(q)}{|\Psi_p|},\quad "
        r"D(p) = \frac{|\nabla I_p^\perp \cdot n_p|}{\alpha}",
        fails_when="Curved structures and edges that must meet inside the hole; greedy choices cannot be undone, "
        "so one bad copy can propagate ('garbage growing'); visible repetitions of the same source patch.",
    )

    def fill(self, image, mask, params, ctx):
        return criminisi_fill(image, mask, patch_size=params["patch_size"], search_radius=params["search_window"],
                              progress=ctx.progress, trace=ctx.trace)


# -- Efros and Leung 1999 ---------------------------------------------------------------------


@numba.njit(cache=True)
def _efros_leung(img, known, valid, vy, vx, order_y, order_x, gauss, half, eps, n_pixels):  # pragma: no cover
    """Synthesize the pixels listed in (order_y, order_x) in that order; returns how many were
    set. Each becomes the centre of a source window drawn uniformly among those whose
    Gaussian-weighted SSD over the known neighbours is within (1 + eps) of the best."""
    h, w, c = img.shape
    nv = vy.size
    dists = np.empty(nv, np.float64)
    size = 2 * half + 1
    offy = np.empty(size * size, np.int64)
    offx = np.empty(size * size, np.int64)
    wts = np.empty(size * size, np.float64)
    vals = np.empty((size * size, c), np.float32)
    count = 0
    for i in range(n_pixels):
        y, x = order_y[i], order_x[i]
        m = 0
        wsum = 0.0
        for dy in range(-half, half + 1):
            for dx in range(-half, half + 1):
                yy, xx = y + dy, x + dx
                if yy < 0 or yy >= h or xx < 0 or xx >= w or not known[yy, xx]:
                    continue
                offy[m] = dy
                offx[m] = dx
                wts[m] = gauss[dy + half, dx + half]
                wsum += wts[m]
                for k in range(c):
                    vals[m, k] = img[yy, xx, k]
                m += 1
        if m == 0:  # degenerate window (tiny image): nothing to compare, draw any source
            j = np.random.randint(nv)
            for k in range(c):
                img[y, x, k] = img[vy[j], vx[j], k]
            known[y, x] = True
            count += 1
            continue
        best = np.inf
        for j in range(nv):
            cy, cx = vy[j], vx[j]
            cut = best * (1.0 + eps) * wsum
            d = 0.0
            for t in range(m):
                py, px = cy + offy[t], cx + offx[t]
                s = 0.0
                for k in range(c):
                    diff = img[py, px, k] - vals[t, k]
                    s += diff * diff
                d += wts[t] * s
                if d > cut:
                    break
            d /= wsum
            dists[j] = d
            if d < best:
                best = d
        limit = best * (1.0 + eps)
        n_ok = 0
        for j in range(nv):
            if dists[j] <= limit:
                n_ok += 1
        pick = np.random.randint(n_ok)
        for j in range(nv):
            if dists[j] <= limit:
                if pick == 0:
                    for k in range(c):
                        img[y, x, k] = img[vy[j], vx[j], k]
                    break
                pick -= 1
        known[y, x] = True
        count += 1
    return count


def efros_leung_fill(image, hole, *, window=11, eps=0.1, seed=0, progress=None):
    """Efros and Leung 1999 on a working image; see :class:`EfrosLeung`."""
    import cv2

    p, valid = largest_source_patch(~hole, window)
    half = p // 2
    sigma = p / 6.4  # Efros and Leung's Gaussian: sigma = window / 6.4
    g1 = cv2.getGaussianKernel(p, sigma).ravel()
    gauss = np.outer(g1, g1)
    img = np.ascontiguousarray(image, dtype=np.float32).copy()
    known = ~hole
    vy, vx = (a.astype(np.int64) for a in np.nonzero(valid))
    seed_numba(seed)
    total = int(hole.sum())
    kernel = np.ones((3, 3), np.uint8)
    done = 0
    while not known.all():
        # the layer of unknown pixels touching the known region, most known neighbours first
        k8 = known.astype(np.uint8)
        front = ~known & (cv2.dilate(k8, kernel) > 0)
        counts = cv2.boxFilter(k8.astype(np.float32), -1, (p, p), normalize=False, borderType=cv2.BORDER_CONSTANT)
        fy, fx = np.nonzero(front)
        order = np.lexsort((fx, fy, -counts[fy, fx]))
        done += _efros_leung(img, known, valid, vy, vx, fy[order].astype(np.int64), fx[order].astype(np.int64),
                             gauss, half, float(eps), order.size)
        if progress is not None:
            progress(done / total, f"{done}/{total} pixels synthesized")
    return img


class EfrosLeung(InpaintMethod):
    """Non-parametric texture synthesis, Efros and Leung 1999, pixel by pixel.

    Hole pixels are grown in layers from the boundary (most known neighbours first). Each
    takes the centre value of a source window drawn at random among those whose
    Gaussian-weighted SSD (sigma = window / 6.4) over the pixel's known neighbours is
    within ``1 + eps`` of the best match. Slow by nature: it runs on the hole's
    neighbourhood and refuses large areas.

    Reference: https://doi.org/10.1109/ICCV.1999.790383
    """

    name = "efros_leung"
    title = "Efros-Leung (pixel-based synthesis)"
    family = "exemplar"
    speed = "slow"
    citation = Citation(
        "A. A. Efros, T. K. Leung", "Texture Synthesis by Non-parametric Sampling", "ICCV", 1999,
        "https://doi.org/10.1109/ICCV.1999.790383",
    )
    params = (
        Param("window", 11, "Side of the neighbourhood window (odd, px).", 3, 21, 2),
        Param("epsilon", 0.1, "Accept matches within (1 + epsilon) of the best distance.", 0.0, 1.0, 0.01),
    )
    context_margin = 40
    max_pixels = 160 * 160
    card = MethodCard(
        idea="Grows the hole inward one pixel at a time: each new pixel copies the centre of a known window that "
        "looks like its already-known neighbourhood, drawn at random among the near-best matches.",
        formula=r"d(\omega(p), \omega(q)) = \sum_{r} G(r)\, M(p + r)\, \| I(p + r) - I(q + r) \|^2,\quad "
        r"I(p) \leftarrow I(q^*),\ d(q^*) \le (1 + \varepsilon) \min_q d",
        fails_when="Large holes (slow, and it can slip into 'garbage growing' by copying wrong texture); "
        "structure that the window is too small to see.",
    )

    def fill(self, image, mask, params, ctx):
        seed = int(ctx.rng.integers(2**31))
        return efros_leung_fill(image, mask, window=params["window"], eps=params["epsilon"], seed=seed,
                                progress=ctx.progress)


# -- Structure propagation (Sun et al. 2005) ----------------------------------------------------


class StructurePropagation(InpaintMethod):
    """Image completion with structure propagation, Sun, Yuan, Jia and Shum 2005, with the guide
    curves proposed automatically (:func:`inpaint_core.structure.propose_guides`); the Applications
    tab's object removal takes the user's own curves."""

    name = "structure_propagation"
    title = "Structure propagation (Sun et al.; automatic guides) + PatchMatch"
    family = "exemplar"
    speed = "medium"
    citation = Citation(
        "J. Sun, L. Yuan, J. Jia, H.-Y. Shum", "Image Completion with Structure Propagation",
        "ACM Transactions on Graphics 24(3) (SIGGRAPH)", 2005, "https://doi.org/10.1145/1073204.1073274",
    )
    params = (
        Param("patch_size", 9, "Side of the patches placed along each guide curve (odd, px).", 5, 21, 2),
        Param("rest", "patchmatch", "How the rest of the hole is filled once the structure is fixed (PatchMatch "
              "completion; Criminisi's greedy order is the paper's era but can grow garbage from the new structure).",
              choices=("patchmatch", "criminisi")),
    )
    card = MethodCard(
        idea="Salient curves are completed first: edges entering the hole are linked to edges leaving it with the "
        "same direction and colours (here automatically; in the Applications tab the user draws them), patches "
        "are placed along each curve by dynamic programming (each copied from the same curve's known part, "
        "agreeing with its neighbours and with the hole's edge), then the rest is filled by an exemplar method "
        "with that structure fixed.",
        formula=r"E(x) = \sum_i \big[k_s E_S(x_i) + k_i E_I(x_i)\big] + \sum_i E_2(x_i, x_{i+1})",
        fails_when="No edge pairs up across the hole (it is then the exemplar method alone), wrongly linked edges "
        "(a confident wrong structure), curves that cross (filled one after another, not jointly).",
    )

    def fill(self, image, mask, params, ctx):
        from ..structure import propagate_structure, propose_guides

        ctx.progress(0.05, "Structure propagation: linking edges across the hole")
        guides = propose_guides(image, mask)
        done = propagate_structure(image, mask, guides, patch=params["patch_size"])
        rest = mask & ~done.filled
        ctx.progress(0.3, f"Structure propagation: {len(guides)} guide(s); filling the rest with {params['rest']}")
        if not rest.any():
            return done.image
        if params["rest"] == "patchmatch":
            from .patch_based import wexler_complete

            p = max(min(7, (min(mask.shape) // 2) * 2 - 1), 1)
            return wexler_complete(done.image, rest, patch_size=p, seed=ctx.child_seed(0))
        return criminisi_fill(done.image, rest, patch_size=params["patch_size"], search_radius=80)
