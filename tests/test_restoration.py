"""Restoration methods (issue 14, part): the registry's contract, the mosaic operator against
scikit-image's block reduction, the mosaic detector on generated mosaics and clean photos, and the
de-mosaicing baselines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from skimage.measure import block_reduce
from skimage.metrics import peak_signal_noise_ratio

from inpaint_core.errors import InpaintInputError
from inpaint_core.restoration import RESTORATIONS, all_restorations, get_restoration, restore
from inpaint_core.restoration.deblur import blur, shake_kernel
from inpaint_core.restoration.demosaic import Mosaic, detect_mosaic, mosaic, mosaic_cells
from inpaint_core.restoration.derain import DENSITIES, add_rain, streak_angle

from tests.apps_samples import photo

ROOT = Path(__file__).resolve().parent.parent
CLEAN = ("astronaut", "coffee", "chelsea", "camera", "rocket", "immunohistochemistry", "brick", "coins")


def _region(shape, seed):
    rng = np.random.default_rng(seed)
    h, w = shape
    top, left = int(rng.integers(0, h // 3)), int(rng.integers(0, w // 3))
    region = np.zeros(shape, bool)
    region[top : top + h // 2, left : left + w // 2] = True
    return region


def test_mosaic_is_the_block_means():
    img = photo("astronaut", 256)
    for block in (2, 4, 8, 16):
        out = mosaic(img, block)
        means = block_reduce(img.astype(np.float64), (block, block, 1), np.mean)  # 256 is a multiple: no border cells
        expected = np.clip(np.rint(np.kron(means, np.ones((block, block, 1)))), 0, 255).astype(np.uint8)
        np.testing.assert_array_equal(out, expected)
    region = _region(img.shape[:2], 1)
    out = mosaic(img, 8, region, (3, 5))
    cells = mosaic_cells(img.shape[:2], 8, region, (3, 5))
    assert cells.sum() >= region.sum() and not (region & ~cells).any()
    np.testing.assert_array_equal(out[~cells], img[~cells])
    assert (out[cells] != img[cells]).any()


@pytest.mark.parametrize("block", [2, 3, 4, 8, 16])
@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_detector_finds_region_block_and_offset(name, block):
    img = photo(name, 384)
    rng = np.random.default_rng(block)
    offset = (int(rng.integers(block)), int(rng.integers(block)))
    region = _region(img.shape[:2], block)
    found = detect_mosaic(mosaic(img, block, region, offset))
    truth = mosaic_cells(img.shape[:2], block, region, offset)
    assert found is not None and found.block == block and found.offset == offset
    iou = (found.mask & truth).sum() / (found.mask | truth).sum()
    assert iou >= 0.85, iou  # block 2 is the hardest: smooth areas give equal neighbouring 2x2 means


@pytest.mark.parametrize("name", CLEAN)
def test_detector_finds_nothing_on_clean_photos(name):
    img = getattr(skimage.data, name)()
    assert detect_mosaic(img) is None


def test_the_registry_lists_every_task():
    assert {m.task for m in all_restorations()} == {"demosaic", "deblur", "derain"}
    assert set(RESTORATIONS) == {m.name for m in all_restorations()}


@pytest.mark.parametrize("name", sorted(RESTORATIONS))
def test_every_restoration_keeps_the_contract(name, require_available):
    """Shape and dtype as the input, pixels outside the region bit-exact, deterministic; for every
    registered method and several input kinds."""
    method = require_available(name)
    base = photo("chelsea", 128)
    region = _region(base.shape[:2], 2)
    grid = Mosaic(mosaic_cells(base.shape[:2], 4, region, (1, 2)), 4, (1, 2))
    kinds = {"uint8 RGB": mosaic(base, 4, region, (1, 2)),
             "uint16 RGB": mosaic(base, 4, region, (1, 2)).astype(np.uint16) * 257,
             "float gray": mosaic(base, 4, region, (1, 2)).mean(2) / 255.0,
             "uint8 RGBA": np.dstack([mosaic(base, 4, region, (1, 2)), np.full(base.shape[:2], 200, np.uint8)])}
    extra = {"block": grid, "kernel": shake_kernel(9, seed=0)}
    given = {k: extra[k] for k in method.needs}
    for kind, image in kinds.items():
        out = restore(image, method, region=grid.mask, seed=3, **given)
        assert out.shape == image.shape and out.dtype == image.dtype, (method.name, kind)
        np.testing.assert_array_equal(out[~grid.mask], image[~grid.mask])
        np.testing.assert_array_equal(out, restore(image, method, region=grid.mask, seed=3, **given))
        if image.ndim == 3 and image.shape[2] == 4:
            np.testing.assert_array_equal(out[..., 3], image[..., 3])


def test_upsampling_baselines_beat_the_mosaic():
    clean = photo("astronaut", 256)
    scores = {}
    for block in (4, 8):
        mosaicked = mosaic(clean, block)
        grid = Mosaic(np.ones(clean.shape[:2], bool), block, (0, 0))
        for name in ("mosaic_nearest", "mosaic_bicubic", "mosaic_lanczos"):
            out = restore(mosaicked, name, region=grid.mask, block=grid)
            scores[name, block] = peak_signal_noise_ratio(clean, out)
        # nearest upsampling of the block means is the mosaic itself
        np.testing.assert_array_equal(restore(mosaicked, "mosaic_nearest", region=grid.mask, block=grid), mosaicked)
        assert scores["mosaic_bicubic", block] > scores["mosaic_nearest", block] + 0.5, scores
        assert scores["mosaic_lanczos", block] > scores["mosaic_nearest", block] + 0.5, scores


def test_shake_kernels_are_seeded_normalised_and_varied():
    kernels = [shake_kernel(21, seed=s) for s in range(6)]
    for k in kernels:
        assert k.shape == (21, 21) and k.min() >= 0 and abs(float(k.sum()) - 1) < 1e-5
        assert (k > 0).sum() > 3  # a path, not a point
    np.testing.assert_array_equal(kernels[0], shake_kernel(21, seed=0))
    assert len({k.tobytes() for k in kernels}) == 6


def test_non_blind_deconvolution_undoes_the_blur():
    clean = photo("astronaut", 256)
    gains = {}
    for seed in range(3):
        kernel = shake_kernel(15, seed=seed)
        blurred = blur(clean, kernel)
        base = peak_signal_noise_ratio(clean, blurred)
        for name in ("deblur_wiener", "deblur_richardson_lucy"):
            gains.setdefault(name, []).append(peak_signal_noise_ratio(clean, restore(blurred, name, kernel=kernel)) - base)
    # measured: Wiener +2.0 to +5.4 dB, Richardson-Lucy +6.2 to +7.3 dB on these three kernels
    assert min(gains["deblur_wiener"]) > 1.0 and min(gains["deblur_richardson_lucy"]) > 3.0, gains


def test_unsharp_masking_sharpens():
    def sharpness(img):
        gray = img.astype(np.float64).mean(2)
        return float(np.abs(np.diff(gray, axis=0)).mean() + np.abs(np.diff(gray, axis=1)).mean())

    blurred = blur(photo("chelsea", 256), shake_kernel(9, seed=2))
    assert sharpness(restore(blurred, "deblur_unsharp")) > 1.3 * sharpness(blurred)


def test_rain_is_seeded_and_the_baseline_removes_medium_and_heavy_rain():
    gains = []
    for name in ("astronaut", "coffee", "chelsea"):
        clean = photo(name, 384)
        for i, density in enumerate(("medium", "heavy")):
            rainy, layer, angle = add_rain(clean, density, seed=i + 4)
            np.testing.assert_array_equal(rainy, add_rain(clean, density, seed=i + 4)[0])
            found = streak_angle(layer)  # on the streak layer alone, the direction is exact to a few degrees
            assert abs(found - angle) < 6, (found, angle)
            out = restore(rainy, "derain_guided_median")
            gains.append(peak_signal_noise_ratio(clean, out) - peak_signal_noise_ratio(clean, rainy))
            np.testing.assert_array_equal(restore(rainy, "derain_none"), rainy)
    assert min(gains) > 0.5 and np.mean(gains) > 2.0, gains
    assert list(DENSITIES) == ["light", "medium", "heavy"]
    shares = [float(add_rain(photo("coffee", 256), d, seed=0)[1].astype(bool).mean()) for d in DENSITIES]
    assert shares[0] < shares[1] < shares[2], shares


@pytest.mark.parametrize("call, words", [
    (lambda img: restore(img, "deblur_wiener"), "needs kernel"),
    (lambda img: restore(img, "deblur_wiener", kernel=-np.ones((3, 3))), "non-negative"),
    (lambda img: shake_kernel(4), "odd"),
    (lambda img: add_rain(img, "torrential"), "Unknown rain density"),
    (lambda img: restore(img, "mosaic_bicubic"), "needs block"),
    (lambda img: restore(img, "nope"), "Unknown restoration method"),
    (lambda img: get_restoration("telea", "demosaic"), "Unknown de-mosaicing method"),
    (lambda img: restore(img, "mosaic_bicubic", region=np.ones((3, 3), bool), block=Mosaic(np.ones((3, 3), bool), 2, (0, 0))),
     "must match"),
    (lambda img: mosaic(img, 1), "block size"),
    (lambda img: mosaic(img, 4, offset=(4, 0)), "offset"),
])
def test_bad_input_is_one_sentence(call, words):
    with pytest.raises(InpaintInputError, match=words):
        call(photo("coffee", 64))


def _run(*args):
    return subprocess.run([sys.executable, "-m", "inpaint_core", "apps", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_demosaic_command_detects_and_restores(tmp_path):
    from inpaint_core.imageio import load_image, save_image

    clean = photo("astronaut", 256)
    region = _region(clean.shape[:2], 5)
    save_image(tmp_path / "m.png", mosaic(clean, 8, region, (2, 6)))
    save_image(tmp_path / "clean.png", clean)
    proc = _run("demosaic", "--image", str(tmp_path / "m.png"), "--out", str(tmp_path / "o.png"),
                "--mask-out", str(tmp_path / "r.png"))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["detected"] and summary["block"] == 8 and summary["offset"] == [2, 6]
    restored, used = load_image(tmp_path / "o.png"), load_image(tmp_path / "r.png") > 0
    assert peak_signal_noise_ratio(clean, restored) > peak_signal_noise_ratio(clean, load_image(tmp_path / "m.png"))
    np.testing.assert_array_equal(restored[~used], load_image(tmp_path / "m.png")[~used])
    proc = _run("demosaic", "--image", str(tmp_path / "clean.png"), "--out", str(tmp_path / "x.png"))
    assert proc.returncode == 2 and "No mosaicked region" in proc.stderr and proc.stderr.count("\n") == 1
    proc = _run("list", "--json")
    assert json.loads(proc.stdout)["demosaic"] == [m.name for m in all_restorations("demosaic")]
