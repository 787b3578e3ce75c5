"""The method contract, for every registered method (a new method is covered on registration).

A method that cannot run here (weights missing or refused) is reported as skipped with its reason;
in CI (``CI=true``) a shipped model that cannot run fails instead (see ``require_available``)."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_core import InpaintInputError, all_methods, inpaint
from inpaint_core.masks import generate_mask

METHODS = [m.name for m in all_methods()]


def _image(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth colour image with some texture: gradients plus a few sine waves and noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([
        120 + 80 * np.sin(x / 7.0), 100 + 60 * np.cos(y / 5.0), 60 + 0.5 * x + 0.3 * y,
    ], axis=2)
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def _small_hole(h: int, w: int) -> np.ndarray:
    mask = np.zeros((h, w), bool)
    mask[h // 3 : h // 3 + max(2, h // 6), w // 3 : w // 3 + max(2, w // 6)] = True
    return mask


def _hole_error(image: np.ndarray, out: np.ndarray, mask: np.ndarray) -> float:
    """Mean absolute error over the hole, 8-bit levels."""
    return float(np.abs(out[mask].astype(float) - image[mask]).mean())


def _flat_fill_error(image: np.ndarray, mask: np.ndarray) -> float:
    """The hole error of a fill that paints the known pixels' mean colour everywhere."""
    return float(np.abs(image[mask].astype(float) - image[~mask].reshape(-1, image.shape[2]).mean(0)).mean())


@pytest.mark.parametrize("method", METHODS)
def test_shape_dtype_and_known_pixels_kept(method, require_available):
    require_available(method)
    image = _image(48, 64)
    mask = _small_hole(48, 64)
    out = inpaint(image, mask, method)
    assert out.shape == image.shape and out.dtype == image.dtype
    assert np.array_equal(out[~mask], image[~mask]), "pixels outside the hole must be returned bit-exact"


@pytest.mark.parametrize("method", METHODS)
def test_hole_is_actually_filled(method, require_available):
    require_available(method)
    image = _image(48, 64)
    mask = _small_hole(48, 64)
    out = inpaint(image, mask, method)
    # the base hides the hole (zeros) from the method: a fill must come from the context, and be far
    # closer to the truth than a flat fill of the known pixels' mean colour (a dark or grey fill is worse still)
    err, flat = _hole_error(image, out, mask), _flat_fill_error(image, mask)
    assert err < 0.6 * flat, f"hole error {err:.1f} against {flat:.1f} for a flat mean-colour fill"


@pytest.mark.parametrize("method", METHODS)
def test_odd_size_one_pixel_hole(method, require_available):
    require_available(method)
    image = _image(37, 53, seed=1)
    mask = np.zeros((37, 53), bool)
    mask[18, 26] = True
    out = inpaint(image, mask, method)
    assert out.shape == (37, 53, 3)
    assert np.array_equal(out[~mask], image[~mask])
    neighbours = image[17:20, 25:28].reshape(-1, 3).astype(int)
    assert np.all(out[18, 26] >= neighbours.min(axis=0) - 40) and np.all(out[18, 26] <= neighbours.max(axis=0) + 40)


@pytest.mark.parametrize("method", METHODS)
def test_hole_touching_the_border(method, require_available):
    require_available(method)
    image = _image(40, 40, seed=2)
    mask = np.zeros((40, 40), bool)
    mask[:6, 10:20] = True  # top edge
    mask[25:40, 34:40] = True  # bottom-right corner
    out = inpaint(image, mask, method)
    assert np.array_equal(out[~mask], image[~mask])
    err, flat = _hole_error(image, out, mask), _flat_fill_error(image, mask)
    assert err < 0.5 * flat, f"hole error {err:.1f} at the border against {flat:.1f} for a flat mean-colour fill"


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_output(method, require_available):
    require_available(method)
    image = _image(40, 48, seed=3)
    mask = generate_mask("shapes", (40, 48), seed=5)
    a = inpaint(image, mask, method, seed=7)
    b = inpaint(image, mask, method, seed=7)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("method", METHODS)
def test_empty_mask_returns_input(method):  # runs without weights too
    image = _image(32, 32)
    out = inpaint(image, np.zeros((32, 32), bool), method)
    assert np.array_equal(out, image) and out is not image


@pytest.mark.parametrize("method", METHODS)
def test_bad_input_is_one_clear_sentence(method):  # runs without weights too
    image = _image(32, 32)
    with pytest.raises(InpaintInputError, match="must match"):
        inpaint(image, np.zeros((31, 32), bool), method)
    with pytest.raises(InpaintInputError, match="whole image"):
        inpaint(image, np.ones((32, 32), bool), method)


@pytest.mark.parametrize("method", METHODS)
def test_method_declares_its_metadata(method):  # runs without weights too
    impl = next(m for m in all_methods() if m.name == method)
    info = impl.describe()
    assert info["citation"]["year"] > 1990 and info["citation"]["url"].startswith("http")
    assert len(impl.card.idea.split(".")) >= 2 and impl.card.fails_when
    for p in impl.params:
        assert p.coerce(p.default) == p.default
        if p.minimum is not None:
            assert p.minimum <= p.default <= p.maximum


def test_gray_rgba_and_16bit_keep_their_format():
    base = _image(32, 40)
    mask = _small_hole(32, 40)
    gray = base[..., 0]
    out = inpaint(gray, mask, "harmonic")
    assert out.shape == gray.shape and np.array_equal(out[~mask], gray[~mask])
    rgba = np.dstack([base, np.full((32, 40), 200, np.uint8)])
    out = inpaint(rgba, mask, "telea")
    assert out.shape == rgba.shape and np.array_equal(out[..., 3], rgba[..., 3])
    deep = base.astype(np.uint16) * 257
    out = inpaint(deep, mask, "biharmonic")
    assert out.dtype == np.uint16 and np.array_equal(out[~mask], deep[~mask])
    assert abs(out[mask].astype(float).mean() / 257 - base[mask].mean()) < 40
    flt = base.astype(np.float32) / 255
    out = inpaint(flt, mask, "total_variation")
    assert out.dtype == np.float32 and np.array_equal(out[~mask], flt[~mask])


def test_unknown_method_and_bad_params():
    image = _image(32, 32)
    mask = _small_hole(32, 32)
    with pytest.raises(InpaintInputError, match="Unknown method"):
        inpaint(image, mask, "no_such_method")
    with pytest.raises(InpaintInputError, match="no parameter"):
        inpaint(image, mask, "telea", {"bogus": 1})
    with pytest.raises(InpaintInputError, match="at most"):
        inpaint(image, mask, "telea", {"radius": 10_000})
