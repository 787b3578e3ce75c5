"""Statistics for the human-preference study: Wilson intervals, Bradley-Terry with bootstrap intervals.

Two kinds of evidence come out of the study:

* **Real or inpainted?** (two-alternative forced choice): a method's *fooled rate* is the fraction
  of votes in which raters picked its completion as the photo from a camera, k/n. 50 % means
  indistinguishable from a photo. Reported with two intervals: the Wilson score interval [1]_, which
  treats the n votes as independent (the survey's k/n), and the honest one,
  :func:`clustered_wilson_interval`, which treats each rater's votes as one cluster.
* **Which fill is better?** (pairwise duels): methods are ranked by a Bradley-Terry model fitted by
  the minorise-maximise algorithm of Hunter (2004), ties counted as half a win to each side, with
  percentile intervals from a cluster bootstrap that resamples raters, each with all their votes.

Votes of one rater are not independent: a rater who casts 200 votes is one opinion seen 200 times,
not 200 opinions. Every interval here therefore counts raters, not votes, as the unit of
replication, and an interval that rests on too few raters is reported as not estimable (the whole
range) instead of narrow.

References
----------
.. [1] E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
   J. Am. Stat. Assoc. 22(158), 209-212, 1927. https://doi.org/10.1080/01621459.1927.10502953
.. [2] R. A. Bradley and M. E. Terry, "Rank analysis of incomplete block designs: I. The method of
   paired comparisons", Biometrika 39(3/4), 324-345, 1952. https://doi.org/10.2307/2334029
.. [3] D. R. Hunter, "MM algorithms for generalized Bradley-Terry models", Ann. Statist. 32(1),
   384-406, 2004. https://doi.org/10.1214/aos/1079120141
.. [4] B. Efron and R. Tibshirani, "An Introduction to the Bootstrap", Chapman & Hall, 1993.
   https://doi.org/10.1201/9780429246593
.. [5] A. C. Davison and D. V. Hinkley, "Bootstrap Methods and their Application", Cambridge
   University Press, 1997, section 3.8 (resampling the clusters of hierarchical data).
   https://doi.org/10.1017/CBO9780511802843
.. [6] A. C. Cameron, J. B. Gelbach and D. L. Miller, "Bootstrap-based improvements for inference
   with clustered errors", Rev. Econ. Stat. 90(3), 414-427, 2008 (few clusters make cluster
   intervals too narrow). https://doi.org/10.1162/rest.90.3.414
.. [7] E. L. Korn and B. I. Graubard, "Confidence intervals for proportions with small expected
   number of positive counts estimated from survey data", Survey Methodology 24(2), 193-201, 1998
   (effective sample size n / design effect, with a degrees-of-freedom correction).
.. [8] Y. Franco, R. J. A. Little, T. A. Louis and E. V. Slud, "Comparative study of confidence
   intervals for proportions in complex sample surveys", J. Surv. Stat. Methodol. 7(3), 334-364,
   2019 (recommends the Wilson form with the effective sample size).
   https://pmc.ncbi.nlm.nih.gov/articles/PMC6690503
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
from scipy import sparse
from scipy.special import ndtri
from scipy.stats import t as student_t

__all__ = [
    "wilson_interval", "clustered_wilson_interval", "bradley_terry", "bt_bootstrap", "BTResult", "overlap_rank",
    "duel_matrix", "effective_sample_size", "MIN_BOOTSTRAP_RATERS",
]

#: A cluster bootstrap over fewer raters than this has too few distinct resamples to mean anything
#: (over one rater every resample is the data itself: an interval of width 0); below it the
#: interval is reported as not estimable.
MIN_BOOTSTRAP_RATERS = 5


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval for an observed proportion p out of n (n may be fractional)."""
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1); got {confidence}.")
    return float(ndtri(0.5 + confidence / 2.0))


