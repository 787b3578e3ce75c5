"""Image melding and planar structure guidance: behaviour the papers promise (issue 12).

- Melding (Darabi et al. 2012) restores a striped texture whose only unbroken exemplars are
  rotated by 40 degrees and scaled by 0.8, where translational PatchMatch cannot; with its
  rotation and scale ranges at zero it is a translational completion close to PatchMatch's.
- Its screened Poisson step reproduces an image from its own colours and gradients.
- Planar guidance (Huang et al. 2014) recovers the vanishing points of a facade rendered through a
  known homography to within a few degrees and continues its lines in perspective, well above
  PatchMatch; on an image without lines it *is* PatchMatch (same seed, same output).
- The teaching views come from the real runs.

Each check was run once against a broken stand-in and failed (see the issue 12 report).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

from inpaint_core import inpaint
from inpaint_core.masks import generate_mask
from inpaint_core.metrics import psnr, score
from inpaint_core.planar import direction_angle, plane_model
from inpaint_core.poisson import ScreenedPoisson
from inpaint_core.teaching import melding_views, planar_views
from inpaint_core.trace import Trace


# -- image melding --------------------------------------------------------------------------

def _stripes(h: int, w: int, angle_deg: float, period: float, y0: int = 0) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    t = np.radians(angle_deg)
    v = 0.5 + 0.35 * np.cos(2 * np.pi * (xx * np.cos(t) + (yy + y0) * np.sin(t)) / period)
    return np.stack([v, 0.3 + 0.4 * v, 0.9 - 0.6 * v], axis=2)


def _rotated_exemplars() -> tuple[np.ndarray, np.ndarray]:
    """Top half: vertical stripes of period 8. Bottom half: the same stripes turned by 40 degrees
    and of period 10, hidden by the hole but for a 4 px ring, too thin for any 7x7 patch: the
    bottom texture's only unbroken exemplars are the top's, rotated and scaled (s = 0.8)."""
    size = 80
    img = np.zeros((size, size, 3))
    img[:40] = _stripes(40, size, 0.0, 8.0)
    img[40:] = _stripes(40, size, 40.0, 10.0, y0=40)
    hole = np.zeros((size, size), bool)
    hole[44:76, 4:76] = True
    return np.round(img * 255).astype(np.uint8), hole


def test_melding_restores_a_rotated_and_scaled_texture():
    image, hole = _rotated_exemplars()
    trace = Trace()
    melded = inpaint(image, hole, "melding", seed=0, trace=trace)
    translational = inpaint(image, hole, "patchmatch", seed=0)
    ours, theirs = psnr(image, melded, mask=hole), psnr(image, translational, mask=hole)
    # measured: 21.1 dB against 12.4 dB (seeds 0-3: 19.7-23.5 against 12.4-12.6)
    assert ours > theirs + 5.0 and ours > 18.0, (ours, theirs)
    finest = trace.melding_levels[-1]
    assert abs(np.median(np.abs(finest.angle[hole])) - 40.0) < 5.0  # the stripes' turn (40 deg)
    assert 0.72 < np.median(finest.scale[hole]) < 0.92  # their scale (0.8); measured 0.83


def test_melding_gain_is_clamped():
    """The ring shows the top's stripes at 2.5 times their contrast: an unclamped gain would copy
    them at any contrast (measured 4.6x), the clamped one stays near its 1.25 limit (1.16x)."""
    size = 80
    img = np.zeros((size, size, 3))
    img[:40] = 0.5 + 0.3 * (_stripes(40, size, 0.0, 8.0) - 0.5)
    img[40:] = 0.5 + 0.75 * (_stripes(40, size, 0.0, 8.0) - 0.5)
    image = np.round(img * 255).astype(np.uint8)
    hole = np.zeros((size, size), bool)
    hole[44:76, 4:76] = True
    out = inpaint(image, hole, "melding", seed=0).astype(float)
    assert out[hole].std() / image[:40].std() < 1.4


TEXTURES = ("brick", "grass", "gravel")


@pytest.mark.parametrize("texture", TEXTURES)
def test_melding_without_transforms_is_close_to_translational_completion(texture):
    from gallery.specs import square_resize

    image = square_resize(getattr(skimage.data, texture)(), 96)
    hole = generate_mask("object", (96, 96), seed=3)
    params = {"rotation": 0.0, "scale_range": 0.0, "reflection": False, "iterations": 5}
    trace = Trace()
    melded = inpaint(image, hole, "melding", params, seed=4, trace=trace)
    baseline = inpaint(image, hole, "patchmatch", seed=4)
    for level in trace.melding_levels:  # only translations were searched
        has = np.isfinite(level.angle)
        assert (level.angle[has] == 0).all() and (level.scale[has] == 1).all() and not level.mirrored.any()
    ours, theirs = psnr(image, melded, mask=hole), psnr(image, baseline, mask=hole)
    # tolerance: within 1.5 dB of PatchMatch's hole PSNR (measured: +1.5, 0.0, +0.6 dB), and nearer to
    # PatchMatch's fill than PatchMatch's fill is to the truth (by 3.4, 2.6, 2.2 dB measured)
    assert abs(ours - theirs) <= 1.6, (ours, theirs)
    assert psnr(baseline, melded, mask=hole) > theirs + 1.0


def test_screened_poisson_reproduces_an_image_from_its_own_colours_and_gradients():
    rng = np.random.default_rng(0)
    truth = cv2.GaussianBlur(rng.random((30, 40, 3)), (0, 0), 2.0)
    hole = np.zeros((30, 40), bool)
    hole[5:25, 0:30] = True  # touches the border
    gx = np.zeros_like(truth)
    gx[:, :-1] = truth[:, 1:] - truth[:, :-1]
    gy = np.zeros_like(truth)
    gy[:-1] = truth[1:] - truth[:-1]
    start = truth.copy()
    start[hole] = 0.0
    out = ScreenedPoisson(hole, 2.0).solve(start, truth, gx, gy)
    assert np.abs(out - truth).max() < 1e-9
    # with a heavy gradient weight, the gradients and the boundary decide: wrong colours barely matter
    out = ScreenedPoisson(hole, 1e4).solve(start, truth + 0.2, gx, gy)
    assert np.abs(out - truth)[hole].mean() < 0.01


# -- planar structure guidance --------------------------------------------------------------

def _facade(kind: str, size: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A brick wall (36 x 18 bricks, staggered) or a checkerboard (16 px squares) on a plane, seen
    through the homography G (plane -> image), rendered at 3x and area-downsampled; a 50 x 60 hole
    in the middle. Returns (uint8 image, hole, G): the true vanishing points are G's first two
    columns (the images of the plane's two directions at infinity)."""
    G = np.array([[1.25, 0.3125, 12.5], [-0.1, 1.125, 15.0], [0.002, -0.00096, 1.0]])
    ss = 3
    yy, xx = np.mgrid[0 : size * ss, 0 : size * ss].astype(np.float64) / ss
    p = np.stack([xx, yy, np.ones_like(xx)], -1) @ np.linalg.inv(G).T
    u, v = p[..., 0] / p[..., 2], p[..., 1] / p[..., 2]
    if kind == "bricks":
        row = np.floor(v / 18.0)
        mortar = ((v % 18.0) < 2.5) | (((u + (row % 2) * 18.0) % 36.0) < 2.5)
        img = np.where(mortar[..., None], [0.85, 0.85, 0.8], [0.65, 0.25, 0.15])
    else:
        c = ((np.floor(u / 16) + np.floor(v / 16)) % 2)[..., None]
        img = c * np.array([0.9, 0.85, 0.7]) + (1 - c) * np.array([0.15, 0.2, 0.35])
    img = cv2.resize(img.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
    hole = np.zeros((size, size), bool)
    hole[55:105, 50:110] = True
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8), hole, G


