"""Exemplar, patch-based and low-rank methods: behaviour the papers promise.

Periodic textures are restored nearly exactly by methods that copy known patches (hole
PSNR > 30 dB) but not by diffusion; Criminisi's data term continues an edge first;
PatchMatch recovers a known shift; SVT recovers a low-rank image from 20 % of its pixels;
the teaching views replay the real run.
"""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_core import InpaintInputError, inpaint
from inpaint_core.trace import Trace
from inpaint_core.metrics import psnr
from inpaint_core.methods.patch_based import dominant_offsets
from inpaint_core.patchmatch import nnf_search, valid_source_centres
from inpaint_core.teaching import criminisi_fill_order, patchmatch_nnf_views

SIZE = 64


def _stripes() -> np.ndarray:
    x = np.arange(SIZE)
    row = np.where((x // 4) % 2 == 0, 0.15, 0.85)
    img = np.broadcast_to(row[None, :, None], (SIZE, SIZE, 3)).copy()
    img[..., 1] = np.where((x // 4) % 2 == 0, 0.6, 0.3)[None, :]
    return img.astype(np.float32)


def _checkerboard() -> np.ndarray:
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    board = ((y // 4 + x // 4) % 2).astype(np.float32)
    return np.stack([0.1 + 0.8 * board, 0.5 + 0.3 * board, 0.9 - 0.7 * board], axis=2)


def _tiles() -> np.ndarray:
    tile = np.random.default_rng(5).random((8, 8, 3)).astype(np.float32)
    return np.tile(tile, (SIZE // 8, SIZE // 8, 1))


def _centre_hole(side: int = 28) -> np.ndarray:  # 28^2 / 64^2 = 19 % of the image
    mask = np.zeros((SIZE, SIZE), bool)
    top = (SIZE - side) // 2 + 1  # off the texture's period, so the hole's edge does not line up with it
    mask[top : top + side, top : top + side] = True
    return mask


TEXTURES = {"stripes": _stripes, "checkerboard": _checkerboard, "tiles": _tiles}


@pytest.mark.parametrize("texture", sorted(TEXTURES))
@pytest.mark.parametrize("method", ["criminisi", "patchmatch", "patch_offsets", "efros_leung"])
def test_exemplar_methods_restore_periodic_texture(method, texture):
    image, hole = TEXTURES[texture](), _centre_hole()
    assert 0.15 <= hole.mean() <= 0.25
    result = inpaint(image, hole, method, seed=0)
    assert psnr(image, result, data_range=1.0, mask=hole) > 30.0


@pytest.mark.parametrize("texture", sorted(TEXTURES))
def test_diffusion_cannot_restore_periodic_texture(texture):
    image, hole = TEXTURES[texture](), _centre_hole()
    result = inpaint(image, hole, "harmonic")
    assert psnr(image, result, data_range=1.0, mask=hole) < 30.0


def test_criminisi_fills_along_a_straight_edge_first():
    image = np.full((SIZE, SIZE, 3), 0.2, np.float32)
    image[SIZE // 2 :] = 0.8  # a horizontal edge between rows 31 and 32
    hole = np.zeros((SIZE, SIZE), bool)
    hole[20:44, 20:44] = True
    trace = Trace()
    result = inpaint(image, hole, "criminisi", {"patch_size": 9}, trace=trace)
    steps = trace.fill_order.steps
    # the first patches are where the edge enters the hole, from its left or right side
    for ty, tx, _, _ in steps[:4]:
        assert abs(ty - 31.5) <= 4.5, steps[:4]
        assert tx in (20, 43) or abs(ty - 31.5) <= 1.5
    # and the edge is continued straight through the hole
    assert psnr(image, result, data_range=1.0, mask=hole) > 40.0


def test_patchmatch_finds_a_global_shift():
    rng = np.random.default_rng(1)
    import cv2

    image = cv2.GaussianBlur(rng.random((96, 96, 3)).astype(np.float32), (0, 0), 1.0)
    dy, dx = 5, -9
    shifted = np.roll(image, (dy, dx), axis=(0, 1))
    nnf, _ = nnf_search(image, shifted, patch_size=7, iterations=5, seed=3)
    yy, xx = np.mgrid[0:96, 0:96]
    found = (nnf[..., 0] == yy + dy) & (nnf[..., 1] == xx + dx)
    inner = np.zeros((96, 96), bool)
    # centres whose match (y + 5, x - 9) has its whole patch inside the image and clear of np.roll's wrap-around
    inner[3 : 96 - 3 - dy, 3 - dx : 96 - 3] = True
    assert found[inner].mean() > 0.98


def test_patchmatch_respects_masks_and_min_offset():
    rng = np.random.default_rng(2)
    image = rng.random((40, 50, 3)).astype(np.float32)
    hole = np.zeros((40, 50), bool)
    hole[10:25, 15:30] = True
    valid = valid_source_centres(~hole, 5)
    nnf, dist = nnf_search(image, None, patch_size=5, target_mask=hole, source_valid=valid, min_offset=6, seed=0)
    ys, xs = np.nonzero(hole)
    assert valid[nnf[ys, xs, 0], nnf[ys, xs, 1]].all()
    assert (np.maximum(abs(nnf[ys, xs, 0] - ys), abs(nnf[ys, xs, 1] - xs)) >= 6).all()
    assert (nnf[~hole] == -1).all() and np.isinf(dist[~hole]).all()


def test_dominant_offsets_find_the_period():
    image, hole = _tiles(), _centre_hole()
    offsets = dominant_offsets(image, hole, patch_size=7, count=5)
    assert ((offsets[0] % 8) == 0).all() and np.abs(offsets[0]).max() > 0


def test_svt_restores_low_rank_image_from_20_percent_of_pixels():
    rng = np.random.default_rng(0)
    u, v = rng.random((64, 3)), rng.random((3, 96))
    image = np.stack([u @ v * (0.4 + 0.2 * k) for k in range(3)], axis=2)
    image = (image / image.max()).astype(np.float32)
    hole = rng.random((64, 96)) < 0.8
    result = inpaint(image, hole, "svt", seed=0)
    assert psnr(image, result, data_range=1.0, mask=hole) > 30.0
    assert psnr(image, inpaint(image, hole, "harmonic"), data_range=1.0, mask=hole) < psnr(image, result, data_range=1.0, mask=hole)


def test_efros_leung_refuses_large_areas_with_a_clear_message():
    image = np.zeros((400, 400, 3), np.uint8)
    hole = np.zeros((400, 400), bool)
    hole[50:350, 50:350] = True
    with pytest.raises(InpaintInputError, match="at most"):
        inpaint(image, hole, "efros_leung")


def _photo_like() -> np.ndarray:
    import cv2

    rng = np.random.default_rng(4)
    img = cv2.GaussianBlur(rng.random((48, 72, 3)).astype(np.float32), (0, 0), 2.0)
    img[:, 30:34] = [0.9, 0.2, 0.1]  # a vertical bar crossing the hole
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def test_criminisi_fill_order_frames_replay_the_real_run():
    image = _photo_like()
    hole = np.zeros(image.shape[:2], bool)
    hole[15:33, 20:45] = True
    frames = criminisi_fill_order(image, hole, frames=6, seed=0)
    assert 2 <= len(frames) <= 6
    for caption, frame in frames:
        assert isinstance(caption, str) and caption
        assert frame.shape == image.shape and frame.dtype == np.uint8
    # frames advance: fewer unfilled (magenta) pixels each time, none at the end
    magenta = [int(np.all(f == (255, 0, 255), axis=2).sum()) for _, f in frames]
    assert magenta[0] > 0 and magenta[-1] == 0 and all(a >= b for a, b in zip(magenta, magenta[1:]))
    assert np.array_equal(frames[-1][1], inpaint(image, hole, "criminisi", seed=0))


def test_patchmatch_nnf_views_one_per_level():
    image = _photo_like()
    hole = np.zeros(image.shape[:2], bool)
    hole[15:33, 20:45] = True
    trace = Trace()
    inpaint(image, hole, "patchmatch", seed=0, trace=trace)
    views = patchmatch_nnf_views(image, hole, seed=0)
    assert len(views) == len(trace.nnf_levels) + 1
    for caption, frame in views:
        assert caption and frame.shape == image.shape and frame.dtype == np.uint8
    # the field's colours cover the hole; outside the patches touching it the image is grey
    finest = views[-2][1]
    assert (finest[hole].std(axis=1) > 0).mean() > 0.5
    far = np.ones_like(hole)
    far[8:40, 13:52] = False
    assert (finest[far].std(axis=1) == 0).all()
