"""PSNR and SSIM against scikit-image (identical settings) and by property."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from inpaint_core.masks import generate_mask
from inpaint_core.metrics import METRICS, SSIM_VARIANT, WINDOW_RADIUS, psnr, score, ssim, ssim_map, vif


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


def test_ssim_hole_matches_skimage_map_over_the_hole_pixels_only(pair):
    ref, noisy = pair
    hole = generate_mask("shapes", ref.shape[:2], seed=3)
    _, smap = _skimage_ssim(ref, noisy, full=True)
    expected = smap.mean(axis=2)[hole].mean()
    assert ssim(ref, noisy, mask=hole) == pytest.approx(expected, abs=1e-4)
    assert WINDOW_RADIUS == 5  # 11-tap window
    assert SSIM_VARIANT.endswith("hole:pixels")  # the variant names the hole region


def test_flat_fill_scores_low_on_a_thin_hole():
    """On a thin scratch a region dilated by the window radius is mostly known pixels, where
    SSIM is near 1 whatever the fill: the hole score must count the hole's own pixels only."""
    ref = data.camera()[::2, ::2].astype(np.float64)
    hole = generate_mask("scratches", ref.shape, seed=0)
    flat = ref.copy()
    flat[hole] = 128.0
    _, smap = structural_similarity(ref, flat, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                    data_range=255, full=True)
    assert ssim(ref, flat, mask=hole) == pytest.approx(smap[hole].mean(), abs=1e-4)
    assert ssim(ref, flat, mask=hole) < 0.5
    assert psnr(ref, flat, mask=hole) < 15


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


def _vif_pairs():
    rng = np.random.default_rng(1)
    astro = data.astronaut()[::2, ::2].astype(np.float64)
    coffee = data.coffee()[:200, :300].astype(np.float64)
    camera = np.repeat(data.camera()[::4, ::4, None], 3, axis=2).astype(np.float64)
    blurred = cv2_blur(astro)
    flat = astro.copy()
    flat[60:140, 60:140] = 128.0  # a flat grey hole
    return [
        (astro, np.clip(astro + rng.normal(0, 8, astro.shape), 0, 255)),
        (coffee, np.clip(coffee * 0.7 + 30, 0, 255)),  # contrast loss
        (camera, np.clip(camera * 1.3 - 20, 0, 255)),  # contrast gain (VIF above 1)
        (astro, blurred),
        (astro, flat),
    ]


def cv2_blur(image):
    import cv2

    return cv2.GaussianBlur(image, (0, 0), 2.0)


@pytest.mark.parametrize("index", range(5))
def test_vif_matches_sewar(index):
    from sewar.full_ref import vifp

    ref, test = _vif_pairs()[index]
    assert vif(ref, test) == pytest.approx(vifp(ref, test), abs=1e-6)


def test_vif_is_one_for_identical_images_and_falls_with_noise():
    ref = data.astronaut()[::2, ::2].astype(np.float64)
    assert vif(ref, ref) == pytest.approx(1.0, abs=1e-9)
    rng = np.random.default_rng(2)
    scores = [vif(ref, np.clip(ref + rng.normal(0, s, ref.shape), 0, 255)) for s in (2, 8, 25, 60)]
    assert all(a > b for a, b in zip(scores, scores[1:])), scores
    assert scores[-1] < 0.2


def test_every_registered_metric_is_in_score_and_declared():
    ref = data.astronaut()[::4, ::4].astype(np.float64)
    hole = generate_mask("centre", ref.shape[:2])
    out = ref.copy()
    out[hole] = 100.0
    scores = score(ref, out, hole)
    assert list(scores) == list(METRICS) and {"psnr", "ssim", "vif", "psnr_hole", "ssim_hole"} <= set(METRICS)
    for name, metric in METRICS.items():
        assert metric.region in {"image", "hole"} and metric.label and metric.digits >= 0
        assert np.isfinite(scores[name])
    assert scores["vif"] == pytest.approx(vif(ref, out))


def test_cli_metrics_csv_has_a_vif_column_that_matches_sewar(tmp_path):
    """python -m inpaint_core compare writes vif beside psnr and ssim; it agrees with sewar on the
    written output."""
    import csv

    import cv2
    from sewar.full_ref import vifp

    from inpaint_core.cli import main

    image = data.coffee()[::4, ::4]
    cv2.imwrite(str(tmp_path / "image.png"), image[..., ::-1])
    cv2.imwrite(str(tmp_path / "mask.png"), generate_mask("medium", image.shape[:2], seed=2).astype(np.uint8) * 255)
    assert main(["compare", "--image", str(tmp_path / "image.png"), "--mask", str(tmp_path / "mask.png"),
                 "--out", str(tmp_path / "out"), "--methods", "telea,harmonic"]) == 0
    rows = list(csv.DictReader(open(tmp_path / "out" / "metrics.csv")))
    assert [r["method"] for r in rows] == ["telea", "harmonic"] and "vif" in rows[0]
    for row in rows:
        out = cv2.imread(str(tmp_path / "out" / f"{row['method']}.png"))[..., ::-1]
        assert float(row["vif"]) == pytest.approx(vifp(image.astype(np.float64), out.astype(np.float64)), abs=1e-6)
    assert main(["metrics"]) == 0
