"""What the maths promises for the diffusion and variational fills, and Poisson blending."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.restoration import inpaint_biharmonic

from inpaint_core import inpaint
from inpaint_core.masks import generate_mask, hole_percent
from inpaint_core.metrics import psnr
from inpaint_core.poisson import poisson_blend


@pytest.fixture(scope="module")
def ramp():
    """A smooth colour ramp (each channel linear in x and y) and a 20 % central hole."""
    y, x = np.mgrid[0:96, 0:128].astype(np.float64)
    image = np.stack([40 + 1.2 * x + 0.3 * y, 200 - 0.8 * y, 60 + 0.5 * x + 0.6 * y], axis=2)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    mask = np.zeros(image.shape[:2], bool)
    mask[26:70, 36:92] = True
    assert 19.0 < hole_percent(mask) < 21.0
    return image, mask


@pytest.mark.parametrize("method", ["harmonic", "biharmonic", "total_variation"])
def test_linear_ramp_is_reconstructed(ramp, method):
    image, mask = ramp
    out = inpaint(image, mask, method)
    assert psnr(image, out, mask=mask) > 35.0


def test_telea_is_not_exact_on_the_ramp(ramp):
    """Telea's weighted average is only first-order: it bends the ramp, unlike biharmonic."""
    image, mask = ramp
    telea = psnr(image, inpaint(image, mask, "telea"), mask=mask)
    biharmonic = psnr(image, inpaint(image, mask, "biharmonic"), mask=mask)
    assert biharmonic > telea + 3.0


def test_biharmonic_agrees_with_scikit_image():
    """Same model as skimage.restoration.inpaint_biharmonic: results agree closely on a photo."""
    from skimage import data

    image = data.astronaut()[100:228, 150:278]
    mask = generate_mask("medium", image.shape[:2], seed=2)
    ours = inpaint(image, mask, "biharmonic").astype(float)
    theirs = inpaint_biharmonic(image, mask, channel_axis=-1) * 255.0
    assert psnr(theirs, ours, mask=mask) > 30.0
    assert abs(psnr(image, ours, mask=mask) - psnr(image, theirs, mask=mask)) < 1.0


def test_harmonic_is_mean_of_neighbours():
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (30, 30, 3)).astype(np.uint8)
    mask = np.zeros((30, 30), bool)
    mask[10:20, 12:18] = True
    out = inpaint(image.astype(np.float64) / 255, mask, "harmonic")  # float keeps the exact solution
    centre = out[11:19, 13:17]
    mean4 = (out[10:18, 13:17] + out[12:20, 13:17] + out[11:19, 12:16] + out[11:19, 14:18]) / 4
    assert np.allclose(centre, mean4, atol=1e-5)


def test_rectangle_solver_matches_an_independent_sparse_solve():
    """The DST fast path for a rectangular hole solves the same system as a 5-point Laplacian
    assembled here with Kronecker products and solved by scipy's spsolve; holes that are not interior
    rectangles take the LU path."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    from inpaint_core.poisson import interior_rectangle

    rng = np.random.default_rng(3)
    target, source = rng.uniform(0, 1, (2, 37, 45, 3))
    mask = np.zeros((37, 45), bool)
    mask[5:29, 9:40] = True
    assert interior_rectangle(mask) == (5, 29, 9, 40)
    m, n = 24, 31
    second = lambda k: sp.diags([-np.ones(k - 1), 2 * np.ones(k), -np.ones(k - 1)], [-1, 0, 1])
    lap = (sp.kron(second(m), sp.eye(n)) + sp.kron(sp.eye(m), second(n))).tocsc()
    # x = source + h, h harmonic with the boundary values (target - source) on the ring outside the box
    diff = target - source
    rhs = np.zeros((m, n, 3))
    rhs[0] += diff[4, 9:40]
    rhs[-1] += diff[29, 9:40]
    rhs[:, 0] += diff[5:29, 8]
    rhs[:, -1] += diff[5:29, 40]
    expected = source[5:29, 9:40] + spsolve(lap, rhs.reshape(m * n, 3)).reshape(m, n, 3)
    out = poisson_blend(target, source, mask)
    assert np.abs(out[5:29, 9:40] - expected).max() < 1e-10
    assert np.array_equal(out[~mask], target[~mask])
    for cut in ((slice(0, 29), slice(9, 40)), (slice(5, 29), slice(9, 45))):  # touching the border
        border = np.zeros_like(mask)
        border[cut] = True
        assert interior_rectangle(border) is None
    notched = mask.copy()
    notched[5, 9] = False
    assert interior_rectangle(notched) is None


def test_poisson_blend_keeps_gradients_not_offsets():
    rng = np.random.default_rng(0)
    target = rng.uniform(0, 200, (40, 50, 3))
    mask = np.zeros((40, 50), bool)
    mask[10:30, 15:35] = True
    # a source equal to the target up to a constant offset has the target's gradients
    assert np.allclose(poisson_blend(target, target + 40.0, mask), target, atol=1e-6)
    # a source with its own texture: the texture is carried over, the seam is removed
    pattern = 20 * np.sin(np.arange(50) / 2.0)[None, :, None] * np.ones((40, 1, 3))
    source = target.copy()
    source[mask] = 90 + pattern[mask]
    blended = poisson_blend(target, source, mask)
    assert np.allclose(blended[~mask], target[~mask])
    inner = mask.copy()
    inner[10, :] = inner[29, :] = inner[:, 15] = inner[:, 34] = False
    gy_b, gy_s = np.diff(blended, axis=1), np.diff(source, axis=1)
    interior = inner[:, 1:] & inner[:, :-1]
    assert np.abs(gy_b[interior] - gy_s[interior]).mean() < np.abs(gy_s[interior]).mean()
