"""De-blurring: random camera-shake kernels (Boracchi and Foi 2012), and the classical restorers.

Kernels follow Boracchi and Foi, "Modeling the Performance of Image Restoration From Motion Blur",
IEEE TIP 21(8) 2012 (https://doi.org/10.1109/TIP.2012.2192126), the generator DeblurGAN trained
on: a camera trajectory as a random walk with inertia (each step's velocity is the last one plus
a Gaussian perturbation, a pull back towards the start and, now and then, an impulsive shake),
sampled over the exposure and rasterised sub-pixel (bilinear) into a normalised kernel.

Baselines: Wiener deconvolution (Wiener-Hunt, as scikit-image implements it after Orieux et al. 2010)
and Richardson-Lucy (Richardson 1972; Lucy 1974) from scikit-image, both non-blind (they read the true
kernel: examples only), and unsharp masking (scikit-image's), blind.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..base import Citation, MethodCard, Param
from ..errors import InpaintInputError
from .base import RestorationMethod

KERNEL_SIZES = (9, 31)  # px: the kernels drawn for examples and training


def shake_kernel(size: int = 21, *, seed: int = 0, exposure: float = 1.0, steps: int = 2000) -> np.ndarray:
    """A ``size`` x ``size`` motion-blur kernel (float32, sums to 1) from a random camera trajectory
    (Boracchi and Foi 2012); ``exposure`` in (0, 1] is the share of the trajectory integrated."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 3 <= size <= 101 or size % 2 == 0:
        raise InpaintInputError(f"The kernel size must be an odd whole number from 3 to 101 px, not {size!r}.")
    rng = np.random.default_rng(seed)
    max_len = 0.75 * size
    anxiety = rng.uniform(0, 0.005) * 2  # strength of the perturbations
    centripetal = 0.7 * rng.uniform()
    gaussian = 10 * rng.uniform()
    shake_p = 0.2 * rng.uniform() / steps * 100
    v = complex(*rng.uniform(-1, 1, 2))
    v = v / max(abs(v), 1e-9) * max_len / steps
    x = np.zeros(steps, complex)
    for t in range(1, steps):
        if rng.uniform() < shake_p:  # an impulsive shake: a sudden turn
            v = v * complex(np.cos(rng.uniform(-np.pi, np.pi)), np.sin(rng.uniform(-np.pi, np.pi)))
        dv = anxiety * (gaussian * complex(*rng.normal(size=2)) - centripetal * x[t - 1]) * max_len / steps
        v = v + dv
        v = v / max(abs(v), 1e-9) * max_len / steps
        x[t] = x[t - 1] + v
    x = x[: max(2, int(round(exposure * steps)))]
    x = x - (x.real.min() + x.real.max()) / 2 - 1j * (x.imag.min() + x.imag.max()) / 2  # centred
    kernel = np.zeros((size, size), np.float64)
    c = size // 2
    for p in x:
        px, py = p.real + c, p.imag + c
        x0, y0 = int(np.floor(px)), int(np.floor(py))
        fx, fy = px - x0, py - y0
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                if 0 <= y0 + dy < size and 0 <= x0 + dx < size:
                    kernel[y0 + dy, x0 + dx] += wy * wx
    return (kernel / kernel.sum()).astype(np.float32)


