"""The study service as plain Python (no server): votes and their reveals, results as data, exports, studies."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from inpaint_core.cases import write_case
from inpaint_core.study.pairs import PHOTO, PairPool
from inpaint_core.study.results import BT_COLUMNS, FOOLED_COLUMNS
from inpaint_core.study.service import Reveal, StudyService, method_title
from inpaint_core.study.store import VoteRejected, VoteStore

METHODS = ("m1", "m2")


@pytest.fixture()
def service(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(2):
        image = rng.random((16, 20, 3)).astype(np.float32)
        mask = np.zeros((16, 20), bool)
        mask[4:9, 6:12] = True
        write_case(tmp_path / "gallery", image, mask, {"m1": image * 0.5, "m2": image * 0.25}, case_id=f"c{i}")
    store = VoteStore(f"sqlite:///{tmp_path / 'votes.db'}", min_response_ms=0, rate_limit=(10**6, 60.0))
    svc = StudyService(store, PairPool({"gallery": tmp_path / "gallery"}), seed=3)
    yield svc
    store.close()


def _cast(service, rater, mode, pick):
    """Ask for a pair and vote on it; ``pick(shown) -> choice`` sees the pair's methods."""
    offer = service.next_pair(rater, "", mode)
    return service.vote(rater, offer.token, pick(service.store.shown_pair(offer.token, rater)))


def test_a_vote_on_a_real_pair_reveals_the_photo_side_and_whether_the_rater_was_right(service):
    for pick_photo in (True, False):
        receipt = _cast(service, "r", "real", lambda s: ("left" if s["left_method"] == PHOTO else "right")
                        if pick_photo else ("right" if s["left_method"] == PHOTO else "left"))
        reveal = receipt.reveal
        assert isinstance(reveal, Reveal) and reveal.mode == "real"
        photo_side = "left" if receipt.vote["left_method"] == PHOTO else "right"
        assert reveal.real_side == photo_side and reveal.correct is pick_photo
        assert reveal.filled in METHODS and reveal.filled_title == method_title(reveal.filled)
        assert {reveal.left, reveal.right} == {PHOTO, reveal.filled}
        assert reveal.too_fast is False and reveal.response_ms == receipt.vote["response_ms"]
        public = receipt.public()
        assert public["correct"] is pick_photo and public["id"] == receipt.vote["id"]
        assert "session_id" not in public and "token" not in public  # nothing a script should not see


def test_a_duel_vote_reveals_both_methods_and_no_right_answer(service):
    receipt = _cast(service, "r", "duel", lambda s: "both_bad")
    reveal = receipt.reveal
    assert (reveal.mode, reveal.choice, reveal.real_side, reveal.correct, reveal.filled) == (
        "duel", "both_bad", None, None, None)
    assert {reveal.left, reveal.right} == set(METHODS)
    assert (reveal.left_title, reveal.right_title) == (method_title(reveal.left), method_title(reveal.right))


def test_a_too_fast_vote_is_flagged_in_its_reveal(tmp_path, service):
    fast = StudyService(VoteStore(f"sqlite:///{tmp_path / 'fast.db'}", min_response_ms=60_000), service.pool, seed=1)
    receipt = _cast(fast, "r", "real", lambda s: "left")
    assert receipt.reveal.too_fast is True and receipt.public()["too_fast"] is True
    fast.store.close()


def test_refusals_are_value_errors_with_a_reason(service):
    offer = service.next_pair("r", "", "real")
    service.vote("r", offer.token, "left")
    with pytest.raises(ValueError) as exc:  # the tab's adapter shows every ValueError as one sentence
        service.vote("r", offer.token, "left")
    assert isinstance(exc.value, VoteRejected) and exc.value.reason == "replayed"


