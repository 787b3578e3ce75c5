"""Sparse Laplacian systems over the hole: harmonic fill and Poisson blending.

Poisson image editing (Perez, Gangnet and Blake, "Poisson image editing", ACM TOG 22(3),
2003, https://doi.org/10.1145/882262.882269) finds, inside the hole, the image whose
gradients best match a guidance image while agreeing with the target on the hole's
boundary: the discrete equation at each hole pixel p with in-image 4-neighbours N(p) is

    |N(p)| x_p - sum_{q in N(p) ∩ hole} x_q = sum_{q in N(p) ∩ known} t_q + sum_{q in N(p)} (g_p - g_q).

With zero guidance this is the harmonic (Laplace) fill. At the image border the graph
Laplacian uses only in-image neighbours (a Neumann boundary), so holes touching the border
are handled. One sparse LU factorisation serves all colour channels.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

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


def solve_guided(target: np.ndarray, mask: np.ndarray, guidance: np.ndarray | None = None) -> np.ndarray:
    """Solve the Poisson equation in the hole; ``guidance=None`` gives the harmonic fill."""
    values, squeeze = _as_channels(target)
    mask = np.asarray(mask, dtype=bool)
    out = values.copy()
    if not mask.any():
        return target.copy()
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
    solution = spla.splu(A.tocsc()).solve(rhs)
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


def _biharmonic_ordering(mask: np.ndarray) -> str:
    """SuperLU column ordering for the biharmonic normal equations. Measured at 512 px: for
    a rectangular hole (a centre square, blocks) minimum degree on A^T + A has half the
    fill-in and time of the default COLAMD (0.59 s against 1.14 s on a 25 % square), while
    on strokes and blobs COLAMD is 1.4-2.6 times faster."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    box = (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)
    return "MMD_AT_PLUS_A" if mask.sum() > 0.9 * box else "COLAMD"


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
    solution = spla.splu(normal, permc_spec=_biharmonic_ordering(mask)).solve(-(At @ c))
    out = values.copy()
    ys, xs = np.nonzero(mask)
    out[ys, xs] = solution
    return out[..., 0] if squeeze else out
