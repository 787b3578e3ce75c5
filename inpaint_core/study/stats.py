"""Statistics for the human-preference study: Wilson intervals, Bradley-Terry with bootstrap intervals.

Two kinds of evidence come out of the study:

* **Real or inpainted?** (two-alternative forced choice): a method's *fooled rate* is the fraction
  of votes in which raters picked its completion as the photo from a camera, k/n. 50 % means
  indistinguishable from a photo. Reported with the Wilson score interval.
* **Which fill is better?** (pairwise duels): methods are ranked by a Bradley-Terry model fitted by
  the minorise-maximise algorithm of Hunter (2004), ties counted as half a win to each side, with
  percentile bootstrap intervals over the votes.

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
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.special import ndtri

__all__ = [
    "wilson_interval", "bradley_terry", "bt_bootstrap", "BTResult", "overlap_rank", "duel_matrix",
]


def wilson_interval(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n.

    Returns ``(low, high)`` in [0, 1]; ``(0.0, 1.0)`` when ``n == 0`` (no information).
    Unlike the normal ("Wald") interval it stays inside [0, 1] and keeps near-nominal coverage
    for small n and proportions near 0 or 1 [1]_. Example: 23/40 gives about (0.42, 0.72).
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"Need 0 <= k <= n; got k={k}, n={n}.")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1); got {confidence}.")
    if n == 0:
        return 0.0, 1.0
    z = float(ndtri(0.5 + confidence / 2.0))
    p = k / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


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
    """A Bradley-Terry fit with percentile bootstrap intervals (log-strengths, mean 0)."""

    methods: list[str]
    theta: np.ndarray
    low: np.ndarray
    high: np.ndarray
    games: np.ndarray  # duels each method took part in
    rank: np.ndarray  # 1 + number of methods whose interval lies wholly above

    def rows(self) -> list[dict]:
        order = np.argsort(-self.theta, kind="stable")
        return [
            {
                "method": self.methods[i], "rank": int(self.rank[i]), "theta": float(self.theta[i]),
                "low": float(self.low[i]), "high": float(self.high[i]), "duels": int(self.games[i]),
                # chance of beating a method of average strength (theta = 0)
                "p_beat_average": float(1.0 / (1.0 + math.exp(-self.theta[i]))),
            }
            for i in order
        ]


def bt_bootstrap(
    duels: Iterable[tuple[str, str, float]],
    methods: Sequence[str] | None = None,
    *,
    n_boot: int = 300,
    confidence: float = 0.95,
    prior: float = 0.5,
    rng: np.random.Generator | None = None,
) -> BTResult:
    """Bradley-Terry fit of duels ``(a, b, score_a)`` with percentile bootstrap intervals [4]_.

    The votes are resampled with replacement. Each distinct outcome (a beat b, b beat a, a tied b)
    is a cell; a replicate draws as many votes as there were from the cells' multinomial, which is
    the same as resampling vote rows, and refits the model. The interval of a method is the
    (1-confidence)/2 and (1+confidence)/2 percentiles of its refitted log-strength.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    duels = list(duels)
    names, wins = duel_matrix(duels, methods)
    m = len(names)
    index = {name: i for i, name in enumerate(names)}
    theta = bradley_terry(wins, prior=prior)
    games = (wins + wins.T).sum(axis=1)
    cell_counts: dict[tuple[int, int, float], int] = {}
    for a, b, score in duels:
        i, j = index[a], index[b]
        if i > j:
            i, j, score = j, i, 1.0 - score
        cell_counts[(i, j, float(score))] = cell_counts.get((i, j, float(score)), 0) + 1
    if not cell_counts:
        return BTResult(names, theta, np.full(m, -np.inf), np.full(m, np.inf), games, np.ones(m, dtype=int))
    cells = list(cell_counts)
    counts = np.array([cell_counts[c] for c in cells], dtype=np.float64)
    rows = np.array([c[0] for c in cells])
    cols = np.array([c[1] for c in cells])
    scores = np.array([c[2] for c in cells])
    samples = np.empty((n_boot, m))
    draws = rng.multinomial(int(counts.sum()), counts / counts.sum(), size=n_boot)
    for b in range(n_boot):
        w = np.zeros((m, m))
        np.add.at(w, (rows, cols), draws[b] * scores)
        np.add.at(w, (cols, rows), draws[b] * (1.0 - scores))
        samples[b] = bradley_terry(w, prior=prior, tol=1e-7)
    alpha = (1.0 - confidence) / 2.0
    low = np.quantile(samples, alpha, axis=0)
    high = np.quantile(samples, 1.0 - alpha, axis=0)
    return BTResult(names, theta, low, high, games, overlap_rank(low, high))


def overlap_rank(low: Sequence[float], high: Sequence[float]) -> np.ndarray:
    """Rank that separates only non-overlapping intervals (higher is better).

    ``rank_i = 1 + #{j : low_j > high_i}``: a method is placed below another only when the other's
    whole interval lies above its own, so methods whose intervals overlap share a rank.
    """
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    return 1 + (low[None, :] > high[:, None]).sum(axis=1)
