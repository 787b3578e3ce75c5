"""Sparse Laplacian systems over the hole: harmonic fill and Poisson blending.

Poisson image editing (Perez, Gangnet and Blake, "Poisson image editing", ACM TOG 22(3),
2003, https://doi.org/10.1145/882262.882269) finds, inside the hole, the image whose
gradients best match a guidance image while agreeing with the target on the hole's
boundary: the discrete equation at each hole pixel p with in-image 4-neighbours N(p) is

    |N(p)| x_p - sum_{q in N(p) ∩ hole} x_q = sum_{q in N(p) ∩ known} t_q + sum_{q in N(p)} (g_p - g_q).

With zero guidance this is the harmonic (Laplace) fill. At the image border the graph
Laplacian uses only in-image neighbours (a Neumann boundary), so holes touching the border
are handled. One sparse LU factorisation serves all colour channels; a rectangular hole that does
not touch the border is solved exactly by the discrete sine transform instead, which diagonalises
the Dirichlet Laplacian of a rectangle (the fast Poisson solver of Buzbee, Golub and Nielson, "On
direct methods for solving Poisson's equations", SIAM J. Numer. Anal. 7(4), 1970,
https://doi.org/10.1137/0707049).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .geometry import box_shape, hole_box

_OFFSETS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def _index_map(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ys, xs = np.nonzero(mask)
    index = np.full(mask.shape, -1, dtype=np.int64)
    index[ys, xs] = np.arange(ys.size)
    return ys, xs, index


def laplacian_rows(rows_mask: np.ndarray, unknown: np.ndarray):
    """Graph Laplacian rows for the pixels of ``rows_mask``, split by column type.

    Returns ``(A, K, rys, rxs)``: ``A`` (rows x unknowns) acts on the unknown pixels
    (ordered as ``np.nonzero(unknown)``), and ``K`` lists the known pixels each row
    touches as ``(row, y, x, coefficient)`` arrays, so ``L u = A u_h + known_term``.
    """
    h, w = rows_mask.shape
    rys, rxs, rindex = _index_map(rows_mask)
    _, _, uindex = _index_map(unknown)
    n_rows = rys.size
    row_ids = np.arange(n_rows)
    deg = np.zeros(n_rows)
    a_rows, a_cols, a_vals = [], [], []
    k_rows, k_ys, k_xs = [], [], []
    for dy, dx in _OFFSETS:
        ny, nx = rys + dy, rxs + dx
        inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        deg += inside
        r, qy, qx = row_ids[inside], ny[inside], nx[inside]
        qi = uindex[qy, qx]
        is_unknown = qi >= 0
        a_rows.append(r[is_unknown])
        a_cols.append(qi[is_unknown])
        a_vals.append(np.full(is_unknown.sum(), -1.0))
        k_rows.append(r[~is_unknown])
        k_ys.append(qy[~is_unknown])
        k_xs.append(qx[~is_unknown])
    # the diagonal term: the row's own pixel, unknown or known
    own = uindex[rys, rxs]
    own_unknown = own >= 0
    a_rows.append(row_ids[own_unknown])
    a_cols.append(own[own_unknown])
    a_vals.append(deg[own_unknown])
    n_unknown = int(unknown.sum())
    A = sp.csr_matrix(
        (np.concatenate(a_vals), (np.concatenate(a_rows), np.concatenate(a_cols))), shape=(n_rows, n_unknown)
    )
    known = {
        "rows": np.concatenate(k_rows + [row_ids[~own_unknown]]),
        "ys": np.concatenate(k_ys + [rys[~own_unknown]]),
        "xs": np.concatenate(k_xs + [rxs[~own_unknown]]),
        "coef": np.concatenate([-np.ones(sum(len(k) for k in k_rows)), deg[~own_unknown]]),
    }
    return A, known, rys, rxs


def _known_term(known: dict, values: np.ndarray, n_rows: int) -> np.ndarray:
    """``sum_k coef * values[y, x]`` per row, for every channel: (n_rows, C)."""
    contrib = known["coef"][:, None] * values[known["ys"], known["xs"]]
    out = np.zeros((n_rows, values.shape[2]))
    np.add.at(out, known["rows"], contrib)
    return out


def _as_channels(image: np.ndarray) -> tuple[np.ndarray, bool]:
    arr = np.asarray(image, dtype=np.float64)
    return (arr[..., None], True) if arr.ndim == 2 else (arr, False)


def _lu_ordering(mask: np.ndarray) -> str:
    """SuperLU column ordering for the hole's (symmetric) Laplacian and biharmonic systems.
    Measured at 512 px: for a rectangular hole (a centre square, blocks) minimum degree on
    A^T + A has about half the fill-in and time of the default COLAMD (biharmonic: 0.59 s
    against 1.14 s, Laplacian: 0.22 s against 0.35 s on a 25 % square; an interior rectangle's
    Laplacian now takes :func:`solve_rectangle` instead), while on strokes and blobs COLAMD is
    1.4-4.6 times faster."""
    h, w = box_shape(hole_box(mask))
    return "MMD_AT_PLUS_A" if mask.sum() > 0.9 * h * w else "COLAMD"


def interior_rectangle(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """``(top, bottom, left, right)`` if the hole is a filled rectangle with known pixels on all four
    sides (every hole pixel has four in-image neighbours), else None."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    top, bottom, left, right = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    h, w = mask.shape
    inside = top > 0 and left > 0 and bottom < h and right < w
    return (top, bottom, left, right) if inside and ys.size == (bottom - top) * (right - left) else None


