"""Full-reference quality metrics: PSNR and SSIM, over the whole image and over the hole.

SSIM follows Wang, Bovik, Sheikh and Simoncelli, "Image quality assessment: from error
visibility to structural similarity", IEEE TIP 13(4), 2004, https://doi.org/10.1109/TIP.2003.819861:
an 11-tap Gaussian window with sigma 1.5, K1 = 0.01, K2 = 0.03, population (biased)
covariance, computed per RGB channel and averaged. To match it in scikit-image, call
``structural_similarity(..., gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=255, channel_axis=-1)``. The whole-image score averages the SSIM map away from
the 5-pixel border (as scikit-image does); the hole score averages the map over the hole
dilated by the window radius (5 px), so that windows straddling the hole's edge count.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

SSIM_VARIANT = "wang2004-gauss11-sigma1.5-K0.01/0.03-popcov-rgbmean"
WINDOW_RADIUS = 5
_SIGMA = 1.5
_K1, _K2 = 0.01, 0.03


def _as_float(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image, dtype=np.float64)
    return arr[..., None] if arr.ndim == 2 else arr


def _check_pair(reference: np.ndarray, result: np.ndarray) -> None:
    if reference.shape != result.shape:
        raise ValueError(f"Input images must have the same shape; got {reference.shape} and {result.shape}.")


def psnr(reference: np.ndarray, result: np.ndarray, *, data_range: float = 255.0, mask: np.ndarray | None = None) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(data_range^2 / MSE)``.

    ``mask`` (H, W) restricts the MSE to its True pixels (all channels). Identical
    inputs give ``inf``.
    """
    _check_pair(reference, result)
    diff = _as_float(reference) - _as_float(result)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return float("nan")
        diff = diff[mask]
    mse = float(np.mean(diff**2))
    if mse == 0.0:
        return float("inf")
    return 10.0 * math.log10(data_range**2 / mse)


def _gauss(x: np.ndarray) -> np.ndarray:
    # cv2 BORDER_REFLECT ("dcba|abcd") equals scipy.ndimage's mode="reflect" used by scikit-image
    return cv2.GaussianBlur(x, (2 * WINDOW_RADIUS + 1, 2 * WINDOW_RADIUS + 1), _SIGMA, borderType=cv2.BORDER_REFLECT)


def ssim_map(reference: np.ndarray, result: np.ndarray, *, data_range: float = 255.0) -> np.ndarray:
    """Per-pixel SSIM (H, W), averaged over channels, Wang et al. 2004 settings."""
    _check_pair(reference, result)
    x, y = _as_float(reference), _as_float(result)
    c1, c2 = (_K1 * data_range) ** 2, (_K2 * data_range) ** 2
    maps = []
    for ch in range(x.shape[2]):
        a, b = np.ascontiguousarray(x[..., ch]), np.ascontiguousarray(y[..., ch])
        mu_a, mu_b = _gauss(a), _gauss(b)
        var_a = _gauss(a * a) - mu_a * mu_a
        var_b = _gauss(b * b) - mu_b * mu_b
        cov = _gauss(a * b) - mu_a * mu_b
        num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
        den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
        maps.append(num / den)
    return np.mean(maps, axis=0)


def dilate_hole(mask: np.ndarray, radius: int = WINDOW_RADIUS) -> np.ndarray:
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    return cv2.dilate(np.asarray(mask, dtype=np.uint8), kernel).astype(bool)


def ssim(reference: np.ndarray, result: np.ndarray, *, data_range: float = 255.0, mask: np.ndarray | None = None) -> float:
    """Mean SSIM (Wang et al. 2004). With ``mask``, the map is averaged over the hole
    dilated by the window radius; without, over the image less a 5-pixel border."""
    smap = ssim_map(reference, result, data_range=data_range)
    if mask is None:
        r = WINDOW_RADIUS
        inner = smap[r:-r, r:-r] if min(smap.shape) > 2 * r else smap
        return float(inner.mean())
    region = dilate_hole(mask)
    if not region.any():
        return float("nan")
    return float(smap[region].mean())


def score(reference: np.ndarray, result: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    """All four numbers the app reports, on uint8-scale RGB images (data range 255)."""
    return {
        "psnr": psnr(reference, result),
        "ssim": ssim(reference, result),
        "psnr_hole": psnr(reference, result, mask=hole),
        "ssim_hole": ssim(reference, result, mask=hole),
    }