@pytest.mark.parametrize("kind", ["bricks", "checker"])
@pytest.mark.parametrize("detector", ["lsd", "hough"])
def test_planar_recovers_the_vanishing_points(kind, detector):
    image, hole, G = _facade(kind)
    work = image.astype(np.float32) / 255.0
    work[hole] = 0.0
    model = plane_model(work, hole, detector=detector)
    assert len(model.points) >= 2 and len(model.planes) >= 1
    for truth in (G[:, 0], G[:, 1]):
        # angle between 3D directions (focal length = image width); measured 0.1-1.4 deg
        error = min(direction_angle(truth, v, hole.shape) for v in model.points)
        assert error < 3.0, error
    # the plane spanned by the facade's two directions is the likelier one in the hole (measured:
    # 0.74 with LSD's segments, 0.58 with the Hough transform's), against the fronto-parallel plane
    assert model.probability[0][hole].mean() > 0.5


@pytest.mark.parametrize("kind, margin_db, margin_ssim", [("bricks", 3.0, 0.08), ("checker", 5.0, 0.15)])
def test_planar_continues_lines_in_perspective(kind, margin_db, margin_ssim):
    image, hole, _ = _facade(kind)
    trace = Trace()
    guided = inpaint(image, hole, "planar", seed=0, trace=trace)
    baseline = inpaint(image, hole, "patchmatch", seed=0)
    assert not trace.planar.fallback
    ours, theirs = score(image, guided, hole), score(image, baseline, hole)
    # measured, seed 0: bricks 24.2 dB / 0.94 against 17.7 dB / 0.78; checker 22.2 / 0.91 against
    # 14.4 / 0.64 (seeds 0-2: margins of 2.8-6.5 dB and 5.0-7.8 dB). With the plane's homography
    # replaced by the identity (the guidance costs alone) it reaches 19.1 / 0.82 and 18.1 / 0.81.
    assert ours["psnr_hole"] > theirs["psnr_hole"] + margin_db, (ours, theirs)
    assert ours["ssim_hole"] > theirs["ssim_hole"] + margin_ssim, (ours, theirs)


