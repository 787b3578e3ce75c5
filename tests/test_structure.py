"""Object removal with structure guides (Sun et al. 2005): the structure is continued along the
guide, known pixels stay as they were, automatic guides link the right edges."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inpaint_core import inpaint
from inpaint_core.apps.remove import grow, guides_image, place_object, remove_object
from inpaint_core.errors import InpaintInputError
from inpaint_core.samples import drawn_scene
from inpaint_core.structure import Guide, curves_from_mask, propagate_structure, propose_guides, rasterise

SIDE = 160


def _two_regions(inside: np.ndarray, seed: int = 0) -> np.ndarray:
    """Two flat colours split by ``inside`` (bool), with a little noise, as uint8 RGB."""
    rng = np.random.default_rng(seed)
    img = np.where(inside[..., None], (205, 180, 80), (50, 75, 150)).astype(np.float64)
    img += rng.normal(0, 2.0, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _straight():
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    inside = yy > 0.45 * xx + 40
    curve = np.array([[0.45 * x + 40, x] for x in (0, SIDE - 1)])
    return _two_regions(inside), inside, curve


def _arc():
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    cy, cx, r = 190.0, 80.0, 120.0  # a large disc whose boundary arcs across the image
    inside = np.hypot(yy - cy, xx - cx) < r
    t = np.linspace(np.pi + 0.75, 2 * np.pi - 0.75, 200)
    curve = np.stack([cy + r * np.sin(t), cx + r * np.cos(t)], 1)
    return _two_regions(inside, 1), inside, curve


def _hole():
    hole = np.zeros((SIDE, SIDE), bool)
    hole[35:105, 50:110] = True
    return hole


def _band_error(out: np.ndarray, truth: np.ndarray, guide: np.ndarray, hole: np.ndarray, radius: int = 3):
    """(median, mean) absolute error in 8-bit levels over the hole pixels within ``radius`` px of the guide."""
    band = cv2.dilate(guide.astype(np.uint8), np.ones((2 * radius + 1,) * 2, np.uint8)).astype(bool) & hole
    err = np.abs(out.astype(float) - truth.astype(float))[band].mean(1)
    return float(np.median(err)), float(err.mean())


@pytest.mark.parametrize("shape", [_straight, _arc], ids=["straight edge", "smooth curve"])
def test_guide_carries_the_edge_across_the_hole(shape):
    truth, _, curve = shape()
    hole = _hole()
    guide_px = guides_image(hole.shape, [Guide(rasterise(curve, hole.shape))]) > 0
    assert (guide_px & hole).sum() > 40 and (guide_px & ~hole).sum() > 40  # the guide crosses the hole
    damaged = truth.copy()
    damaged[hole] = 0
    guided = remove_object(damaged, hole, guides=guide_px, method="criminisi")
    plain = inpaint(damaged, hole, "criminisi")
    err_guided = _band_error(guided.output, truth, guide_px, hole)
    err_plain = _band_error(plain, truth, guide_px, hole)
    # pixels on and beside the guide within a few levels of the truth (the noise alone is ~2 levels);
    # the mean also counts the edge's own pixels, where a pixel of misalignment costs ~150 levels
    assert err_guided[0] < 4.0 and err_guided[1] < 10.0, (err_guided, err_plain)
    assert err_guided[1] <= err_plain[1] + 0.5, (err_guided, err_plain)
    assert guided.structure.sum() > 0 and not (guided.structure & ~hole).any()
    np.testing.assert_array_equal(guided.output[~hole], damaged[~hole])


def test_without_guides_it_is_the_method_alone():
    truth, _, _ = _arc()
    hole = _hole()
    damaged = truth.copy()
    damaged[hole] = 0
    result = remove_object(damaged, hole, guides=None, method="telea")
    np.testing.assert_array_equal(result.output, inpaint(damaged, hole, "telea"))
    assert result.structure.sum() == 0 and result.guides == []


def test_drawn_guides_become_ordered_curves():
    canvas = np.zeros((SIDE, SIDE), np.uint8)
    cv2.polylines(canvas, [np.array([[10, 20], [80, 60], [150, 40]], np.int32)], False, 255, 3)  # 3 px wide
    cv2.line(canvas, (20, 140), (140, 140), 255, 1)
    cv2.circle(canvas, (5, 150), 1, 255, -1)  # a dot: too short to be a curve
    curves = curves_from_mask(canvas > 0)
    assert len(curves) == 2
    ends = sorted(tuple(sorted([tuple(c.points[0][::-1]), tuple(c.points[-1][::-1])])) for c in curves)
    polyline, line = (ends[0], ends[1]) if ends[0][0][0] < ends[1][0][0] else (ends[1], ends[0])
    assert np.hypot(*np.subtract(polyline[0], (10, 20))) < 4 and np.hypot(*np.subtract(polyline[1], (150, 40))) < 4
    for c in curves:  # ordered: each point an 8-neighbour of the next
        assert np.abs(np.diff(c.points, axis=0)).max() == 1


def test_automatic_guide_links_the_wire_across_the_object():
    scene = drawn_scene(256)
    photo, ball, touched = place_object(scene, 0, centre=(0.27, 0.3), size=0.1)
    hole = grow(ball, 5)
    assert not (touched & ~hole).any()
    guides = propose_guides(photo.astype(np.float32) / 255, hole)
    assert len(guides) >= 1
    # the wire: cv2.line((0, 170), (511, 60)) on the 512 px canvas, halved
    def off_wire(p):
        y, x = p
        return abs(y - (85 - 55 * x / 255.5))

    g = guides[0]
    on = g.points[hole[g.points[:, 0], g.points[:, 1]]]
    assert len(on) > 20 and max(off_wire(p) for p in on) < 3.0, [off_wire(p) for p in on]
    result = remove_object(photo, ball, guides="auto", grow_px=5, clean=scene)
    plain = remove_object(photo, ball, guides=None, grow_px=5, clean=scene)
    assert result.scores["psnr_hole"] > plain.scores["psnr_hole"] + 1.0, (result.scores, plain.scores)


def test_no_edges_no_guides():
    flat = np.full((96, 96, 3), 120, np.uint8)
    hole = np.zeros((96, 96), bool)
    hole[30:60, 30:60] = True
    assert propose_guides(flat.astype(np.float32) / 255, hole) == []


def test_propagation_never_writes_known_pixels():
    truth, _, curve = _straight()
    hole = _hole()
    img = truth.astype(np.float32) / 255
    done = propagate_structure(img, hole, [Guide(rasterise(curve, hole.shape))])
    np.testing.assert_array_equal(done.image[~hole], img[~hole])
    assert done.filled.any() and not (done.filled & ~hole).any()


@pytest.mark.parametrize("kwargs, words", [
    (dict(mask=np.zeros((SIDE, SIDE), bool)), "empty"),
    (dict(mask=np.ones((SIDE, SIDE), bool)), "whole photo"),
    (dict(mask=np.ones((10, 10), bool)), "must match"),
    (dict(grow_px=99), "Grow the mask"),
    (dict(guides="sideways"), "'auto'"),
    (dict(guides=np.ones((5, 5), bool)), "guide drawing"),
    (dict(method="nope"), "nope"),
])
def test_bad_input_is_one_sentence(kwargs, words):
    truth, _, _ = _straight()
    args = dict(mask=_hole()) | kwargs
    mask = args.pop("mask")
    with pytest.raises(InpaintInputError, match=words):
        remove_object(truth, mask, **args)