def wilson_interval(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n.

    Returns ``(low, high)`` in [0, 1]; ``(0.0, 1.0)`` when ``n == 0`` (no information).
    Unlike the normal ("Wald") interval it stays inside [0, 1] and keeps near-nominal coverage
    for small n and proportions near 0 or 1 [1]_. Example: 23/40 gives about (0.42, 0.72).
    It treats the n trials as independent; for votes that come in raters use
    :func:`clustered_wilson_interval`.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"Need 0 <= k <= n; got k={k}, n={n}.")
    z = _z(confidence)
    if n == 0:
        return 0.0, 1.0
    return _wilson(k / n, n, z)


def _cluster_counts(successes: Sequence[float], trials: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    k = np.asarray(successes, dtype=np.float64).ravel()
    n = np.asarray(trials, dtype=np.float64).ravel()
    if k.shape != n.shape or np.any(n < 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("Need one (successes, trials) pair per rater with 0 <= successes <= trials.")
    keep = n > 0
    return k[keep], n[keep]


def effective_sample_size(
    successes: Sequence[float], trials: Sequence[float], *, confidence: float = 0.95
) -> float:
    """Effective number of independent trials behind a proportion whose trials come in clusters.

    ``successes[g]`` and ``trials[g]`` are cluster g's k and n (here: one rater's fooled votes and
    votes). Following Korn and Graubard [7]_: the proportion's variance is estimated between
    clusters (the ratio estimator's linearisation, ``G/(G-1) * sum((k_g - p n_g)^2) / n^2``), the
    design effect is that over the binomial ``p(1-p)/n`` (at least 1; 1 when p is 0 or 1), and
    ``n / deff`` is scaled by ``(t_{n-1} / t_{G-1})^2`` at the interval's level, which widens the
    interval when the variance rests on few raters. Returns NaN with fewer than two clusters
    (between-rater variance cannot be estimated). One trial per cluster gives ``n - 1``.
    """
    z_level = 0.5 + confidence / 2.0
    _z(confidence)
    k_g, n_g = _cluster_counts(successes, trials)
    clusters = len(n_g)
    if clusters < 2:
        return math.nan
    n, p = float(n_g.sum()), float(k_g.sum() / n_g.sum())
    between = clusters / (clusters - 1) * float(((k_g - p * n_g) ** 2).sum()) / (n * n)
    binomial = p * (1.0 - p) / n
    deff = max(1.0, between / binomial) if binomial > 0 else 1.0
    df_factor = (float(student_t.ppf(z_level, n - 1)) / float(student_t.ppf(z_level, clusters - 1))) ** 2
    return n / deff * df_factor


def clustered_wilson_interval(
    successes: Sequence[float], trials: Sequence[float], *, confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson interval with the effective sample size of clustered trials (one cluster per rater).

    The Wilson form of Franco et al. [8]_ with n replaced by :func:`effective_sample_size`, so that
    200 votes from one rater are one rater's opinion, while 200 raters with one vote each give
    nearly the plain Wilson interval. Returns ``(0.0, 1.0)`` (not estimable) with fewer than two
    raters. Cluster intervals still undercover somewhat with few raters [6]_ [8]_.
    """
    n_eff = effective_sample_size(successes, trials, confidence=confidence)
    if not n_eff > 0:
        return 0.0, 1.0
    k_g, n_g = _cluster_counts(successes, trials)
    return _wilson(float(k_g.sum() / n_g.sum()), n_eff, _z(confidence))


def duel_matrix(
    duels: Iterable[tuple[str, str, float]], methods: Sequence[str] | None = None
) -> tuple[list[str], np.ndarray]:
    """Win matrix from duels ``(a, b, score_a)`` with score_a 1 (a wins), 0 (b wins) or 0.5 (tie).

    Returns ``(methods, W)`` where ``W[i, j]`` counts the wins of i over j, a tie adding 0.5 to both.
    """
    duels = list(duels)
    names = list(methods) if methods is not None else sorted({m for a, b, _ in duels for m in (a, b)})
    index = {m: i for i, m in enumerate(names)}
    wins = np.zeros((len(names), len(names)))
    for a, b, score in duels:
        if a == b:
            raise ValueError(f"A duel needs two different methods; got {a!r} twice.")
        if score not in (0, 0.5, 1):
            raise ValueError(f"A duel score must be 0, 0.5 or 1; got {score!r}.")
        wins[index[a], index[b]] += score
        wins[index[b], index[a]] += 1.0 - score
    return names, wins


def bradley_terry(
    wins: np.ndarray, *, prior: float = 0.5, tol: float = 1e-9, max_iter: int = 10_000
) -> np.ndarray:
    """Bradley-Terry log-strengths from a win matrix by Hunter's MM algorithm [2]_ [3]_.

    ``P(i beats j) = p_i / (p_i + p_j)`` with ``p = exp(theta)``; ``wins[i, j]`` may be fractional
    (a tie is half a win to each side). ``prior`` adds that many virtual games, split evenly, between
    every pair of methods: a weak pull towards equal strength that keeps the estimate finite when a
    method has won (or lost) every duel; set it to 0 for the plain maximum-likelihood estimate
    (which then requires a strongly connected comparison graph). Returns ``theta`` with mean 0.
    """
    wins = np.asarray(wins, dtype=np.float64)
    if wins.ndim != 2 or wins.shape[0] != wins.shape[1]:
        raise ValueError(f"The win matrix must be square; got shape {wins.shape}.")
    m = wins.shape[0]
    if m == 0:
        return np.zeros(0)
    w = wins + (prior / 2.0) * (1.0 - np.eye(m))
    games = w + w.T
    total_wins = w.sum(axis=1)
    p = np.ones(m)
    for _ in range(max_iter):
        denom = (games / (p[:, None] + p[None, :])).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = np.where(denom > 0, total_wins / denom, p)
        new = np.maximum(new, 1e-300)
        new /= math.exp(np.log(new).mean())  # fix the scale: geometric mean 1
        if np.max(np.abs(np.log(new) - np.log(p))) < tol:
            p = new
            break
        p = new
    theta = np.log(p)
    return theta - theta.mean()


@dataclasses.dataclass
class BTResult:
    """A Bradley-Terry fit with cluster-bootstrap percentile intervals (log-strengths, mean 0).

    A method whose interval is not estimable (too few raters) has ``low = -inf, high = inf``.
    """

    methods: list[str]
    theta: np.ndarray
    low: np.ndarray
    high: np.ndarray
    games: np.ndarray  # duels each method took part in
    rank: np.ndarray  # 1 + number of methods whose interval lies wholly above
    raters: np.ndarray  # distinct raters among each method's duels

    @property
    def estimable(self) -> np.ndarray:
        return np.isfinite(self.low) & np.isfinite(self.high)

    def rows(self) -> list[dict]:
        order = np.argsort(-self.theta, kind="stable")
        return [
            {
                "method": self.methods[i], "rank": int(self.rank[i]), "theta": float(self.theta[i]),
                "low": float(self.low[i]), "high": float(self.high[i]), "duels": int(self.games[i]),
                "raters": int(self.raters[i]), "estimable": bool(self.estimable[i]),
                # chance of beating a method of average strength (theta = 0)
                "p_beat_average": float(1.0 / (1.0 + math.exp(-self.theta[i]))),
            }
            for i in order
        ]


def bt_bootstrap(
    duels: Iterable[tuple[str, str, float]],
    methods: Sequence[str] | None = None,
    *,
    raters: Sequence[Hashable],
    n_boot: int = 300,
    confidence: float = 0.95,
    prior: float = 0.5,
    min_raters: int = MIN_BOOTSTRAP_RATERS,
    rng: np.random.Generator | None = None,
) -> BTResult:
    """Bradley-Terry fit of duels ``(a, b, score_a)`` with cluster-bootstrap percentile intervals.

    ``raters[i]`` is whoever cast duel i (a session id). A replicate draws as many raters as there
    are, with replacement, each with all their duels (the cluster bootstrap of [5]_), and refits
    the model; a method's interval is the (1-confidence)/2 and (1+confidence)/2 percentiles of its
    refitted log-strength [4]_. Resampling single votes instead would treat 200 votes of one rater
    as 200 independent opinions. A method whose duels come from fewer than ``min_raters`` raters
    gets ``(-inf, inf)``: not estimable (with few raters even the cluster bootstrap is too narrow
    [6]_; with one, every replicate is the data itself).
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    duels = list(duels)
    raters = list(raters)
    if len(raters) != len(duels):
        raise ValueError(f"Need one rater per duel; got {len(raters)} raters for {len(duels)} duels.")
    names, wins = duel_matrix(duels, methods)
    m = len(names)
    index = {name: i for i, name in enumerate(names)}
    theta = bradley_terry(wins, prior=prior)
    games = (wins + wins.T).sum(axis=1)
    cluster_of = {r: g for g, r in enumerate(dict.fromkeys(raters))}  # first appearance: reproducible
    per_method: list[set[int]] = [set() for _ in range(m)]
    cells: dict[tuple[int, int, float], int] = {}
    entries = []  # (cluster, cell) per duel
    for (a, b, score), rater in zip(duels, raters):
        i, j, g = index[a], index[b], cluster_of[rater]
        per_method[i].add(g)
        per_method[j].add(g)
        if i > j:
            i, j, score = j, i, 1.0 - score
        entries.append((g, cells.setdefault((i, j, float(score)), len(cells))))
    n_raters = np.array([len(s) for s in per_method], dtype=int)
    low, high = np.full(m, -np.inf), np.full(m, np.inf)
    ok = n_raters >= max(2, int(min_raters))
    if ok.any():
        clusters = len(cluster_of)
        g_idx, c_idx = np.array(entries).T
        per_cluster = sparse.csr_matrix(
            (np.ones(len(entries)), (g_idx, c_idx)), shape=(clusters, len(cells))
        )  # duplicates are summed: votes of rater g in cell c
        picks = rng.integers(0, clusters, size=(n_boot, clusters))
        flat = (picks + clusters * np.arange(n_boot)[:, None]).ravel()
        multiplicity = np.bincount(flat, minlength=n_boot * clusters).reshape(n_boot, clusters).astype(np.float64)
        draws = np.asarray(per_cluster.T @ multiplicity.T).T  # (n_boot, cells)
        keys = list(cells)
        rows = np.array([c[0] for c in keys])
        cols = np.array([c[1] for c in keys])
        scores = np.array([c[2] for c in keys])
        samples = np.empty((n_boot, m))
        for b in range(n_boot):
            w = np.zeros((m, m))
            np.add.at(w, (rows, cols), draws[b] * scores)
            np.add.at(w, (cols, rows), draws[b] * (1.0 - scores))
            samples[b] = bradley_terry(w, prior=prior, tol=1e-7)
        alpha = (1.0 - confidence) / 2.0
        low[ok] = np.quantile(samples[:, ok], alpha, axis=0)
        high[ok] = np.quantile(samples[:, ok], 1.0 - alpha, axis=0)
    return BTResult(names, theta, low, high, games, overlap_rank(low, high), n_raters)


def overlap_rank(low: Sequence[float], high: Sequence[float]) -> np.ndarray:
    """Rank that separates only non-overlapping intervals (higher is better).

    ``rank_i = 1 + #{j : low_j > high_i}``: a method is placed below another only when the other's
    whole interval lies above its own, so methods whose intervals overlap share a rank.
    """
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    return 1 + (low[None, :] > high[:, None]).sum(axis=1)
