"""De-watermarking: marks scaled, rotated, semi-transparent and tiled are found; un-blending beats
plain inpainting on semi-transparent marks; a missing or unusable mark is one clear sentence."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_core.apps.dewatermark import dewatermark, draw_mark, find_marks, stamp_marks
from inpaint_core.errors import InpaintInputError

from tests.apps_samples import photo

MARK = draw_mark(120)
CASES = {  # name: (placements (cx, cy, scale, degrees), opacity)
    "plain": ([(256, 200, 1.0, 0)], 1.0),
    "half size": ([(256, 200, 0.5, 0)], 1.0),
    "double size": ([(256, 220, 2.0, 0)], 1.0),
    "rotated +30": ([(256, 200, 1.0, 30)], 1.0),
    "rotated -30, scaled": ([(256, 200, 1.3, -30)], 1.0),
    "opacity 0.4": ([(256, 200, 1.0, 0)], 0.4),
    "tiled": ([(130, 100, 0.8, 0), (380, 100, 0.8, 0), (130, 300, 0.8, 0), (380, 300, 0.8, 0)], 0.7),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", ["coffee", "chelsea"])
def test_marks_are_found(name, case):
    placements, opacity = CASES[case]
    clean = photo(name)
    marked, truth = stamp_marks(clean, MARK, placements, opacity=opacity)
    result = dewatermark(marked, MARK, truth=truth, clean=clean)
    if case == "tiled":
        assert len(result.marks) == 4
    else:
        assert len(result.marks) == 1
    assert result.iou >= 0.7, result.summary()
    assert result.mask[truth].mean() > 0.97  # the hole covers the mark


@pytest.mark.parametrize("name", ["rocket", "coffee", "chelsea"])
def test_unblend_beats_inpainting_on_semi_transparent_marks(name):
    clean = photo(name)
    marked, truth = stamp_marks(clean, MARK, [(250, 210, 1.2, 15)], opacity=0.5)
    plain = dewatermark(marked, MARK, clean=clean)
    inverted = dewatermark(marked, MARK, clean=clean, unblend_mark=True)
    assert abs(inverted.opacity - 0.5) < 0.12
    assert inverted.scores["psnr_hole"] > plain.scores["psnr_hole"] + 2.0, (plain.scores, inverted.scores)
    assert inverted.mask.sum() < 0.75 * plain.mask.sum()  # only the unreliable pixels were inpainted


def test_no_mark_is_a_clear_sentence():
    with pytest.raises(InpaintInputError, match=r"not found: (only )?\d+ SIFT matches"):
        find_marks(photo("astronaut"), MARK)


def test_unusable_templates_are_refused():
    with pytest.raises(InpaintInputError, match="at least 24 pixels"):
        find_marks(photo("coffee"), MARK[:16, :16])
    flat = np.zeros((64, 64, 4), np.uint8)
    with pytest.raises(InpaintInputError, match="empty"):
        find_marks(photo("coffee"), flat)
    dot = np.zeros((64, 64, 4), np.uint8)
    dot[30:34, 30:34] = 255
    with pytest.raises(InpaintInputError, match="SIFT features"):
        find_marks(photo("coffee"), dot)
