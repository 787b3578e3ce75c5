"""Low-rank matrix completion for scattered pixel loss: singular value thresholding.

Cai, Candes and Shen, "A Singular Value Thresholding Algorithm for Matrix Completion",
SIAM J. Optim. 20(4), 2010, https://doi.org/10.1137/080738970. The image's colour planes
side by side form one matrix ``M`` (H x 3W) observed on the known pixels ``Omega``; SVT
solves ``min tau ||X||_* + 1/2 ||X||_F^2  s.t.  P_Omega(X) = P_Omega(M)`` by the
iteration

    X^k = D_tau(Y^{k-1}),   Y^k = Y^{k-1} + delta P_Omega(M - X^k),

where ``D_tau`` shrinks every singular value by ``tau`` (soft thresholding). As in the
paper, only the singular triplets above ``tau`` are computed, with a rank that grows in
steps of 5 until the smallest one computed falls below ``tau``; here by warm-started
randomized subspace iteration (Halko, Martinsson and Tropp 2011) instead of PROPACK.
"""

from __future__ import annotations

import numpy as np

from ..base import Citation, InpaintMethod, MethodCard, Param


def _top_svd(Y: np.ndarray, k: int, basis: np.ndarray | None, rng: np.random.Generator, power: int = 2):
    """Leading ``k`` singular triplets of Y by subspace iteration from ``basis`` (n2 x m)."""
    n1, n2 = Y.shape
    k = min(k, n1, n2)
    width = min(k + 8, n1, n2)
    start = rng.standard_normal((n2, width))
    if basis is not None and basis.shape[1]:
        m = min(basis.shape[1], width)
        start[:, :m] = basis[:, :m]
    Q, _ = np.linalg.qr(Y @ start)
    for _ in range(power):
        Q, _ = np.linalg.qr(Y.T @ Q)
        Q, _ = np.linalg.qr(Y @ Q)
    Ub, S, Vt = np.linalg.svd(Q.T @ Y, full_matrices=False)
    return Q @ Ub[:, :k], S[:k], Vt[:k]


def svt_complete(image, hole, *, tau_factor=5.0, delta_factor=1.2, iterations=150, tol=1e-4, seed=0, progress=None):
    """Complete ``image`` (H, W, C) on ``hole`` by SVT on the (H, C*W) matrix of its planes."""
    try:  # small matrix products: one BLAS thread is far faster than many on a busy machine
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return _svt(image, hole, tau_factor, delta_factor, iterations, tol, seed, progress)
    with threadpool_limits(limits=1, user_api="blas"):
        return _svt(image, hole, tau_factor, delta_factor, iterations, tol, seed, progress)


def _svt(image, hole, tau_factor, delta_factor, iterations, tol, seed, progress):
    h, w, c = image.shape
    M = np.concatenate([image[..., k] for k in range(c)], axis=1).astype(np.float64)
    omega = np.tile(~hole, (1, c))
    n1, n2 = M.shape
    p = omega.mean()
    PM = np.where(omega, M, 0.0)
    norm_pm = np.linalg.norm(PM)
    if norm_pm == 0.0:  # everything known is black
        return np.zeros_like(image)
    rng = np.random.default_rng(seed)
    tau = tau_factor * np.sqrt(n1 * n2) * np.sqrt(np.mean(M[omega] ** 2))  # Cai et al.'s 5n, on the data's scale
    delta = delta_factor / p
    _, s1, _ = _top_svd(PM, 1, None, rng)
    k0 = int(np.ceil(tau / (delta * s1[0])))
    Y = k0 * delta * PM
    X = np.zeros_like(M)
    rank, basis = 0, None
    for it in range(iterations):
        s = rank + 1
        while True:
            U, S, Vt = _top_svd(Y, s + 4, basis, rng)
            if S[-1] <= tau or s + 4 >= min(n1, n2):
                break
            s += 5
        rank = int((S > tau).sum())
        basis = Vt.T
        X = (U[:, :rank] * (S[:rank] - tau)) @ Vt[:rank]
        residual = np.where(omega, M - X, 0.0)
        relative = np.linalg.norm(residual) / norm_pm
        if relative < tol:
            break
        if not np.isfinite(relative) or relative > 10.0:  # step too long for very few known pixels: halve it, restart
            delta /= 2.0
            Y, X, rank, basis = k0 * delta * PM, np.zeros_like(M), 0, None
            continue
        Y += delta * residual
        if progress is not None and it % 5 == 0:
            progress(it / iterations, f"iteration {it}, rank {rank}")
    out = np.stack([X[:, k * w : (k + 1) * w] for k in range(c)], axis=2)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


class LowRankSVT(InpaintMethod):
    """Low-rank completion by singular value thresholding (Cai, Candes and Shen 2010).

    The R, G and B planes side by side are one matrix completed from its known entries
    with the least nuclear norm (plus a small Frobenius term). ``tau = tau_factor *
    sqrt(n1 n2) * rms(known)`` (the paper's ``5 n`` for an n x n matrix, scaled to the data)
    and ``delta = 1.2 / p`` with ``p`` the share of known pixels, as the paper recommends.
    Meant for scattered pixel loss (the survey's "80 % of the pixels removed" case), not
    for large holes: a whole missing block has no rows or columns to borrow from.
    """

    name = "svt"
    title = "Low-rank completion (SVT)"
    family = "low-rank"
    speed = "slow"
    citation = Citation(
        "J.-F. Cai, E. J. Candes, Z. Shen", "A Singular Value Thresholding Algorithm for Matrix Completion",
        "SIAM J. Optim. 20(4)", 2010, "https://doi.org/10.1137/080738970",
    )
    params = (
        Param("tau_factor", 5.0, "Threshold tau in units of sqrt(n1 n2) x rms of the known pixels.", 0.05, 20.0, 0.05),
        Param("iterations", 100, "Most SVT iterations.", 10, 1000, 10),
    )
    card = MethodCard(
        idea="Treats the image as a matrix that is nearly low-rank (rows resemble each other) and finds the "
        "matrix of least nuclear norm that agrees with the known pixels, by repeatedly shrinking singular values.",
        formula=r"X^k = \mathcal{D}_\tau(Y^{k-1}),\quad Y^k = Y^{k-1} + \delta\, P_\Omega(M - X^k),\quad "
        r"\mathcal{D}_\tau(U \Sigma V^T) = U (\Sigma - \tau I)_+ V^T",
        fails_when="Large contiguous holes (whole rows and columns missing), oblique edges and texture, "
        "which are not low-rank: the fill shows horizontal and vertical streaks.",
    )

    def fill(self, image, mask, params, ctx):
        seed = int(ctx.rng.integers(2**31))
        return svt_complete(image, mask, tau_factor=params["tau_factor"], iterations=params["iterations"],
                            seed=seed, progress=ctx.progress)