def blur(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``image`` convolved with ``kernel`` (reflected borders), in the image's dtype."""
    img = np.asarray(image)
    out = cv2.filter2D(img.astype(np.float32), -1, np.asarray(kernel, np.float32)[::-1, ::-1],
                       borderType=cv2.BORDER_REFLECT)
    if img.dtype.kind == "f":
        return out.astype(img.dtype)
    return np.clip(np.rint(out), 0, np.iinfo(img.dtype).max).astype(img.dtype)


def check_kernel(kernel) -> np.ndarray:
    k = np.asarray(kernel, np.float64)
    if k.ndim == 3:
        k = k.mean(axis=2)
    if k.ndim != 2 or min(k.shape) < 1 or max(k.shape) > 101 or not np.isfinite(k).all() or (k < 0).any() or k.sum() <= 0:
        raise InpaintInputError("The blur kernel must be a non-negative 2-D array of at most 101x101 px with a "
                                "positive sum.")
    return (k / k.sum()).astype(np.float64)


def _per_channel(image: np.ndarray, kernel: np.ndarray, fn) -> np.ndarray:
    """``fn(channel, kernel)`` on each channel of the image padded by the kernel's size (reflected,
    so that the deconvolution's circular boundary does not ring at the image's edges), cropped back."""
    pad = max(kernel.shape)
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    if padded.ndim == 2:
        padded = padded[..., None]
    out = np.stack([fn(padded[..., c].astype(np.float64), kernel) for c in range(padded.shape[2])], axis=2)
    return np.clip(out[pad:-pad, pad:-pad], 0, 1).astype(np.float32).reshape(image.shape)


class Wiener(RestorationMethod):
    name = "deblur_wiener"
    title = "Wiener deconvolution (true kernel)"
    task = "deblur"
    needs = ("kernel",)
    citation = Citation("F. Orieux, J.-F. Giovannelli, T. Rodet", "Bayesian estimation of regularization and point "
                        "spread function parameters for Wiener-Hunt deconvolution (as scikit-image implements it)",
                        "Journal of the Optical Society of America A 27(7)", 2010, "https://doi.org/10.1364/JOSAA.27.001593")
    params = (Param("balance", 0.01, "Regularisation (noise-to-signal ratio): larger is smoother.", 1e-4, 1.0),)
    card = MethodCard(idea="Divides the blurred image's spectrum by the kernel's, damped where the kernel passes "
                      "little (where noise would explode). Non-blind: it needs the true kernel, so it runs on "
                      "examples only (scikit-image's `restoration.wiener`).",
                      formula=r"\hat X = \frac{H^*}{|H|^2 + \lambda} Y",
                      fails_when="A wrong kernel, noise, saturated highlights; ringing near strong edges.")

    def run(self, image, params, ctx, *, kernel, **extra):
        from skimage.restoration import wiener

        return _per_channel(image, check_kernel(kernel), lambda c, k: wiener(c, k, params["balance"]))


class RichardsonLucy(RestorationMethod):
    name = "deblur_richardson_lucy"
    title = "Richardson-Lucy deconvolution (true kernel)"
    task = "deblur"
    needs = ("kernel",)
    speed = "medium"
    citation = Citation("W. H. Richardson", "Bayesian-Based Iterative Method of Image Restoration",
                        "Journal of the Optical Society of America 62(1)", 1972, "https://doi.org/10.1364/JOSA.62.000055")
    params = (Param("iterations", 30, "Multiplicative updates (more: sharper, noisier).", 1, 500, 1),)
    card = MethodCard(idea="The maximum-likelihood image under Poisson noise, by multiplicative updates that "
                      "re-blur the estimate, compare with the observation and correct. Non-blind: it needs the "
                      "true kernel (scikit-image's `restoration.richardson_lucy`).",
                      formula=r"x_{k+1} = x_k \cdot \Big(h^\star * \frac{y}{h * x_k}\Big)",
                      fails_when="A wrong kernel; too many iterations amplify noise into speckles.")

    def run(self, image, params, ctx, *, kernel, **extra):
        from skimage.restoration import richardson_lucy

        def one(channel, k):
            ctx.progress(0.5, "Richardson-Lucy")
            return richardson_lucy(np.clip(channel, 1e-6, 1), k, num_iter=params["iterations"], clip=True)

        return _per_channel(image, check_kernel(kernel), one)


class UnsharpMasking(RestorationMethod):
    name = "deblur_unsharp"
    title = "Unsharp masking (blind)"
    task = "deblur"
    citation = Citation("scikit-image", "skimage.filters.unsharp_mask (the darkroom technique, after J. A. C. Yule 1944)",
                        "scikit-image documentation", 2024,
                        "https://scikit-image.org/docs/stable/api/skimage.filters.html#skimage.filters.unsharp_mask")
    params = (Param("radius", 2.0, "Gaussian sigma of the blur that is subtracted (px).", 0.5, 20.0),
              Param("amount", 1.0, "How much of the detail layer is added back.", 0.0, 5.0))
    card = MethodCard(idea="Adds back the difference between the image and a blurred copy of it: edges get "
                      "contrast, nothing is deconvolved. Blind: it needs no kernel.",
                      formula=r"\hat x = y + a\,(y - G_\sigma * y)",
                      fails_when="Real motion blur (the streaks stay, with halos), noise (amplified).")

    def run(self, image, params, ctx, **extra):
        from skimage.filters import unsharp_mask

        # channel_axis=2, not -1: scikit-image 0.26 mishandles the negative axis here (means fall to a tenth)
        return unsharp_mask(image, radius=params["radius"], amount=params["amount"], channel_axis=2).astype(np.float32)
