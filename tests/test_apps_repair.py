"""Photo repair: damage found on its own over several photos, and the filled photo closer to the clean one."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_core.apps.common import detection_scores, dilate
from inpaint_core.apps.repair import STRENGTHS, damage, detect_damage, repair
from inpaint_core.errors import InpaintInputError

from tests.apps_samples import photo

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")


def test_generator_is_seeded_and_grows_with_strength():
    clean = photo("chelsea")
    a, truth_a = damage(clean, "medium", seed=3)
    b, truth_b = damage(clean, "medium", seed=3)
    assert np.array_equal(a, b) and np.array_equal(truth_a, truth_b)
    assert not np.array_equal(a, damage(clean, "medium", seed=4)[0])
    areas = [damage(clean, s, seed=0)[1].mean() for s in STRENGTHS]
    assert areas[0] < areas[1] < areas[2]
    changed = np.abs(a.astype(int) - clean.astype(int)).max(axis=2) > 10
    # the truth holds what was changed, up to the anti-aliased fringe (the scores' 2 px tolerance)
    assert (changed & ~dilate(truth_a, 1)).sum() <= 0.02 * truth_a.sum()
    with pytest.raises(InpaintInputError, match="strength"):
        damage(clean, "extreme")


@pytest.mark.parametrize("name", PHOTOS)
def test_detection_recall_and_precision(name):
    clean = photo(name)
    damaged, truth = damage(clean, "medium", seed=0)
    found = detect_damage(damaged)
    scores = detection_scores(found, truth)
    assert scores.recall >= 0.8, scores
    assert scores.precision >= 0.5, scores


def test_repair_raises_psnr_over_the_damaged_photo():
    gains = []
    for name in ("chelsea", "coffee"):
        clean = photo(name)
        damaged, truth = damage(clean, "medium", seed=1)
        result = repair(damaged, clean=clean, truth=truth)
        assert result.detection["recall"] >= 0.8
        gains.append(result.scores["psnr"] - result.damaged_scores["psnr"])
        assert set(result.summary()) >= {"damage_percent", "detection", "scores"}
    assert min(gains) >= 1.5 and sum(gains) / len(gains) >= 3.0, gains


def test_repair_with_a_given_mask_and_bad_input():
    clean = photo("coffee", 128)
    damaged, truth = damage(clean, "light", seed=0)
    result = repair(damaged, mask=truth, method="harmonic")
    assert np.array_equal(result.mask, truth)
    assert np.array_equal(result.output[~truth], damaged[~truth])
    with pytest.raises(InpaintInputError, match="must match"):
        repair(damaged, mask=truth[:10])
    with pytest.raises(InpaintInputError):
        repair(damaged, method="no_such_method")