def test_results_view_holds_tables_charts_and_images_as_data(service):
    for i in range(3):
        _cast(service, f"r{i}", "real", lambda s: "left")
        _cast(service, f"r{i}", "duel", lambda s: "left")
    view = service.results_view("", include_too_fast=True)
    assert view.study.code == "PUBLIC" and view.include_too_fast is True and view.results.n_votes == 6
    assert all(list(r) == FOOLED_COLUMNS for r in view.fooled) and all(list(r) == BT_COLUMNS for r in view.bradley_terry)
    assert {r["method"] for r in view.fooled} <= set(METHODS) and view.fooled
    assert all(r["title"] == method_title(r["method"]) for r in view.fooled + view.bradley_terry)
    assert sorted(view.bt_chart.methods) == sorted(METHODS) and view.fooled_chart.methods
    assert len(view.pairs) == 1 and view.pairs[0]["votes"] == 3
    # best and worst image per method, as a thumbnail with a caption that names the method and k/n
    assert len(view.extremes) == 2 * len(view.results.best_worst)
    for thumb, caption in view.extremes:
        assert thumb.ndim == 3 and thumb.dtype == np.uint8
        assert caption.split(" · ")[0] in METHODS and caption.split(" · ")[1] in ("best", "worst") and "/" in caption


def test_exports_are_written_under_fresh_names_and_need_the_teacher_key(service, tmp_path):
    _cast(service, "r", "real", lambda s: "left")
    folder = tmp_path / "exports" / "nested"  # created on demand
    votes = service.write_export("votes", folder, "")
    again = service.write_export("votes", folder, "")
    assert votes != again and votes.parent == folder and votes.name.startswith("votes-PUBLIC-")
    rows = list(csv.DictReader(io.StringIO(votes.read_text())))
    assert len(rows) == 1 and rows[0]["choice"] == "left"
    results = service.write_export("results", folder, "")
    assert results.name.startswith("results-PUBLIC-") and results.read_text().startswith("table,")
    with pytest.raises(ValueError, match="Unknown export"):
        service.write_export("everything", folder, "")
    study, key = service.create_study(title="T", modes=["real"], methods=["m1"], items=["gallery/c0"], pairs_per_rater=0)
    with pytest.raises(VoteRejected) as exc:
        service.write_export("votes", folder, study.code, "not the key")
    assert exc.value.reason == "teacher"
    assert service.write_export("votes", folder, study.code, key).name.startswith(f"votes-{study.code}-")


def test_study_creation_checks_what_the_teacher_picked(service):
    methods, items = service.study_options()
    assert methods == list(METHODS) and items == ["gallery/c0", "gallery/c1"]
    ok = dict(title=None, modes=["real", "duel"], methods=methods, items=items, pairs_per_rater=None, exposure_s=None)
    for bad, message in (
        (dict(methods=[]), "pick at least one method and one image"),
        (dict(items=None), "pick at least one method and one image"),
        (dict(pairs_per_rater=-1), "cannot be negative"),
        (dict(exposure_s=-0.5), "cannot be negative"),
        (dict(methods=["m1", "nope"]), "Unknown methods or images: nope"),
        (dict(modes=["bogus"]), "Pick at least one mode"),
        (dict(methods=["m1"]), "no pair for 'duel'"),
    ):
        with pytest.raises(ValueError, match=message):
            service.create_study(**{**ok, **bad})
    study, key = service.create_study(**{**ok, "pairs_per_rater": 4.0})  # the form's empty fields are no limit
    assert (study.title, study.modes, study.pairs_per_rater, study.exposure_s) == ("", ("real", "duel"), 4, 0.0)
    assert key and service.study(study.code.lower()) == study


