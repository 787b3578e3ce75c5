"""PSNR and SSIM against scikit-image (identical settings) and by property."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from inpaint_core.masks import generate_mask
from inpaint_core.metrics import WINDOW_RADIUS, dilate_hole, psnr, ssim, ssim_map


@pytest.fixture(scope="module")
def pair():
    ref = data.astronaut()[::2, ::2].astype(np.float64)
    rng = np.random.default_rng(0)
    noisy = np.clip(ref + rng.normal(0, 12, ref.shape), 0, 255)
    return ref, noisy


def _skimage_ssim(ref, test, full=False):
    return structural_similarity(
        ref, test, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        data_range=255, channel_axis=-1, full=full,
    )


def test_psnr_matches_skimage(pair):
    ref, noisy = pair
    assert psnr(ref, noisy) == pytest.approx(peak_signal_noise_ratio(ref, noisy, data_range=255), abs=1e-10)


def test_ssim_matches_skimage_whole_image(pair):
    ref, noisy = pair
    assert ssim(ref, noisy) == pytest.approx(_skimage_ssim(ref, noisy), abs=1e-4)


def test_ssim_hole_matches_skimage_map_over_dilated_hole(pair):
    ref, noisy = pair
    hole = generate_mask("shapes", ref.shape[:2], seed=3)
    _, smap = _skimage_ssim(ref, noisy, full=True)
    region = dilate_hole(hole)
    expected = smap.mean(axis=2)[region].mean()
    assert ssim(ref, noisy, mask=hole) == pytest.approx(expected, abs=1e-4)
    assert region.sum() > hole.sum()  # the window radius really widens the region
    assert WINDOW_RADIUS == 5  # 11-tap window


def test_psnr_hole_is_mse_over_hole_only(pair):
    ref, noisy = pair
    hole = generate_mask("centre", ref.shape[:2])
    expected = 10 * np.log10(255**2 / np.mean((ref[hole] - noisy[hole]) ** 2))
    assert psnr(ref, noisy, mask=hole) == pytest.approx(expected)
    patched = ref.copy()
    patched[hole] = noisy[hole]
    assert psnr(ref, patched) > psnr(ref, patched, mask=hole)  # zero error outside raises the whole score


def test_identity(pair):
    ref, _ = pair
    assert psnr(ref, ref) == float("inf")
    assert ssim(ref, ref) == pytest.approx(1.0)


def test_symmetry(pair):
    ref, noisy = pair
    assert ssim(ref, noisy) == pytest.approx(ssim(noisy, ref), abs=1e-12)
    assert psnr(ref, noisy) == pytest.approx(psnr(noisy, ref))


def test_bounds_and_monotone_in_noise():
    ref = data.camera()[::2, ::2].astype(np.float64)
    rng = np.random.default_rng(1)
    scores = []
    for sigma in (2, 8, 20, 50):
        noisy = np.clip(ref + rng.normal(0, sigma, ref.shape), 0, 255)
        scores.append((psnr(ref, noisy), ssim(ref, noisy)))
        smap = ssim_map(ref, noisy)
        assert smap.max() <= 1.0 + 1e-9 and smap.min() >= -1.0 - 1e-9
    psnrs, ssims = zip(*scores)
    assert list(psnrs) == sorted(psnrs, reverse=True)
    assert list(ssims) == sorted(ssims, reverse=True)


def test_shape_mismatch_is_clear():
    with pytest.raises(ValueError, match="same shape"):
        psnr(np.zeros((8, 8)), np.zeros((8, 9)))