def _no_lines() -> np.ndarray:
    rng = np.random.default_rng(0)
    blob = cv2.GaussianBlur(rng.random((96, 96, 3)).astype(np.float32), (0, 0), 3.0)
    return np.round(255 * (blob - blob.min()) / (blob.max() - blob.min())).astype(np.uint8)


@pytest.mark.parametrize("name", ["smooth noise", "gravel"])
def test_planar_without_lines_is_the_translational_completion(name):
    from gallery.specs import square_resize

    image = _no_lines() if name == "smooth noise" else square_resize(skimage.data.gravel(), 96)
    hole = generate_mask("object", (96, 96), seed=3)
    trace = Trace()
    out = inpaint(image, hole, "planar", seed=5, trace=trace)
    assert trace.planar.fallback and len(trace.planar.planes) == 0
    assert np.array_equal(out, inpaint(image, hole, "patchmatch", seed=5))


# -- teaching views -------------------------------------------------------------------------

def test_planar_views_show_segments_and_plane_maps():
    image, hole, _ = _facade("bricks")
    views = planar_views(image, hole, seed=0)
    trace = Trace()
    result = inpaint(image, hole, "planar", seed=0, trace=trace)
    assert len(views) == 1 + len(trace.planar.probability) + 1
    for caption, frame in views:
        assert caption and frame.shape == image.shape and frame.dtype == np.uint8
    # the segments are drawn in their vanishing points' colours, the hole in magenta
    first = views[0][1]
    assert np.all(first[hole] == (255, 0, 255))
    assert (np.all(first == (255, 60, 60), axis=2).sum() > 50) and (np.all(first == (60, 220, 60), axis=2).sum() > 50)
    assert np.array_equal(views[-1][1], result)


def test_melding_views_show_rotation_and_scale():
    image, hole = _rotated_exemplars()
    views = melding_views(image, hole, seed=0)
    trace = Trace()
    result = inpaint(image, hole, "melding", seed=0, trace=trace)
    assert len(views) == len(trace.melding_levels) + 2
    for caption, frame in views:
        assert caption and frame.shape == image.shape and frame.dtype == np.uint8
    import re

    median = float(re.search(r"median \|angle\| (\d+) deg", views[len(trace.melding_levels) - 1][0]).group(1))
    assert abs(median - 40) <= 5
    assert np.array_equal(views[-1][1], result)