def solve_rectangle(values: np.ndarray, rect: tuple[int, int, int, int], guidance: np.ndarray | None) -> np.ndarray:
    """The Poisson equation on an interior rectangle ``rect`` of the (H, W, C) ``values``: the
    5-point Laplacian with the known ring as Dirichlet values is diagonal in the orthonormal DST-I
    basis, with eigenvalues ``4 - 2 cos(pi j / (m + 1)) - 2 cos(pi k / (n + 1))``."""
    from scipy.fft import dstn, idstn

    top, bottom, left, right = rect
    m, n = bottom - top, right - left
    rhs = np.zeros((m, n, values.shape[2]))
    rhs[0] += values[top - 1, left:right]
    rhs[-1] += values[bottom, left:right]
    rhs[:, 0] += values[top:bottom, left - 1]
    rhs[:, -1] += values[top:bottom, right]
    if guidance is not None:  # the guidance's Laplacian: every hole pixel has its 4 neighbours in the image
        g = guidance
        rhs += (4 * g[top:bottom, left:right] - g[top - 1 : bottom - 1, left:right] - g[top + 1 : bottom + 1, left:right]
                - g[top:bottom, left - 1 : right - 1] - g[top:bottom, left + 1 : right + 1])
    eig = (4 - 2 * np.cos(np.pi * np.arange(1, m + 1) / (m + 1))[:, None]
           - 2 * np.cos(np.pi * np.arange(1, n + 1) / (n + 1))[None, :])
    out = values.copy()
    out[top:bottom, left:right] = idstn(dstn(rhs, type=1, axes=(0, 1), norm="ortho") / eig[..., None],
                                        type=1, axes=(0, 1), norm="ortho")
    return out


def solve_guided(target: np.ndarray, mask: np.ndarray, guidance: np.ndarray | None = None) -> np.ndarray:
    """Solve the Poisson equation in the hole; ``guidance=None`` gives the harmonic fill."""
    values, squeeze = _as_channels(target)
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return target.copy()
    rect = interior_rectangle(mask)
    if rect is not None:
        out = solve_rectangle(values, rect, None if guidance is None else _as_channels(guidance)[0])
        return out[..., 0] if squeeze else out
    out = values.copy()
    A, known, rys, rxs = laplacian_rows(mask, mask)  # rows = unknowns: a square system
    rhs = -_known_term(known, values, A.shape[0])
    if guidance is not None:
        g, _ = _as_channels(guidance)
        # Laplacian of the guidance at hole pixels, over in-image neighbours
        lap_g = np.zeros_like(rhs)
        h, w = mask.shape
        for dy, dx in _OFFSETS:
            ny, nx = rys + dy, rxs + dx
            inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
            lap_g[inside] += g[rys[inside], rxs[inside]] - g[ny[inside], nx[inside]]
        rhs += lap_g
    solution = spla.splu(A.tocsc(), permc_spec=_lu_ordering(mask)).solve(rhs)
    out[rys, rxs] = solution
    return out[..., 0] if squeeze else out