@pytest.fixture()
def demosaic_service(tmp_path):
    """Two inpainting cases (m1, m2) and two de-mosaicing cases (d1, d2; ``task: demosaic``)."""
    rng = np.random.default_rng(1)
    for i in range(2):
        image = rng.random((16, 20, 3)).astype(np.float32)
        mask = np.zeros((16, 20), bool)
        mask[4:12, 4:12] = True
        write_case(tmp_path / "gallery", image, mask, {"m1": image * 0.5, "m2": image * 0.25}, case_id=f"c{i}")
        write_case(tmp_path / "gallery", image, mask, {"d1": image * 0.9, "d2": image * 0.8}, case_id=f"mosaic{i}",
                   task="demosaic", block=4, offset=[0, 0])
    store = VoteStore(f"sqlite:///{tmp_path / 'votes.db'}", min_response_ms=0, rate_limit=(10**6, 60.0))
    svc = StudyService(store, PairPool({"gallery": tmp_path / "gallery"}), seed=3)
    yield svc
    store.close()


def test_real_or_demosaiced_pairs_the_photo_with_a_restoration_of_a_mosaic_case_only(demosaic_service):
    svc = demosaic_service
    for _ in range(8):
        offer = svc.next_pair("r", "", "demosaic")
        shown = svc.store.shown_pair(offer.token, "r")
        assert shown["item_id"].split("/")[1].startswith("mosaic") and PHOTO in (shown["left_method"], shown["right_method"])
        receipt = svc.vote("r", offer.token, "left")
        assert receipt.reveal.real_side in ("left", "right") and receipt.reveal.filled in ("d1", "d2")
    for _ in range(6):  # "Real or inpainted?" and duels never show a de-mosaicing case
        for mode in ("real", "duel"):
            offer = svc.next_pair("r2", "", mode)
            assert svc.store.shown_pair(offer.token, "r2")["item_id"].split("/")[1].startswith("c")
            svc.skip("r2", offer.token)


def test_real_or_demosaiced_is_reported_as_k_over_n_with_a_wilson_interval_and_extremes(demosaic_service):
    """As the survey reports Dahl et al.'s study: k/n picked over the photo, a Wilson interval, and the best
    and worst rated images with their fractions; the "Real or inpainted?" table is not touched."""
    from scipy.stats import binomtest

    svc = demosaic_service
    fooled_by = {"d1": 0, "d2": 0}
    shown_by = {"d1": 0, "d2": 0}
    for i in range(24):
        rater = f"r{i % 4}"
        offer = svc.next_pair(rater, "", "demosaic")
        shown = svc.store.shown_pair(offer.token, rater)
        method = shown["right_method"] if shown["left_method"] == PHOTO else shown["left_method"]
        pick_restored = (method == "d1" and i % 3 != 0) or (method == "d2" and i % 4 == 0)  # d1 fools more often
        side_of = "left" if shown["left_method"] == method else "right"
        choice = side_of if pick_restored else ("right" if side_of == "left" else "left")
        svc.vote(rater, offer.token, choice)
        fooled_by[method] += int(pick_restored)
        shown_by[method] += 1
    view = svc.results_view("")
    assert view.fooled == [] and view.results.fooled == []
    rows = {r["method"]: r for r in view.results.demosaiced}
    for method in ("d1", "d2"):
        k, n = fooled_by[method], shown_by[method]
        assert (rows[method]["k"], rows[method]["n"]) == (k, n)
        ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
        low, high = ci.low, ci.high
        assert rows[method]["wilson_low"] == pytest.approx(low, abs=1e-9)
        assert rows[method]["wilson_high"] == pytest.approx(high, abs=1e-9)
    shown = {r["method"]: r for r in view.demosaiced}
    assert shown["d1"]["fooled"] == f"{fooled_by['d1']}/{shown_by['d1']}"
    assert view.demosaic_chart.methods[0] == "d1"  # the higher rate first
    captions = [c for _, c in view.demosaic_extremes]
    assert len(captions) == 4 and all(c.split(" · ")[1] in ("best", "worst") for c in captions)
    assert all("/" in c and c.endswith("%") for c in captions)
    table = [r for r in csv.DictReader(io.StringIO(svc.results_csv("")[1])) if r["table"] == "demosaiced"]
    assert {r["method"] for r in table} == {"d1", "d2"}
