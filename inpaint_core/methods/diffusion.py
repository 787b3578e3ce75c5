"""Diffusion methods: PDE fills that continue the image smoothly into the hole.

OpenCV's fast-marching (Telea 2004) and Navier-Stokes (Bertalmio et al. 2001) methods,
and the harmonic (Laplace) and biharmonic fills solved exactly as sparse linear systems.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..base import Citation, InpaintMethod, MethodCard, Param
from ..fast_marching import telea_fill
from ..poisson import solve_biharmonic, solve_guided

_RADIUS = Param("radius", 3, "Neighbourhood radius (px) used to estimate each filled pixel.", 1, 30, 1)


def _opencv_inpaint(image: np.ndarray, mask: np.ndarray, radius: int, flag: int) -> np.ndarray:
    scaled = image * np.float32(255.0)
    as_bytes = np.rint(scaled)
    if np.array_equal(as_bytes, scaled):  # an 8-bit image: one 3-channel call, OpenCV's fast path
        return cv2.inpaint(as_bytes.astype(np.uint8), mask.astype(np.uint8), radius, flag).astype(np.float32) / 255.0
    # deeper inputs (16-bit, float): channel by channel; the fill order depends only on the mask,
    # so this is the same algorithm
    return telea_fill(image, mask, radius, flag=flag)


class Telea(InpaintMethod):
    """Fast-marching inpainting, Telea 2004, as implemented in OpenCV (``cv2.INPAINT_TELEA``)."""

    name = "telea"
    title = "Telea (fast marching)"
    family = "diffusion"
    speed = "fast"
    citation = Citation(
        "A. Telea", "An Image Inpainting Technique Based on the Fast Marching Method",
        "Journal of Graphics Tools 9(1)", 2004, "https://doi.org/10.1080/10867651.2004.10487596",
    )
    params = (_RADIUS,)
    context_margin = 32
    card = MethodCard(
        idea="Fills the hole from its boundary inward in fast-marching order. Each new pixel is a weighted "
        "average of known pixels within a small radius, weighted by distance, level-line direction and "
        "distance to the boundary.",
        formula=r"I(p) = \frac{\sum_{q \in B_\varepsilon(p)} w(p,q)\,[I(q) + \nabla I(q)\,(p - q)]}{\sum_q w(p,q)}",
        fails_when="Large holes and texture: the fill is smooth and blurry, and long structures are not continued straight.",
    )

    def fill(self, image, mask, params, ctx):
        return _opencv_inpaint(image, mask, params["radius"], cv2.INPAINT_TELEA)


class NavierStokes(InpaintMethod):
    """Navier-Stokes inpainting, Bertalmio, Bertozzi and Sapiro 2001 (``cv2.INPAINT_NS``)."""

    name = "navier_stokes"
    title = "Navier-Stokes"
    family = "diffusion"
    speed = "fast"
    citation = Citation(
        "M. Bertalmio, A. L. Bertozzi, G. Sapiro", "Navier-Stokes, Fluid Dynamics, and Image and Video Inpainting",
        "CVPR", 2001, "https://doi.org/10.1109/CVPR.2001.990497",
    )
    params = (_RADIUS,)
    context_margin = 32
    card = MethodCard(
        idea="Treats image intensity as a stream function of an incompressible fluid: isophotes (lines of equal "
        "brightness) arriving at the hole are transported inward while the smoothness diffuses.",
        formula=r"\partial_t \omega + v \cdot \nabla \omega = \nu \Delta \omega,\quad \omega = \Delta I,\ v = \nabla^\perp I",
        fails_when="Large holes and texture; colours can bleed along edges that meet the hole at a shallow angle.",
    )

    def fill(self, image, mask, params, ctx):
        return _opencv_inpaint(image, mask, params["radius"], cv2.INPAINT_NS)


class Harmonic(InpaintMethod):
    """Harmonic fill: the solution of Laplace's equation with the hole's boundary as data."""

    name = "harmonic"
    title = "Harmonic diffusion"
    family = "diffusion"
    speed = "fast"
    citation = Citation(
        "T. F. Chan, J. Shen", "Mathematical Models for Local Nontexture Inpaintings",
        "SIAM J. Appl. Math. 62(3)", 2002, "https://doi.org/10.1137/S0036139900368844",
    )
    context_margin = 1
    card = MethodCard(
        idea="The smoothest fill in the sense of the Dirichlet energy: every hole pixel is the mean of its four "
        "neighbours. It is the steady state of heat diffusion from the hole's boundary.",
        formula=r"\Delta u = 0 \text{ in } U,\qquad u = f \text{ on } \partial U",
        fails_when="Anything but small holes: edges crossing the hole are blurred away and texture is lost.",
    )

    def fill(self, image, mask, params, ctx):
        return solve_guided(image, mask)


class Biharmonic(InpaintMethod):
    """Biharmonic fill (fourth-order diffusion), solved as one sparse least-squares system."""

    name = "biharmonic"
    title = "Biharmonic diffusion"
    family = "diffusion"
    speed = "fast"
    citation = Citation(
        "S. B. Damelin, N. S. Hoang", "On Surface Completion and Image Inpainting by Biharmonic Functions: Numerical Aspects",
        "Int. J. Math. Math. Sci.", 2018, "https://doi.org/10.1155/2018/3950312",
    )
    version = "3"  # 3: LU ordering chosen by hole shape (same model, rounding-level differences)
    context_margin = 2
    card = MethodCard(
        idea="Like the harmonic fill but of fourth order: it continues both the values and the slopes across "
        "the hole's boundary, so gradients and ramps run on without a kink.",
        formula=r"\Delta^2 u = 0 \text{ in } U,\qquad u,\ \nabla u \text{ continuous on } \partial U",
        fails_when="Texture and large holes (the fill is smooth); it can overshoot near strong edges.",
    )

    def fill(self, image, mask, params, ctx):
        return solve_biharmonic(image, mask)
