"""Full-reference quality metrics: PSNR, SSIM and VIF, over the whole image and over the hole.

SSIM follows Wang, Bovik, Sheikh and Simoncelli, "Image quality assessment: from error
visibility to structural similarity", IEEE TIP 13(4), 2004, https://doi.org/10.1109/TIP.2003.819861:
an 11-tap Gaussian window with sigma 1.5, K1 = 0.01, K2 = 0.03, population (biased)
covariance, computed per RGB channel and averaged. To match it in scikit-image, call
``structural_similarity(..., gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=255, channel_axis=-1)``. The whole-image score averages the SSIM map away from
the 5-pixel border (as scikit-image does); the hole score averages the map over the hole's
own pixels only (a window centred on a hole pixel still sees the known pixels around it, but
known pixels never enter the mean: on a thin scratch a dilated region would be mostly known
pixels, and a flat grey fill would score well).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import cv2
import numba
import numpy as np

SSIM_VARIANT = "wang2004-gauss11-sigma1.5-K0.01/0.03-popcov-rgbmean-hole:pixels"
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


def ssim(reference: np.ndarray, result: np.ndarray, *, data_range: float = 255.0, mask: np.ndarray | None = None) -> float:
    """Mean SSIM (Wang et al. 2004). With ``mask``, the map is averaged over the hole's own
    pixels; without, over the image less a 5-pixel border."""
    smap = ssim_map(reference, result, data_range=data_range)
    if mask is None:
        r = WINDOW_RADIUS
        inner = smap[r:-r, r:-r] if min(smap.shape) > 2 * r else smap
        return float(inner.mean())
    region = np.asarray(mask, dtype=bool)
    if not region.any():
        return float("nan")
    return float(smap[region].mean())


# ----------------------------------------------------------------------------- VIF
VIF_SCALES = 4
VIF_SIGMA_N2 = 2.0  # variance of the visual noise (Sheikh and Bovik's HVS model), on 0-255 values
_VIF_EPS = 1e-10


def _gauss_taps(n: int) -> np.ndarray:
    """The normalised 1-D Gaussian of ``n`` taps and sigma ``n / 5``; its outer product is the
    2-D window of the reference implementation, so filtering is separable."""
    x = np.arange(n, dtype=np.float64) - (n - 1) / 2
    taps = np.exp(-(x * x) / (2.0 * (n / 5.0) ** 2))
    return taps / taps.sum()


def _valid_filter(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Separable correlation of every channel keeping only the fully covered ("valid") part."""
    r = (len(taps) - 1) // 2
    out = cv2.sepFilter2D(x, cv2.CV_64F, taps, taps, borderType=cv2.BORDER_REFLECT)
    out = out[r : x.shape[0] - r, r : x.shape[1] - r]
    return out.reshape(out.shape[:2] + x.shape[2:])


@numba.njit(cache=True)
def _vif_sums(mu_r, mu_d, rr, dd, rd, sigma_n2):  # pragma: no cover - compiled
    """Per channel: sum of log10(1 + g^2 var_r / (sv^2 + sigma_n^2)) and of log10(1 + var_r / sigma_n^2)
    from the local means and second moments, with the reference's guards on flat windows, in one pass."""
    h, w, channels = mu_r.shape
    num, den = np.zeros(channels), np.zeros(channels)
    for c in range(channels):
        for y in range(h):
            for x in range(w):
                mr, md = mu_r[y, x, c], mu_d[y, x, c]
                var_r = max(rr[y, x, c] - mr * mr, 0.0)
                var_d = max(dd[y, x, c] - md * md, 0.0)
                cov = rd[y, x, c] - mr * md
                gain = cov / (var_r + 1e-10)
                noise = var_d - gain * cov
                if var_r < 1e-10:  # a flat reference window: all of the result is noise
                    gain, noise, var_r = 0.0, var_d, 0.0
                if var_d < 1e-10:  # a flat result window: nothing kept, no noise
                    gain, noise = 0.0, 0.0
                if gain < 0:  # anti-correlated: no information kept
                    noise, gain = var_d, 0.0
                noise = max(noise, 1e-10)
                num[c] += math.log10(1.0 + gain * gain * var_r / (noise + sigma_n2))
                den[c] += math.log10(1.0 + var_r / sigma_n2)
    return num, den


