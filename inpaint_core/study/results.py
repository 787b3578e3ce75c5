"""Turn stored votes into the study's results: fooled rates, Bradley-Terry ranking, best and worst images.

Votes are the dicts of :meth:`inpaint_core.study.store.VoteStore.votes`. In "real" votes the side a
rater picked is the one they believed came from a camera, so a method *fools* the rater when its
completion is picked over the photo; "demosaic" votes ("Real or de-mosaiced?") are counted the same
way in a table of their own, as the survey reports Dahl et al.'s study (k/n, e.g. 23/40 = 57 %).
In duels, "tie" and "both bad" both express no preference between the two fills and count as half
a win to each side in Bradley-Terry (the "both bad" count is reported separately).

Raters, not votes, are the unit of every interval (see :mod:`inpaint_core.study.stats`): each row
carries the number of raters and of distinct images (cases) behind it. Skipped pairs (issued, then
replaced by a new pair or skipped without a vote; :meth:`VoteStore.shown_outcomes`) are counted per
method and per duel pair beside the rates, since a method whose hard pairs get skipped would
otherwise look better than it is: ``skip rate = skipped / (skipped + voted)`` over the pairs that
showed it (pairs still open are left out).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .pairs import PHOTO, PHOTO_MODES, canonical
from .stats import MIN_BOOTSTRAP_RATERS, BTResult, bt_bootstrap, clustered_wilson_interval, effective_sample_size, overlap_rank, wilson_interval

__all__ = [
    "fooled_table", "image_table", "best_and_worst", "duels_from_votes", "duel_pair_table", "skip_counts",
    "StudyResults", "summarise", "results_csv", "ChartData", "fooled_display", "bt_display", "pairs_display",
    "fooled_chart", "bt_chart", "FOOLED_COLUMNS", "BT_COLUMNS", "PAIR_COLUMNS",
]


def _chosen(vote: dict) -> str | None:
    return {"left": vote["left_method"], "right": vote["right_method"]}.get(vote["choice"])


def _filled(vote: dict) -> str:
    """The method of a "real" pair (the side that is not the photo)."""
    return vote["right_method"] if vote["left_method"] == PHOTO else vote["left_method"]


def fooled_table(votes: Iterable[dict], *, confidence: float = 0.95, mode: str = "real") -> list[dict]:
    """Per method: k (times its fill was picked as the photo), n, rate, intervals, raters, images, rank,
    over the votes of ``mode`` ("real" or "demosaic").

    ``low``/``high`` is the honest interval, clustered by rater
    (:func:`~inpaint_core.study.stats.clustered_wilson_interval`; ``(0, 1)`` and ``estimable``
    False with fewer than two raters); ``wilson_low``/``wilson_high`` is the survey-style Wilson
    interval of k/n, which treats every vote as independent; ``n_eff`` is the effective number of
    independent votes. The overlap rank uses the clustered interval.
    """
    per_rater: dict[str, dict[str, list[int]]] = {}
    images: dict[str, set[str]] = {}
    for v in votes:
        if v["mode"] != mode:
            continue
        method = _filled(v)
        k_n = per_rater.setdefault(method, {}).setdefault(v["session_id"], [0, 0])
        k_n[0] += int(_chosen(v) == method)
        k_n[1] += 1
        images.setdefault(method, set()).add(v["item_id"])
    rows = []
    for method, raters in per_rater.items():
        k_g = [kn[0] for kn in raters.values()]
        n_g = [kn[1] for kn in raters.values()]
        k, n = sum(k_g), sum(n_g)
        low, high = clustered_wilson_interval(k_g, n_g, confidence=confidence)
        w_low, w_high = wilson_interval(k, n, confidence=confidence)
        n_eff = effective_sample_size(k_g, n_g, confidence=confidence)
        rows.append({
            "method": method, "k": k, "n": n, "rate": k / n, "low": low, "high": high,
            "wilson_low": w_low, "wilson_high": w_high, "n_eff": n_eff, "estimable": bool(n_eff > 0),
            "raters": len(raters), "images": len(images[method]),
        })
    rows.sort(key=lambda r: (-r["rate"], -r["n"], r["method"]))
    ranks = overlap_rank([r["low"] for r in rows], [r["high"] for r in rows])
    for r, rank in zip(rows, ranks):
        r["rank"] = int(rank)
    return rows


def image_table(votes: Iterable[dict], mode: str = "real") -> dict[tuple[str, str], tuple[int, int]]:
    """``(method, item_id) -> (k, n)``: how often each single completion fooled raters (votes of ``mode``)."""
    table: dict[tuple[str, str], list[int]] = {}
    for v in votes:
        if v["mode"] != mode:
            continue
        method = v["right_method"] if v["left_method"] == PHOTO else v["left_method"]
        k_n = table.setdefault((method, v["item_id"]), [0, 0])
        k_n[0] += int(_chosen(v) == method)
        k_n[1] += 1
    return {key: (k, n) for key, (k, n) in table.items()}


def best_and_worst(votes: Iterable[dict], mode: str = "real") -> dict[str, dict[str, tuple[str, int, int]]]:
    """Per method, its best and worst rated image as ``(item_id, k, n)`` (as the survey shows them).

    Best = highest fooled rate k/n, worst = lowest; among equal rates the image with more votes wins.
    """
    by_method: dict[str, list[tuple[str, int, int]]] = {}
    for (method, item), (k, n) in image_table(votes, mode).items():
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


def duel_pair_table(votes: Iterable[dict]) -> list[dict]:
    """Per pair of methods (alphabetical): wins of each, ties (both bad included), votes, raters, images."""
    table: dict[tuple[str, str], dict] = {}
    for v in votes:
        if v["mode"] != "duel":
            continue
        a, b = canonical("duel", v["left_method"], v["right_method"])
        row = table.setdefault((a, b), {"method": a, "method_b": b, "a_wins": 0, "b_wins": 0, "ties": 0,
                                        "votes": 0, "_raters": set(), "_images": set()})
        winner = _chosen(v)
        row["a_wins" if winner == a else "b_wins" if winner == b else "ties"] += 1
        row["votes"] += 1
        row["_raters"].add(v["session_id"])
        row["_images"].add(v["item_id"])
    out = []
    for key in sorted(table):
        row = table[key]
        row["raters"], row["images"] = len(row.pop("_raters")), len(row.pop("_images"))
        out.append(row)
    return out


def skip_counts(outcomes: Iterable[dict]) -> dict[str, dict]:
    """Skipped and resolved (skipped + voted) pairs per method and per duel pair.

    ``outcomes`` are the rows of :meth:`~inpaint_core.study.store.VoteStore.shown_outcomes`.
    Returns ``{"real": {method: (skipped, resolved)}, "demosaic": {method: ...}, "duel": {method: ...},
    "pair": {(a, b): ...}}``.
    """
    out: dict[str, dict] = {"real": {}, "demosaic": {}, "duel": {}, "pair": {}}

    def add(table: dict, key, skipped: int, resolved: int) -> None:
        s, r = table.get(key, (0, 0))
        table[key] = (s + skipped, r + resolved)

    for o in outcomes:
        skipped, resolved = int(o["skipped"]), int(o["skipped"]) + int(o["voted"])
        if o["mode"] in PHOTO_MODES:
            add(out[o["mode"]], _filled(o), skipped, resolved)
        elif o["mode"] == "duel":
            pair = canonical("duel", o["left_method"], o["right_method"])
            add(out["pair"], pair, skipped, resolved)
            for method in pair:
                add(out["duel"], method, skipped, resolved)
    return out


def _with_skips(row: dict, counts: tuple[int, int] | None) -> dict:
    skipped, resolved = counts or (0, 0)
    row.update(skipped=skipped, resolved=resolved, skip_rate=skipped / resolved if resolved else float("nan"))
    return row


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
    n_images: int = 0  # distinct cases among the counted votes
    n_skipped: int = 0  # pairs skipped without a vote
    n_resolved: int = 0  # pairs skipped or voted on
    pairs: list[dict] = dataclasses.field(default_factory=list)  # duel pairs, see duel_pair_table
    demosaiced: list[dict] = dataclasses.field(default_factory=list)  # "Real or de-mosaiced?", as fooled
    demosaic_best_worst: dict[str, dict[str, tuple[str, int, int]]] = dataclasses.field(default_factory=dict)


def photo_table(votes: Sequence[dict], skips: dict, mode: str) -> list[dict]:
    """The fooled-rate rows of ``mode`` with their skips; methods whose pairs were only skipped get
    an unvoted row."""
    rows = fooled_table(votes, mode=mode)
    voted = {r["method"] for r in rows}
    rows += [
        {"method": m, "k": 0, "n": 0, "rate": float("nan"), "low": 0.0, "high": 1.0, "wilson_low": 0.0,
         "wilson_high": 1.0, "n_eff": float("nan"), "estimable": False, "raters": 0, "images": 0, "rank": None}
        for m in sorted(set(skips[mode]) - voted)
    ]
    return [_with_skips(r, skips[mode].get(r["method"])) for r in rows]


def summarise(
    votes: Sequence[dict],
    *,
    outcomes: Iterable[dict] = (),
    include_too_fast: bool = False,
    n_boot: int = 300,
    rng: np.random.Generator | None = None,
) -> StudyResults:
    """Everything the results page shows, from a study's votes and its pairs' outcomes (skips)."""
    flagged = sum(1 for v in votes if v["too_fast"])
    used = [v for v in votes if include_too_fast or not v["too_fast"]]
    duel_votes = [v for v in used if v["mode"] == "duel"]
    duels = duels_from_votes(duel_votes)
    skips = skip_counts(outcomes)
    # methods whose pairs were only ever skipped still get a row: unvoted, not invisible
    duel_methods = sorted({m for a, b, _ in duels for m in (a, b)} | set(skips["duel"]))
    bt = None
    if duels:
        bt = bt_bootstrap(duels, duel_methods, raters=[v["session_id"] for v in duel_votes], n_boot=n_boot, rng=rng)
    both_bad: dict[str, int] = {}
    duel_images: dict[str, set[str]] = {}
    for v in duel_votes:
        for m in (v["left_method"], v["right_method"]):
            duel_images.setdefault(m, set()).add(v["item_id"])
            if v["choice"] == "both_bad":
                both_bad[m] = both_bad.get(m, 0) + 1
    bt_rows = bt.rows() if bt else []
    for r in bt_rows:
        r["images"] = len(duel_images.get(r["method"], ()))
        if not r["duels"]:
            r["rank"] = None
        _with_skips(r, skips["duel"].get(r["method"]))
    fooled = photo_table(used, skips, "real")
    pairs = duel_pair_table(used)
    voted_pairs = {(r["method"], r["method_b"]) for r in pairs}
    pairs += [
        {"method": a, "method_b": b, "a_wins": 0, "b_wins": 0, "ties": 0, "votes": 0, "raters": 0, "images": 0}
        for a, b in sorted(set(skips["pair"]) - voted_pairs)
    ]
    pairs = [_with_skips(r, skips["pair"].get((r["method"], r["method_b"]))) for r in pairs]
    resolved = [sr for table in ("real", "demosaic", "pair") for sr in skips[table].values()]
    return StudyResults(
        n_votes=len(used), n_too_fast=flagged, n_raters=len({v["session_id"] for v in used}),
        fooled=fooled, bt=bt, bt_rows=bt_rows, best_worst=best_and_worst(used), both_bad=both_bad,
        n_images=len({v["item_id"] for v in used}), n_skipped=sum(s for s, _ in resolved),
        n_resolved=sum(r for _, r in resolved), pairs=pairs, demosaiced=photo_table(used, skips, "demosaic"),
        demosaic_best_worst=best_and_worst(used, "demosaic"),
    )


RESULT_COLUMNS = (
    "table", "rank", "method", "method_b", "k", "n", "rate", "low", "high", "estimable", "wilson_low", "wilson_high",
    "n_eff", "theta", "duels", "a_wins", "b_wins", "ties", "votes", "raters", "images", "skipped", "resolved",
    "skip_rate",
)


def results_csv(results: StudyResults) -> str:
    """The result tables as one CSV: ``table`` is ``fooled``, ``demosaiced``, ``bradley_terry`` or ``duel_pair``.

    Every interval (``low``, ``high``; for fooled rates also the vote-level ``wilson_low``,
    ``wilson_high``) stands beside the raters and distinct images behind it; a not estimable
    interval has ``estimable`` False and the whole range.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(RESULT_COLUMNS), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for table, rows in (("fooled", results.fooled), ("demosaiced", results.demosaiced),
                        ("bradley_terry", results.bt_rows), ("duel_pair", results.pairs)):
        for row in rows:
            writer.writerow({"table": table, **row})
    return buffer.getvalue()