def poisson_blend(target: np.ndarray, source: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Seamless cloning: inside ``mask`` take ``source``'s gradients, keep ``target`` outside.

    Used as post-processing by learned and patch methods (Yeh et al. 2017 blend G(z) this
    way; Iizuka et al. 2017 finish GLCIC with it). Arrays are float (H, W[, C]) of one scale.
    """
    if np.asarray(target).shape != np.asarray(source).shape:
        raise ValueError("target and source must have the same shape")
    return solve_guided(target, mask, guidance=source)


def solve_biharmonic(target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Biharmonic fill: minimise ``sum_r (L u)_r^2`` over every pixel r whose Laplacian
    touches the hole, i.e. the normal equations ``(A^T A) u_h = -A^T c`` (Delta^2 u = 0
    inside the hole, with u and its Laplacian continued smoothly across the boundary)."""
    import cv2

    values, squeeze = _as_channels(target)
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return target.copy()
    cross = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)
    rows = cv2.dilate(mask.astype(np.uint8), cross).astype(bool)
    A, known, rys, rxs = laplacian_rows(rows, mask)
    c = _known_term(known, values, A.shape[0])
    At = A.T.tocsr()
    normal = (At @ A).tocsc()
    solution = spla.splu(normal, permc_spec=_lu_ordering(mask)).solve(-(At @ c))
    out = values.copy()
    ys, xs = np.nonzero(mask)
    out[ys, xs] = solution
    return out[..., 0] if squeeze else out


class ScreenedPoisson:
    """Screened Poisson reconstruction in the hole: the gradient-domain step of image melding.

    Darabi, Shechtman, Barnes, Goldman and Sen, "Image melding", ACM TOG 31(4), 2012,
    https://doi.org/10.1145/2185520.2185578, vote colours ``c`` and gradients ``g`` from the
    matched patches, then take the image closest to both, with the known pixels fixed:

        min_u  sum_{p in hole} (u_p - c_p)^2 + weight * sum_{edges pq touching the hole} (u_q - u_p - g_pq)^2,

    i.e. ``(1 + weight L) u = c - weight div g`` on the hole (the graph Laplacian ``L`` of
    :func:`laplacian_rows`, known neighbours moved to the right-hand side). The matrix depends
    only on the hole and the weight, so it is factorised once and :meth:`solve` is cheap.
    """

    def __init__(self, mask: np.ndarray, weight: float):
        self.mask = np.asarray(mask, dtype=bool)
        self.weight = float(weight)
        A, self._known, self._ys, self._xs = laplacian_rows(self.mask, self.mask)
        system = sp.identity(A.shape[0], format="csc") + self.weight * A.tocsc()
        self._lu = spla.splu(system.tocsc())

    def solve(self, image: np.ndarray, colours: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """The reconstruction: ``image`` (H, W, C) gives the known pixels, ``colours`` the voted
        colours, ``gx[y, x]`` the wanted ``u[y, x+1] - u[y, x]`` and ``gy[y, x]`` the wanted
        ``u[y+1, x] - u[y, x]`` (used on edges that touch the hole)."""
        values = np.asarray(image, dtype=np.float64)
        ys, xs = self._ys, self._xs
        h, w = self.mask.shape
        gx = np.asarray(gx, dtype=np.float64)
        gy = np.asarray(gy, dtype=np.float64)
        # sum over in-image neighbours q of the wanted u_p - u_q
        wanted = np.zeros((ys.size, values.shape[2]))
        right, left, down, up = xs + 1 < w, xs >= 1, ys + 1 < h, ys >= 1
        wanted[right] -= gx[ys[right], xs[right]]
        wanted[left] += gx[ys[left], xs[left] - 1]
        wanted[down] -= gy[ys[down], xs[down]]
        wanted[up] += gy[ys[up] - 1, xs[up]]
        rhs = np.asarray(colours, dtype=np.float64)[ys, xs] + self.weight * (
            wanted - _known_term(self._known, values, ys.size))
        out = values.copy()
        out[ys, xs] = self._lu.solve(rhs)
        return out
