"""The Compare tab's service without a server: preparing the input once, streaming, export, recent cases."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from skimage import data

from inpaint_core.cases import list_cases
from inpaint_core.errors import InpaintInputError
from inpaint_core.masks import generate_mask
from inpaint_core.services.compare import (
    EMPTY_MASK, FULL_MASK, NO_IMAGE, NO_METHOD, CompareService, display_table, method_card,
)
from inpaint_core.study.pairs import OFFERED_KEY


@pytest.fixture()
def service(tmp_path):
    return CompareService(max_side=128, time_limit=30, recent_dir=tmp_path / "recent", keep_recent=2)


@pytest.fixture()
def photo():
    return data.astronaut()[::4, ::4].copy()  # 128 x 128


def test_prepare_checks_once_and_caps_the_size(service):
    big = data.coffee()  # 600 x 400
    hole = generate_mask("centre", big.shape[:2])
    problem = service.prepare(big, hole)
    assert problem.image.shape == (85, 128, 3) and problem.hole.shape == (85, 128)
    assert "downscaled from 600x400 to 128x85" in problem.notice
    assert problem.hole.mean() == pytest.approx(hole.mean(), abs=0.02)  # the hole scaled with the image
    for image, mask, message in ((None, hole, NO_IMAGE), (big, np.zeros(big.shape[:2], bool), EMPTY_MASK),
                                 (big, None, EMPTY_MASK), (big, np.ones(big.shape[:2], bool), FULL_MASK)):
        with pytest.raises(InpaintInputError, match=message[:20]):
            service.prepare(image, mask)


def test_run_streams_each_result_and_knows_the_best(service, photo):
    problem = service.prepare(photo, generate_mask("medium", photo.shape[:2], seed=3))
    seen, fractions = [], []
    for run in service.run(problem, ["telea", "harmonic"], {}, progress=lambda f, m: fractions.append(f)):
        seen.append(len(run.results))
    assert seen == [0, 1, 2]  # once before the first result, then after each
    assert fractions[0] == 0 and max(fractions) <= 1
    assert [r.status for r in run.results] == ["ok", "ok"]
    best = max(run.results, key=lambda r: r.metrics["psnr"]).method
    assert run.best() == best and run.status("x").startswith("Done: 2 methods")
    table = display_table(run.table())
    assert list(table["title"]) == ["Telea (fast marching)", "Harmonic diffusion"] and "vif" in table
    for r in run.results:  # known pixels bit-exact
        assert np.array_equal(r.output[~problem.hole], photo[~problem.hole])


def test_bad_selection_or_parameters_are_one_sentence(service, photo):
    problem = service.prepare(photo, generate_mask("centre", photo.shape[:2]))
    with pytest.raises(InpaintInputError, match=NO_METHOD):
        next(service.run(problem, [], {}))
    with pytest.raises(InpaintInputError, match="Telea.*radius.*finite"):
        next(service.run(problem, ["telea"], {"telea": {"radius": float("nan")}}))


def test_zip_and_recent_cases(service, photo):
    problem = service.prepare(photo, generate_mask("object", photo.shape[:2], seed=1))
    *_, run = service.run(problem, ["telea"], {})
    with zipfile.ZipFile(service.export_zip(run)) as zf:
        assert {"original.png", "mask.png", "masked_input.png", "telea.png", "metrics.csv", "settings.json"} <= set(
            zf.namelist())
        assert json.loads(zf.read("settings.json"))["methods"] == ["telea"]
    ids = [service.save_recent(run, offered=offered) for offered in (False, True, True)]
    cases = {c.case_id: c for c in list_cases(service.recent_dir)}
    assert set(cases) == set(ids[1:])  # only the newest keep_recent = 2 are kept
    assert all(cases[i].meta[OFFERED_KEY] is True for i in ids[1:])


def test_the_tab_opens_on_an_example_with_a_hole_ready_to_run(service):
    image, hole, line = service.first_example()
    assert max(image.shape[:2]) <= service.max_side and 0 < hole.mean() < 0.5
    assert "Astronaut" in line and "hole" in line
    problem = service.prepare(image, hole)  # what Run does first: nothing to refuse
    assert problem.hole.any()


def test_masks_from_files_and_presets(service, photo, tmp_path):
    import cv2

    hole = np.zeros((256, 256), np.uint8)
    hole[40:80, 50:120] = 255
    cv2.imwrite(str(tmp_path / "mask.png"), hole)
    mask, line, notice = service.mask_file(photo, str(tmp_path / "mask.png"))
    assert mask.shape == photo.shape[:2] and "resized from 256x256" in notice
    cv2.imwrite(str(tmp_path / "wide.png"), np.full((100, 300), 255, np.uint8))
    with pytest.raises(InpaintInputError, match="The mask is 300x100 but the image is 128x128"):
        service.mask_file(photo, str(tmp_path / "wide.png"))
    mask, line = service.preset(photo, "Centre square (25 %)", 0)
    assert mask.mean() == pytest.approx(0.25, abs=0.01) and "25.00 %" in line
    assert "Idea." in method_card("telea") and method_card(None) == ""


@pytest.mark.parametrize("kind", ["fill_order", "nnf", "melding", "planar"])
def test_every_teaching_view_comes_from_the_real_run(service, kind):
    image = data.brick()[::4, ::4]
    image = np.repeat(image[..., None], 3, axis=2)
    problem = service.prepare(image, generate_mask("object", image.shape[:2], seed=2))
    views = service.teaching_views(kind, problem)
    assert len(views) >= 2 and all(frame.shape[:2] == image.shape[:2] for frame, _ in views)
    assert all(isinstance(caption, str) and caption for _, caption in views)
    with pytest.raises(InpaintInputError, match="Unknown teaching view"):
        service.teaching_views("bogus", problem)
