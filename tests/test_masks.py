"""Mask generators and the editor-layer conversion."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_core.masks import MASK_PRESETS, generate_mask, hole_percent, mask_from_layers


@pytest.mark.parametrize("kind", sorted(MASK_PRESETS))
@pytest.mark.parametrize("shape", [(64, 64), (256, 192), (37, 53)])
def test_presets_are_seeded_and_sensible(kind, shape):
    a = generate_mask(kind, shape, seed=3)
    assert a.shape == shape and a.dtype == bool
    assert np.array_equal(a, generate_mask(kind, shape, seed=3))
    assert 0.0 < hole_percent(a) < 95.0


def test_seed_changes_random_masks():
    assert not np.array_equal(generate_mask("medium", (128, 128), 1), generate_mask("medium", (128, 128), 2))


def test_stroke_widths_are_ordered():
    area = {k: np.mean([hole_percent(generate_mask(k, (256, 256), s)) for s in range(12)]) for k in ("thin", "medium", "thick")}
    assert area["thin"] < area["medium"] < area["thick"]


def test_centre_square_is_a_quarter():
    mask = generate_mask("centre", (128, 128))
    assert hole_percent(mask) == pytest.approx(25.0)
    assert mask[64, 64] and not mask[0, 0]


def test_random_pixels_rate():
    assert hole_percent(generate_mask("pixels80", (200, 200), 0)) == pytest.approx(80.0, abs=1.0)


def test_layers_alpha_is_the_hole_and_resized():
    layer = np.zeros((20, 30, 4), np.uint8)
    layer[5:10, 5:10] = (255, 255, 255, 180)
    layer[0, 0] = (255, 255, 255, 0)  # colour without alpha is not paint
    hole = mask_from_layers([layer, None], (20, 30))
    assert hole.sum() == 25 and hole[7, 7] and not hole[0, 0]
    big = mask_from_layers([np.repeat(np.repeat(layer, 2, 0), 2, 1)], (20, 30))
    assert np.array_equal(big, hole)
