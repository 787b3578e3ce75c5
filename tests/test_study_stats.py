"""Statistics, results and pair sampling of the human-preference study, against independent references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image
from scipy import optimize, stats

from inpaint_core.cases import write_case
from inpaint_core.study.pairs import PHOTO, PairPool, canonical
from inpaint_core.study.results import best_and_worst, duels_from_votes, fooled_table, summarise
from inpaint_core.study.stats import bradley_terry, bt_bootstrap, duel_matrix, overlap_rank, wilson_interval


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
        result = bt_bootstrap(duels, names, n_boot=200, rng=np.random.default_rng(0))
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
        assert (rows[method]["low"], rows[method]["high"]) == wilson_interval(k, n)


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
    assert np.array_equal(pool.image("gallery/c1", "m2"), np.asarray(Image.open(case.outputs["m2"]).convert("RGB")))
    with pytest.raises(KeyError):
        pool.image("gallery/c1", "m3")
