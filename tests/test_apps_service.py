"""The Applications service without a server: examples, detection, filling, scores, export."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from inpaint_core.errors import InpaintInputError
from inpaint_core.metrics import METRICS
from inpaint_core.services.apps import UNBLEND, AppCase, AppsService


@pytest.fixture(scope="module")
def service():
    return AppsService(max_side=256, time_limit=60)


def test_repair_example_detect_fill_keeps_known_pixels_and_scores(service):
    case = service.repair_example("chelsea", "medium", seed=1)
    assert case.photo.shape[:2] == case.clean.shape[:2] and max(case.photo.shape[:2]) == 256 and case.truth.any()
    mask, line = service.detect(case)
    assert mask.any() and not mask.all()
    assert "precision" in line and "recall" in line and "%" in line
    run = service.fill(case, mask, ["telea", "harmonic"])
    assert set(run.outputs) == {"telea", "harmonic"} and len(run.tiles) == 2
    for out in run.outputs.values():
        assert np.array_equal(out[~mask], case.photo[~mask])  # only the mask changes
    labels = [METRICS[k].label for k in ("psnr", "ssim", "vif")]
    assert set(labels) <= set(run.table.columns)
    filled = run.table[run.table["method"] != "(input, unfilled)"]
    assert (filled["PSNR"] > run.table.iloc[0]["PSNR"]).all()  # filling beats leaving the damage
    with zipfile.ZipFile(run.zip_path) as zf:
        assert {"input.png", "mask.png", "clean.png", "result_telea.png", "scores.csv"} <= set(zf.namelist())


def test_strength_changes_the_damage(service):
    light = service.repair_example("coffee", "light").truth.mean()
    heavy = service.repair_example("coffee", "heavy").truth.mean()
    assert heavy > light > 0


def test_mark_example_detect_and_unblend():
    service = AppsService(max_side=512, time_limit=60)  # marks need SIFT features: not too small
    case = service.mark_example("coffee", scale=1.0, opacity=0.5, tiled=True)
    mask, line = service.detect(case)
    assert line.startswith("Found 4 marks") and "matches" in line and "opacity" in line and "IoU" in line
    assert mask[case.truth].mean() > 0.95
    run = service.fill(case, mask, [UNBLEND, "telea"])
    table = run.table.set_index("method")
    assert table.loc["Un-blend (+ Telea)", "PSNR"] > table.loc["Telea (fast marching)", "PSNR"]


def test_own_photo_has_no_scores(service):
    photo = service.clean_example("rocket")
    case, notice = service.own_case("repair", photo)
    assert notice == "" and case.clean is None
    mask = np.zeros(photo.shape[:2], bool)
    mask[40:60, 40:80] = True
    run = service.fill(case, mask, ["telea"])
    assert "PSNR" not in run.table.columns and "no scores" in run.status


def test_big_upload_is_downscaled(service):
    case, notice = service.own_case("repair", np.zeros((600, 900, 3), np.uint8))
    assert max(case.photo.shape[:2]) == 256 and "downscaled" in notice


def test_remove_example_propose_and_fill(service):
    case = service.remove_example("scene")
    guides, hole, line = service.propose_guides(case, case.brushed, case.grow)
    assert len(guides) == 1 and "Proposed 1 guide" in line and not (case.truth & ~hole).any()
    from inpaint_core.apps.remove import PROPOSAL_WIDTH
    from inpaint_core.structure import draw_guides

    drawing = draw_guides(guides, hole.shape, PROPOSAL_WIDTH)
    run = service.remove(case, case.brushed, drawing, ["patchmatch"], grow_px=case.grow, proposed=guides)
    assert [t[1].split(" · ")[0] for t in run.tiles] == [
        "PatchMatch completion (Wexler / Content-Aware Fill) + 1 guide",
        "PatchMatch completion (Wexler / Content-Aware Fill), no guides"]
    for out in run.outputs.values():
        np.testing.assert_array_equal(out[~hole], case.photo[~hole])
    table = run.table.set_index("method")
    assert table["Hole PSNR"].iloc[1] > table["Hole PSNR"].iloc[2] + 1.0  # the wire carried across
    # no drawing: one tile per method, and the status says the structure step was skipped
    run = service.remove(case, case.brushed, None, ["telea"], grow_px=case.grow)
    assert len(run.tiles) == 1 and "skipped" in run.status


@pytest.mark.parametrize("call, words", [
    (lambda s, c: s.fill(c, None, ["telea"]), "mask is empty"),
    (lambda s, c: s.fill(c, np.ones(c.photo.shape[:2], bool), ["telea"]), "whole photo"),
    (lambda s, c: s.fill(c, np.eye(*c.photo.shape[:2], dtype=bool), []), "at least one"),
    (lambda s, c: s.fill(c, np.eye(*c.photo.shape[:2], dtype=bool), [UNBLEND]), "de-watermarking only"),
    (lambda s, c: s.detect(None), "Pick an example"),
    (lambda s, c: s.repair_example("nope"), "Unknown example"),
    (lambda s, c: s.remove_example("nope"), "Unknown example"),
    (lambda s, c: s.remove(c, np.zeros(c.photo.shape[:2], bool), None, ["telea"]), "mask is empty"),
    (lambda s, c: s.remove(c, np.ones((8, 8), bool), None, []), "Select at least one"),
    (lambda s, c: s.propose_guides(None, None), "Pick an example"),
    (lambda s, c: s.repair_example("coffee", "extreme"), "Unknown damage strength"),
    (lambda s, c: s.mark_example("coffee", opacity=0.0), "opacity"),
    (lambda s, c: s.own_case("dewatermark", c.photo), "template"),
    (lambda s, c: s.detect(AppCase("dewatermark", np.full((64, 64, 3), 90, np.uint8), template=s.mark())),
     "not found"),
])
def test_user_mistakes_are_one_sentence(service, call, words):
    case = AppCase("repair", service.clean_example("astronaut"))
    with pytest.raises(InpaintInputError) as info:
        call(service, case)
    message = str(info.value)
    assert words in message and message.count(". ") == 0 and "\n" not in message