def _vif_terms(ref: np.ndarray, dist: np.ndarray, sigma_n2: float) -> tuple[np.ndarray, np.ndarray]:
    """Information kept (numerator) and available (denominator) per channel, summed over scales;
    ``ref`` and ``dist`` are (H, W, C) float64."""
    channels = ref.shape[2]
    num, den = np.zeros(channels), np.zeros(channels)
    for scale in range(1, VIF_SCALES + 1):
        taps = _gauss_taps(2 ** (VIF_SCALES + 1 - scale) + 1)  # 17, 9, 5, 3 taps
        if scale > 1:  # low-pass and subsample by 2 before the next scale
            ref, dist = _valid_filter(ref, taps)[::2, ::2], _valid_filter(dist, taps)[::2, ::2]
        if min(ref.shape[:2]) < len(taps):
            break
        moments = [_valid_filter(x, taps) for x in (ref, dist, ref * ref, dist * dist, ref * dist)]
        n, d = _vif_sums(*(np.ascontiguousarray(m) for m in moments), float(sigma_n2))
        num += n
        den += d
    return num, den


def vif(reference: np.ndarray, result: np.ndarray, *, sigma_n2: float = VIF_SIGMA_N2) -> float:
    """Pixel-domain visual information fidelity, VIFp (Sheikh and Bovik 2006).

    The ratio of the information about the reference that the result keeps to the information
    the reference holds, under a Gaussian scale mixture model of natural images and an additive
    noise model of vision: 1 for identical images, falling towards 0 as detail is lost (above 1
    for contrast enhancement). Four scales, Gaussian windows of ``N = 2^(5-s) + 1`` taps with
    sigma ``N / 5``, "valid" filtering, ``sigma_n^2 = 2``, per RGB channel on 0-255 values, the
    channels' ratios averaged: the settings of the reference ``vifp_mscale`` and of
    ``sewar.full_ref.vifp``, which the tests match to 1e-6.

    References
    ----------
    H. R. Sheikh and A. C. Bovik, "Image information and visual quality", IEEE TIP 15(2),
    430-444, 2006. https://doi.org/10.1109/TIP.2005.859378
    """
    _check_pair(reference, result)
    num, den = _vif_terms(_as_float(reference), _as_float(result), sigma_n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.mean(num / den))


# ----------------------------------------------------------------------------- registry
@dataclasses.dataclass(frozen=True)
class Metric:
    """One full-reference score as every table, caption and chart shows it."""

    name: str  # column name in every table
    label: str
    unit: str
    higher_is_better: bool
    digits: int
    region: str  # "image" (whole image) or "hole" (the hole's pixels)
    compute: Callable[[np.ndarray, np.ndarray, np.ndarray], float]  # (reference, result, hole) on 0-255 RGB
    paper: str = ""

    def format(self, value: float) -> str:
        """``value`` with the metric's digits and unit ("21.43 dB", "0.812")."""
        if value is None or not np.isfinite(value):
            return "inf" if value == float("inf") else "n/a"
        return f"{value:.{self.digits}f}" + (f" {self.unit}" if self.unit else "")


_WANG = "https://doi.org/10.1109/TIP.2003.819861"
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("psnr", "PSNR", "dB", True, 2, "image", lambda r, o, h: psnr(r, o)),
    Metric("ssim", "SSIM", "", True, 3, "image", lambda r, o, h: ssim(r, o), _WANG),
    Metric("vif", "VIF", "", True, 3, "image", lambda r, o, h: vif(r, o), "https://doi.org/10.1109/TIP.2005.859378"),
    Metric("psnr_hole", "Hole PSNR", "dB", True, 2, "hole", lambda r, o, h: psnr(r, o, mask=h)),
    Metric("ssim_hole", "Hole SSIM", "", True, 3, "hole", lambda r, o, h: ssim(r, o, mask=h), _WANG),
)}
"""Every metric, in display order: the engine's table, the CLI's metrics.csv, the gallery's tables,
captions, charts and the leaderboard all read this dict; adding a metric is one entry."""


def score(reference: np.ndarray, result: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    """Every metric of :data:`METRICS` on uint8-scale RGB images (data range 255)."""
    return {name: metric.compute(reference, result, hole) for name, metric in METRICS.items()}
