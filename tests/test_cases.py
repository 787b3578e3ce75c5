"""Case folders: what a rater or a gallery visitor is shown keeps the original's known pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

from inpaint_core.cases import composite_fill, fill_crop, read_case, write_case
from inpaint_core.geometry import hole_box
from inpaint_core.masks import generate_mask
from inpaint_core.study.pairs import PHOTO, PairPool


@pytest.fixture()
def photo_and_hole():
    photo = data.astronaut()[::4, ::4].copy()  # 128 x 128
    return photo, generate_mask("object", photo.shape[:2], seed=4)


def test_fill_crop_is_the_hole_box_and_composites_back_exactly(photo_and_hole):
    photo, hole = photo_and_hole
    rng = np.random.default_rng(0)
    output = photo.copy()
    output[hole] = rng.integers(0, 256, (hole.sum(), 3), dtype=np.uint8)
    crop = fill_crop(output, hole)
    rows, cols = hole_box(hole)
    assert crop.shape[:2] == (rows.stop - rows.start, cols.stop - cols.start) < photo.shape[:2]
    assert not crop[~hole[rows, cols]].any()  # known pixels are not stored
    assert np.array_equal(composite_fill(photo, hole, crop), output)
    assert np.array_equal(composite_fill(photo, hole, output), output)  # a whole frame works too
    with pytest.raises(ValueError, match="fits neither"):
        composite_fill(photo, hole, crop[1:])


def test_recent_compare_shown_to_raters_keeps_known_pixels(tmp_path, photo_and_hole):
    """A fill saved with changed known pixels (a lossy file, a colour shift) is still shown with the
    original's known pixels, in the case reader and in the study's pair images."""
    photo, hole = photo_and_hole
    fill = photo.copy()
    fill[hole] = 128
    shifted = np.clip(fill.astype(int) + 3, 0, 255).astype(np.uint8)  # every known pixel off by 3 levels
    write_case(tmp_path, photo, hole, {"grey": shifted}, case_id="c1", source="compare")
    case = read_case(tmp_path / "c1")
    stored = np.asarray(Image.open(case.outputs["grey"]).convert("RGB"))
    assert not np.array_equal(stored[~hole], photo[~hole])  # the file itself differs outside the hole
    pool = PairPool({"recent": tmp_path})
    for shown in (case.image("grey"), pool.image("recent/c1", "grey")):
        assert np.array_equal(shown[~hole], photo[~hole])
        assert np.array_equal(shown[hole], shifted[hole])
    assert np.array_equal(pool.image("recent/c1", PHOTO), photo)
