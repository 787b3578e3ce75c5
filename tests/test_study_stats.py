"""Statistics, results and pair sampling of the human-preference study, against independent references."""

from __future__ import annotations

import csv
import io
import itertools
import math

import numpy as np
import pytest
from PIL import Image
from scipy import optimize, stats

from inpaint_core.cases import write_case
from inpaint_core.study.pairs import PHOTO, PairPool, canonical
from inpaint_core.study.results import (
    BT_COLUMNS, FOOLED_COLUMNS, PAIR_COLUMNS, best_and_worst, bt_chart, bt_display, duels_from_votes, fooled_chart,
    fooled_display, fooled_table, pairs_display, results_csv, summarise,
)
from inpaint_core.study.stats import (
    MIN_BOOTSTRAP_RATERS, bradley_terry, bt_bootstrap, clustered_wilson_interval, duel_matrix, effective_sample_size,
    overlap_rank, wilson_interval,
)


# ----------------------------------------------------------------------------- Wilson
def test_wilson_survey_example():
    low, high = wilson_interval(23, 40)  # the survey's 23/40 = 57 %
    assert low == pytest.approx(0.42, abs=0.005) and high == pytest.approx(0.72, abs=0.01)


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (17, 40), (34, 40), (500, 1000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_scipy(k, n, confidence):
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = wilson_interval(k, n, confidence=confidence)
    assert low == pytest.approx(ref.low, abs=1e-12) and high == pytest.approx(ref.high, abs=1e-12)


def test_wilson_edges_and_errors():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        wilson_interval(1, 4, confidence=1.0)


# ----------------------------------------------------------------------------- Bradley-Terry
def _tournament(strengths, n_games, rng, tie_rate=0.0):
    names = [f"m{i}" for i in range(len(strengths))]
    duels = []
    for _ in range(n_games):
        i, j = rng.choice(len(names), 2, replace=False)
        if rng.random() < tie_rate:
            duels.append((names[i], names[j], 0.5))
            continue
        p = 1.0 / (1.0 + np.exp(strengths[j] - strengths[i]))
        duels.append((names[i], names[j], 1.0 if rng.random() < p else 0.0))
    return names, duels


def _mle_reference(wins):
    """Direct maximisation of the Bradley-Terry log-likelihood with scipy (theta_0 pinned to 0)."""
    m = wins.shape[0]

    def nll(free):
        theta = np.concatenate([[0.0], free])
        diff = theta[:, None] - theta[None, :]
        return -(wins * -np.logaddexp(0.0, -diff)).sum()

    res = optimize.minimize(nll, np.zeros(m - 1), method="BFGS", options={"gtol": 1e-10})
    theta = np.concatenate([[0.0], res.x])
    return theta - theta.mean()


def test_bt_mm_equals_direct_mle_with_ties():
    rng = np.random.default_rng(3)
    names, duels = _tournament([0.0, 0.4, 1.0, -0.7], 300, rng, tie_rate=0.15)
    _, wins = duel_matrix(duels, names)
    assert np.allclose(bradley_terry(wins, prior=0.0), _mle_reference(wins), atol=1e-5)


def test_bt_recovers_order_of_known_strengths():
    rng = np.random.default_rng(7)
    true = np.array([-1.2, -0.4, 0.3, 1.1, 0.0])
    names, duels = _tournament(true, 3000, rng, tie_rate=0.1)
    _, wins = duel_matrix(duels, names)
    theta = bradley_terry(wins)
    assert list(np.argsort(theta)) == list(np.argsort(true))
    # ties are symmetric noise: the estimates shrink a little but stay close to the truth
    assert np.max(np.abs(theta - (true - true.mean()))) < 0.3


def test_bt_only_ties_gives_equal_strengths_and_prior_keeps_sweeps_finite():
    names, wins = duel_matrix([("a", "b", 0.5), ("b", "c", 0.5), ("a", "c", 0.5)] * 5)
    assert np.allclose(bradley_terry(wins, prior=0.0), 0.0, atol=1e-8)
    _, sweep = duel_matrix([("a", "b", 1.0), ("a", "c", 1.0), ("b", "c", 1.0)] * 3)
    theta = bradley_terry(sweep)  # a never lost: the plain MLE diverges, the prior keeps it finite
    assert np.all(np.isfinite(theta)) and theta[0] > theta[1] > theta[2]


def test_bt_bootstrap_intervals_contain_estimate_and_shrink_with_votes():
    rng = np.random.default_rng(11)
    true = [0.0, 0.5, 1.0]
    widths = []
    for n in (150, 2400):
        names, duels = _tournament(true, n, rng, tie_rate=0.1)
        # every vote from its own rater: the cluster bootstrap is the plain one over votes
        result = bt_bootstrap(duels, names, raters=range(len(duels)), n_boot=200, rng=np.random.default_rng(0))
        assert np.all(result.low <= result.theta + 1e-9) and np.all(result.theta <= result.high + 1e-9)
        widths.append(np.mean(result.high - result.low))
    assert widths[1] < 0.5 * widths[0]  # 16x the votes: about 4x narrower


def test_overlap_rank_separates_only_disjoint_intervals():
    low = [0.8, 0.5, 0.45, 0.0]
    high = [1.0, 0.9, 0.6, 0.3]
    # method 0 overlaps 1 -> both rank 1; method 2 lies wholly below 0 only -> 2; method 3 below all -> 4
    assert list(overlap_rank(low, high)) == [1, 1, 2, 4]


# ----------------------------------------------------------------------------- results
def _real_vote(method, item, picked_method, left_is_photo=True, too_fast=False, session="s"):
    left, right = (PHOTO, method) if left_is_photo else (method, PHOTO)
    choice = "left" if picked_method == left else "right"
    return dict(mode="real", item_id=item, left_method=left, right_method=right, choice=choice,
                too_fast=too_fast, session_id=session)


def test_fooled_rate_counts_picks_of_the_fill_on_either_side():
    rng = np.random.default_rng(0)
    votes, expected = [], {"a": [0, 0], "b": [0, 0]}
    for _ in range(200):
        method = str(rng.choice(["a", "b"]))
        fooled = bool(rng.random() < (0.3 if method == "a" else 0.6))
        votes.append(_real_vote(method, f"i{rng.integers(4)}", method if fooled else PHOTO, bool(rng.random() < 0.5)))
        expected[method][0] += fooled
        expected[method][1] += 1
    rows = {r["method"]: r for r in fooled_table(votes)}
    for method, (k, n) in expected.items():
        assert (rows[method]["k"], rows[method]["n"]) == (k, n)
        assert (rows[method]["wilson_low"], rows[method]["wilson_high"]) == wilson_interval(k, n)
        # all from one rater: the honest interval is not estimable
        assert rows[method]["raters"] == 1 and not rows[method]["estimable"]
        assert (rows[method]["low"], rows[method]["high"]) == (0.0, 1.0)


def test_best_and_worst_images_per_method():
    votes = (
        [_real_vote("a", "x", "a")] * 3 + [_real_vote("a", "x", PHOTO)] * 1  # 3/4
        + [_real_vote("a", "y", "a")] * 1 + [_real_vote("a", "y", PHOTO)] * 4  # 1/5
        + [_real_vote("a", "z", "a")] * 1 + [_real_vote("a", "z", PHOTO)] * 1  # 1/2
    )
    picks = best_and_worst(votes)["a"]
    assert picks["best"] == ("x", 3, 4) and picks["worst"] == ("y", 1, 5)


def test_summary_excludes_too_fast_votes_by_default():
    votes = [_real_vote("a", "x", "a"), _real_vote("a", "x", "a", too_fast=True), _real_vote("a", "x", PHOTO)]
    votes.append(dict(mode="duel", item_id="x", left_method="a", right_method="b", choice="both_bad",
                      too_fast=False, session_id="t"))
    default = summarise(votes, n_boot=20)
    assert default.n_votes == 3 and default.n_too_fast == 1 and default.fooled[0]["n"] == 2
    assert summarise(votes, include_too_fast=True, n_boot=20).fooled[0]["n"] == 3
    assert default.both_bad == {"a": 1, "b": 1}
    assert duels_from_votes(votes) == [("a", "b", 0.5)]  # both bad counts as a tie


# ----------------------------------------------------------------------------- raters, not votes
def _votes_by(sessions, rng, p_fooled=0.4, p_a=0.6):
    """One "real" vote (method a against the photo) and one duel (a against b) per entry of ``sessions``."""
    votes = []
    for s in sessions:
        item = f"i{rng.integers(8)}"
        votes.append(_real_vote("a", item, "a" if rng.random() < p_fooled else PHOTO, bool(rng.random() < 0.5),
                                session=s))
        votes.append(dict(mode="duel", item_id=item, left_method="a", right_method="b",
                          choice="left" if rng.random() < p_a else "right", too_fast=False, session_id=s))
    return votes


def _widths(votes):
    res = summarise(votes, n_boot=300, rng=np.random.default_rng(0))
    fooled = res.fooled[0]
    bt = {r["method"]: r for r in res.bt_rows}["a"]
    return fooled, fooled["high"] - fooled["low"], bt, bt["high"] - bt["low"]


def test_one_rater_casting_200_votes_gets_no_narrow_interval():
    rng = np.random.default_rng(0)
    one_fooled, one_width, one_bt, one_bt_width = _widths(_votes_by(["only"] * 200, rng))
    many_fooled, many_width, many_bt, many_bt_width = _widths(_votes_by([f"s{i}" for i in range(200)], rng))
    # 200 votes of one rater are one opinion: no interval (the whole range), never a narrow one
    assert not one_fooled["estimable"] and one_width == 1.0 and one_fooled["raters"] == 1
    assert not one_bt["estimable"] and one_bt_width == math.inf and one_bt["raters"] == 1
    # 200 raters with one vote each: about as narrow as the vote-level intervals were
    wilson_width = many_fooled["wilson_high"] - many_fooled["wilson_low"]
    assert many_fooled["estimable"] and many_fooled["raters"] == 200
    assert abs(many_width / wilson_width - 1.0) < 0.03 and many_width < 0.15
    # delta method for two methods: theta_a = logit(p)/2, sd = 1 / (2 sqrt(n p (1-p)))
    p = 0.6
    expected = 2 * 1.96 / (2 * math.sqrt(200 * p * (1 - p)))
    assert many_bt["estimable"] and abs(many_bt_width / expected - 1.0) < 0.25
    assert one_width > 5 * many_width and one_bt_width > 5 * many_bt_width


def test_raters_who_disagree_widen_the_interval_beyond_the_vote_level_one():
    """10 raters x 20 votes, half of them always fooled (always prefer a), half never: 10 opinions, not 200."""
    votes, duels, raters = [], [], []
    for g in range(10):
        for j in range(20):
            votes.append(_real_vote("a", f"i{j % 8}", "a" if g % 2 else PHOTO, bool(j % 2), session=f"r{g}"))
            duels.append(("a", "b", 1.0 if g % 2 else 0.0))
            raters.append(f"r{g}")
    (row,) = fooled_table(votes)
    assert row["raters"] == 10 and row["images"] == 8 and row["rate"] == 0.5
    width, wilson_width = row["high"] - row["low"], row["wilson_high"] - row["wilson_low"]
    assert width > 3 * wilson_width
    ten_votes = wilson_interval(5, 10)
    assert width >= ten_votes[1] - ten_votes[0] - 1e-12  # no more certain than 10 independent votes
    clustered = bt_bootstrap(duels, ["a", "b"], raters=raters, rng=np.random.default_rng(0))
    per_vote = bt_bootstrap(duels, ["a", "b"], raters=range(len(duels)), rng=np.random.default_rng(0))
    assert np.all(clustered.high - clustered.low > 3 * (per_vote.high - per_vote.low))
    assert list(clustered.raters) == [10, 10]


def test_effective_sample_size_follows_korn_graubard():
    # one vote per rater: the between-rater variance is G/(G-1) times the binomial one -> n - 1
    k = [1] * 30 + [0] * 70
    assert effective_sample_size(k, [1] * 100) == pytest.approx(99.0)
    # raters who agree within themselves less than chance: the design effect stays at least 1
    t_ratio = stats.t.ppf(0.975, 199) / stats.t.ppf(0.975, 19)
    assert effective_sample_size([5] * 20, [10] * 20) == pytest.approx(200.0 * t_ratio ** 2)
    # every rater gives the same answer: the variance is 0, the design effect 1, the t correction stays
    t_ratio = stats.t.ppf(0.975, 39) / stats.t.ppf(0.975, 3)
    assert effective_sample_size([0] * 4, [10] * 4) == pytest.approx(40.0 * t_ratio ** 2)
    assert math.isnan(effective_sample_size([3], [10]))  # one rater: no between-rater variance
    assert clustered_wilson_interval([3], [10]) == (0.0, 1.0)
    assert clustered_wilson_interval([0, 0], [0, 0]) == (0.0, 1.0)
    with pytest.raises(ValueError):
        effective_sample_size([4], [3])


def test_bt_interval_needs_enough_raters_per_method():
    rng = np.random.default_rng(5)
    duels, raters = [], []
    for g in range(MIN_BOOTSTRAP_RATERS):
        for _ in range(6):
            duels.append(("a", "b", float(rng.random() < 0.6)))
            raters.append(f"r{g}")
    duels += [("a", "c", 1.0), ("b", "c", 0.0)] * 5  # c is rated by one rater only
    raters += ["r0"] * 10
    result = bt_bootstrap(duels, ["a", "b", "c"], raters=raters, rng=np.random.default_rng(0))
    assert list(result.raters) == [MIN_BOOTSTRAP_RATERS, MIN_BOOTSTRAP_RATERS, 1]
    assert list(result.estimable) == [True, True, False]
    assert result.low[2] == -np.inf and result.high[2] == np.inf
    fewer = bt_bootstrap(duels[:6 * (MIN_BOOTSTRAP_RATERS - 1)], ["a", "b"], raters=raters[:6 * (MIN_BOOTSTRAP_RATERS - 1)])
    assert not fewer.estimable.any()
    with pytest.raises(ValueError):
        bt_bootstrap(duels, raters=raters[:-1])


def test_summary_reports_raters_images_and_skip_rates():
    rng = np.random.default_rng(4)
    votes = _votes_by([f"s{i % 12}" for i in range(60)], rng)
    outcomes = [
        {"mode": "real", "left_method": PHOTO, "right_method": "a", "voted": 40, "skipped": 6, "open": 2},
        {"mode": "real", "left_method": "a", "right_method": PHOTO, "voted": 20, "skipped": 4, "open": 0},
        {"mode": "duel", "left_method": "a", "right_method": "b", "voted": 30, "skipped": 10, "open": 1},
        {"mode": "duel", "left_method": "b", "right_method": "a", "voted": 30, "skipped": 0, "open": 0},
    ]
    res = summarise(votes, outcomes=outcomes, n_boot=50)
    assert res.n_raters == 12 and res.n_images == len({v["item_id"] for v in votes})
    (fooled,) = res.fooled
    assert (fooled["skipped"], fooled["resolved"]) == (10, 70) and fooled["skip_rate"] == pytest.approx(10 / 70)
    assert fooled["raters"] == 12 and fooled["images"] == res.n_images
    for row in res.bt_rows:
        assert (row["skipped"], row["resolved"], row["raters"]) == (10, 70, 12) and row["images"] == res.n_images
    (pair,) = res.pairs
    assert (pair["method"], pair["method_b"], pair["votes"], pair["skipped"]) == ("a", "b", 60, 10)
    assert pair["a_wins"] + pair["b_wins"] + pair["ties"] == 60
    assert (res.n_skipped, res.n_resolved) == (20, 140)
    table = list(csv.DictReader(io.StringIO(results_csv(res))))
    assert [r["table"] for r in table] == ["fooled", "bradley_terry", "bradley_terry", "duel_pair"]
    assert all(r["raters"] == "12" and r["images"] == str(res.n_images) for r in table)
    assert table[0]["low"] and table[0]["wilson_low"] and table[0]["skipped"] == "10"


def test_display_tables_show_intervals_only_where_enough_raters_stand_behind_them():
    rng = np.random.default_rng(5)
    many = _votes_by([f"s{i % 12}" for i in range(60)], rng)  # 12 raters: every interval estimable
    one = [_real_vote("c", "x", "c", session="solo"), _real_vote("c", "y", PHOTO, session="solo")]
    outcomes = [{"mode": "real", "left_method": PHOTO, "right_method": "d", "voted": 0, "skipped": 2, "open": 0}]
    res = summarise(many + one, outcomes=outcomes, n_boot=50, rng=np.random.default_rng(0))
    fooled = {r["method"]: r for r in fooled_display(res, title=str.upper)}
    assert all(list(r) == FOOLED_COLUMNS for r in fooled.values()) and set(fooled) == {"a", "c", "d"}
    a = next(r for r in res.fooled if r["method"] == "a")
    assert fooled["a"]["title"] == "A" and fooled["a"]["fooled"] == f"{a['k']}/{a['n']}"
    assert fooled["a"]["95 % CI (raters)"] == f"{100 * a['low']:.0f}-{100 * a['high']:.0f} %"
    assert fooled["a"]["rate %"] == round(100 * a["rate"], 1) and fooled["a"]["raters"] == 12
    assert fooled["c"]["95 % CI (raters)"] == "n/a (1 rater; needs 2)" and fooled["c"]["fooled"] == "1/2"
    # a method whose pairs were only skipped: listed, unranked, no rate, its skips shown
    assert (fooled["d"]["fooled"], fooled["d"]["rate %"], fooled["d"]["rank"], fooled["d"]["skipped"]) == (
        "0/0", "", "", "2/2 = 100 %")
    assert fooled["a"]["skipped"] == "0/0"  # no outcome rows for a: nothing resolved
    bt = bt_display(res)
    assert [list(r) for r in bt] == [BT_COLUMNS] * 2 and {r["method"] for r in bt} == {"a", "b"}
    assert all(" .. " in r["95 % CI (raters)"] and r["raters"] == 12 for r in bt)
    (pair,) = pairs_display(res)
    assert list(pair) == PAIR_COLUMNS and (pair["method A"], pair["method B"], pair["votes"]) == ("a", "b", 60)


def test_display_marks_a_bt_interval_with_too_few_raters_not_estimable():
    votes = [dict(mode="duel", item_id="x", left_method="a", right_method="b", choice=c, too_fast=False,
                  session_id="s") for c in ("left", "left", "right", "both_bad")]
    res = summarise(votes, n_boot=20)
    rows = {r["method"]: r for r in bt_display(res)}
    assert rows["a"]["95 % CI (raters)"] == f"n/a (1 rater; needs {MIN_BOOTSTRAP_RATERS})"
    assert rows["a"]["both bad"] == rows["b"]["both bad"] == 1


def test_charts_plot_voted_methods_with_error_bars_only_for_estimable_intervals():
    rng = np.random.default_rng(6)
    many = _votes_by([f"s{i % 12}" for i in range(60)], rng)
    one = [_real_vote("c", "x", "c", session="solo")]
    outcomes = [{"mode": "real", "left_method": PHOTO, "right_method": "d", "voted": 0, "skipped": 1, "open": 0}]
    res = summarise(many + one, outcomes=outcomes, n_boot=50, rng=np.random.default_rng(0))
    chart = fooled_chart(res)
    assert set(chart.methods) == {"a", "c"}  # d has no vote: no bar
    i, j = chart.methods.index("a"), chart.methods.index("c")
    a = next(r for r in res.fooled if r["method"] == "a")
    assert chart.values[i] == pytest.approx(100 * a["rate"])
    assert (chart.above[i], chart.below[i]) == pytest.approx((100 * (a["high"] - a["rate"]), 100 * (a["rate"] - a["low"])))
    assert chart.above[i] > 0 and chart.below[i] > 0
    assert (chart.values[j], chart.above[j], chart.below[j]) == (100.0, 0.0, 0.0)  # one rater: no bar, no whisker
    assert chart.text[j] == "1/1 · 1 raters"
    bt = bt_chart(res)
    rows = {r["method"]: r for r in res.bt_rows}
    assert set(bt.methods) == {"a", "b"} and len(bt.values) == len(bt.above) == len(bt.below) == 2
    for m, value, above in zip(bt.methods, bt.values, bt.above):
        assert value == rows[m]["theta"] and above == pytest.approx(rows[m]["high"] - rows[m]["theta"])


# ----------------------------------------------------------------------------- pairs
@pytest.fixture()
def pool(tmp_path):
    rng = np.random.default_rng(0)
    methods_per_case = [["m1", "m2", "m3"], ["m1", "m2"], ["m2", "m3"], ["m1", "m3"]]
    for i, methods in enumerate(methods_per_case):
        image = rng.random((16, 20, 3)).astype(np.float32)
        mask = np.zeros((16, 20), bool)
        mask[4:9, 6:12] = True
        write_case(tmp_path / "gallery", image, mask, {m: image * 0.5 for m in methods}, case_id=f"c{i}")
    return PairPool({"gallery": tmp_path / "gallery"})


@pytest.mark.parametrize("mode", ["real", "duel"])
def test_sampling_balances_methods(pool, mode):
    rng = np.random.default_rng(1)
    issued: dict[tuple[str, str, str], int] = {}
    per_group: dict[tuple[str, str], int] = {}
    swaps = 0
    for _ in range(120):
        pair = pool.sample(mode, rng, issued=issued)
        issued[(pair.item_id, pair.left, pair.right)] = issued.get((pair.item_id, pair.left, pair.right), 0) + 1
        group = canonical(mode, pair.left, pair.right)
        per_group[group] = per_group.get(group, 0) + 1
        swaps += pair.swapped
        assert pair.swapped == ((pair.left, pair.right) != group)
    expected_groups = {("__photo__", m) for m in ("m1", "m2", "m3")} if mode == "real" else set(
        itertools.combinations(["m1", "m2", "m3"], 2))
    assert set(per_group) == expected_groups
    assert max(per_group.values()) - min(per_group.values()) <= 1
    assert 30 < swaps < 90  # sides are shuffled


def test_sampling_avoids_repeats_for_a_rater_until_exhausted(pool):
    rng = np.random.default_rng(2)
    candidates = pool.candidates("real")
    seen: set = set()
    for _ in range(len(candidates)):
        pair = pool.sample("real", rng, seen=seen)
        key = (pair.item_id, *canonical("real", pair.left, pair.right))
        assert key not in {(i, *canonical("real", a, b)) for i, a, b in seen}
        seen.add((pair.item_id, pair.left, pair.right))
    assert pool.sample("real", rng, seen=seen) is not None  # everything seen: repeats allowed


def test_sampling_respects_study_restrictions_and_empty_pool(pool, tmp_path):
    rng = np.random.default_rng(3)
    for _ in range(20):
        pair = pool.sample("duel", rng, methods=["m1", "m2"], items=["gallery/c0", "gallery/c2"])
        assert pair.item_id == "gallery/c0" and {pair.left, pair.right} == {"m1", "m2"}
    assert pool.sample("duel", rng, methods=["m1"]) is None
    assert PairPool({"gallery": tmp_path / "missing"}).sample("real", rng) is None


def test_pool_images_are_the_case_files(pool, tmp_path):
    case = pool.cases()["gallery/c1"]
    photo = pool.image("gallery/c1", PHOTO)
    assert photo.dtype == np.uint8 and photo.shape == (16, 20, 3)
    assert np.array_equal(photo, np.asarray(Image.open(case.original_path).convert("RGB")))  # read independently
    # a fill is shown composited: the method's pixels in the hole, the photo's everywhere else
    hole = np.asarray(Image.open(case.mask_path)) > 0
    fill = np.asarray(Image.open(case.outputs["m2"]).convert("RGB"))
    expected = np.where(hole[..., None], fill, photo)
    assert np.array_equal(pool.image("gallery/c1", "m2"), expected)
    with pytest.raises(KeyError):
        pool.image("gallery/c1", "m3")