# ----------------------------------------------------------------------------- display tables and charts
FOOLED_COLUMNS = ["rank", "method", "title", "fooled", "rate %", "95 % CI (raters)", "Wilson 95 % CI (votes)",
                  "raters", "images", "skipped"]
BT_COLUMNS = ["rank", "method", "title", "log-strength", "95 % CI (raters)", "raters", "images", "duels",
              "P(beats average)", "both bad", "skipped"]
PAIR_COLUMNS = ["method A", "method B", "A wins", "B wins", "ties", "votes", "raters", "images", "skipped"]


def skip_cell(row: dict) -> str:
    """``skipped/resolved = rate`` for a results row; ``0/0`` where no pair of it was resolved."""
    if not row["resolved"]:
        return "0/0"
    return f"{row['skipped']}/{row['resolved']} = {100 * row['skip_rate']:.0f} %"


def _not_estimable(row: dict, need: int) -> str:
    return f"n/a ({row['raters']} rater{'s' * (row['raters'] != 1)}; needs {need})"


def fooled_display(results: StudyResults, title: Callable[[str], str] = str, mode: str = "real") -> list[dict]:
    """The fooled-rate table of ``mode`` as shown (keys :data:`FOOLED_COLUMNS`); ``title`` names a method."""
    return [
        {"rank": "" if r["rank"] is None else r["rank"], "method": r["method"], "title": title(r["method"]),
         "fooled": f"{r['k']}/{r['n']}", "rate %": round(100 * r["rate"], 1) if r["n"] else "",
         "95 % CI (raters)": f"{100 * r['low']:.0f}-{100 * r['high']:.0f} %" if r["estimable"] else _not_estimable(r, 2),
         "Wilson 95 % CI (votes)": f"{100 * r['wilson_low']:.0f}-{100 * r['wilson_high']:.0f} %",
         "raters": r["raters"], "images": r["images"], "skipped": skip_cell(r)}
        for r in (results.demosaiced if mode == "demosaic" else results.fooled)
    ]


