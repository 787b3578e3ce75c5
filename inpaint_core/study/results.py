"""Turn stored votes into the study's results: fooled rates, Bradley-Terry ranking, best and worst images.

Votes are the dicts of :meth:`inpaint_core.study.store.VoteStore.votes`. In "real" votes the side a
rater picked is the one they believed came from a camera, so a method *fools* the rater when its
completion is picked over the photo. In duels, "tie" and "both bad" both express no preference
between the two fills and count as half a win to each side in Bradley-Terry (the "both bad" count
is reported separately).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np

from .pairs import PHOTO
from .stats import BTResult, bt_bootstrap, overlap_rank, wilson_interval

__all__ = ["fooled_table", "image_table", "best_and_worst", "duels_from_votes", "StudyResults", "summarise"]


def _chosen(vote: dict) -> str | None:
    return {"left": vote["left_method"], "right": vote["right_method"]}.get(vote["choice"])


def fooled_table(votes: Iterable[dict], *, confidence: float = 0.95) -> list[dict]:
    """Per method: k (times its fill was picked as the photo), n, rate, Wilson interval, overlap rank."""
    counts: dict[str, list[int]] = {}
    for v in votes:
        if v["mode"] != "real":
            continue
        method = v["right_method"] if v["left_method"] == PHOTO else v["left_method"]
        k_n = counts.setdefault(method, [0, 0])
        k_n[0] += int(_chosen(v) == method)
        k_n[1] += 1
    rows = []
    for method, (k, n) in counts.items():
        low, high = wilson_interval(k, n, confidence=confidence)
        rows.append({"method": method, "k": k, "n": n, "rate": k / n, "low": low, "high": high})
    rows.sort(key=lambda r: (-r["rate"], -r["n"], r["method"]))
    ranks = overlap_rank([r["low"] for r in rows], [r["high"] for r in rows])
    for r, rank in zip(rows, ranks):
        r["rank"] = int(rank)
    return rows


def image_table(votes: Iterable[dict]) -> dict[tuple[str, str], tuple[int, int]]:
    """``(method, item_id) -> (k, n)``: how often each single completion fooled raters."""
    table: dict[tuple[str, str], list[int]] = {}
    for v in votes:
        if v["mode"] != "real":
            continue
        method = v["right_method"] if v["left_method"] == PHOTO else v["left_method"]
        k_n = table.setdefault((method, v["item_id"]), [0, 0])
        k_n[0] += int(_chosen(v) == method)
        k_n[1] += 1
    return {key: (k, n) for key, (k, n) in table.items()}


def best_and_worst(votes: Iterable[dict]) -> dict[str, dict[str, tuple[str, int, int]]]:
    """Per method, its best and worst rated image as ``(item_id, k, n)`` (as the survey shows them).

    Best = highest fooled rate k/n, worst = lowest; among equal rates the image with more votes wins.
    """
    by_method: dict[str, list[tuple[str, int, int]]] = {}
    for (method, item), (k, n) in image_table(votes).items():
        by_method.setdefault(method, []).append((item, k, n))
    out = {}
    for method, entries in by_method.items():
        best = max(entries, key=lambda e: (e[1] / e[2], e[2], e[0]))
        worst = min(entries, key=lambda e: (e[1] / e[2], -e[2], e[0]))
        out[method] = {"best": best, "worst": worst}
    return out


def duels_from_votes(votes: Iterable[dict]) -> list[tuple[str, str, float]]:
    """``(left, right, score_left)``: 1 left won, 0 right won, 0.5 tie or both bad."""
    score = {"left": 1.0, "right": 0.0, "tie": 0.5, "both_bad": 0.5}
    return [(v["left_method"], v["right_method"], score[v["choice"]]) for v in votes if v["mode"] == "duel"]


@dataclasses.dataclass
class StudyResults:
    n_votes: int  # counted
    n_too_fast: int  # flagged (excluded unless asked for)
    n_raters: int
    fooled: list[dict]
    bt: BTResult | None
    bt_rows: list[dict]
    best_worst: dict[str, dict[str, tuple[str, int, int]]]
    both_bad: dict[str, int]


def summarise(
    votes: Sequence[dict],
    *,
    include_too_fast: bool = False,
    n_boot: int = 300,
    rng: np.random.Generator | None = None,
) -> StudyResults:
    """Everything the results page shows, from a study's votes."""
    flagged = sum(1 for v in votes if v["too_fast"])
    used = [v for v in votes if include_too_fast or not v["too_fast"]]
    duels = duels_from_votes(used)
    bt = bt_bootstrap(duels, n_boot=n_boot, rng=rng) if duels else None
    both_bad: dict[str, int] = {}
    for v in used:
        if v["mode"] == "duel" and v["choice"] == "both_bad":
            for m in (v["left_method"], v["right_method"]):
                both_bad[m] = both_bad.get(m, 0) + 1
    return StudyResults(
        n_votes=len(used), n_too_fast=flagged, n_raters=len({v["session_id"] for v in used}),
        fooled=fooled_table(used), bt=bt, bt_rows=bt.rows() if bt else [], best_worst=best_and_worst(used),
        both_bad=both_bad,
    )