def bt_display(results: StudyResults, title: Callable[[str], str] = str) -> list[dict]:
    """The Bradley-Terry table as shown (keys :data:`BT_COLUMNS`)."""
    return [
        {"rank": "" if r["rank"] is None else r["rank"], "method": r["method"], "title": title(r["method"]),
         "log-strength": round(r["theta"], 3),
         "95 % CI (raters)": (f"{r['low']:.2f} .. {r['high']:.2f}" if r["estimable"]
                              else _not_estimable(r, MIN_BOOTSTRAP_RATERS)),
         "raters": r["raters"], "images": r["images"], "duels": r["duels"],
         "P(beats average)": round(r["p_beat_average"], 3), "both bad": results.both_bad.get(r["method"], 0),
         "skipped": skip_cell(r)}
        for r in results.bt_rows
    ]


def pairs_display(results: StudyResults) -> list[dict]:
    """The per-pair duel table as shown (keys :data:`PAIR_COLUMNS`)."""
    return [
        {"method A": r["method"], "method B": r["method_b"], "A wins": r["a_wins"], "B wins": r["b_wins"],
         "ties": r["ties"], "votes": r["votes"], "raters": r["raters"], "images": r["images"], "skipped": skip_cell(r)}
        for r in results.pairs
    ]


@dataclasses.dataclass(frozen=True)
class ChartData:
    """One series of a results chart: a value per method with asymmetric error bars.

    ``above``/``below`` are the distances from the value to the interval's ends, 0 where the
    interval is not estimable (its table row says why); ``text`` labels each point.
    """

    methods: list[str]
    values: list[float]
    above: list[float]
    below: list[float]
    text: list[str]


def _chart(rows: list[dict], centre: str, scale: float, text: list[str]) -> ChartData:
    return ChartData(
        methods=[r["method"] for r in rows],
        values=[scale * r[centre] for r in rows],
        above=[scale * (r["high"] - r[centre]) if r["estimable"] else 0.0 for r in rows],
        below=[scale * (r[centre] - r["low"]) if r["estimable"] else 0.0 for r in rows],
        text=text,
    )


def fooled_chart(results: StudyResults, mode: str = "real") -> ChartData:
    """Fooled rates in percent with their rater-clustered intervals; methods without a vote are left out."""
    rows = [r for r in (results.demosaiced if mode == "demosaic" else results.fooled) if r["n"]]
    return _chart(rows, "rate", 100.0, [f"{r['k']}/{r['n']} · {r['raters']} raters" for r in rows])


def bt_chart(results: StudyResults) -> ChartData:
    """Bradley-Terry log-strengths with their bootstrap intervals; methods without a duel are left out."""
    rows = [r for r in results.bt_rows if r["duels"]]
    return _chart(rows, "theta", 1.0, ["" for _ in rows])
