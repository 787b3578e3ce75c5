"""The compare engine: results arrive one by one; failures and slow methods stay in their cells."""

from __future__ import annotations

import time

import numpy as np
import pytest

from inpaint_core import base
from inpaint_core.base import Citation, InpaintMethod, MethodCard
from inpaint_core.engine import TABLE_COLUMNS, compare, compare_iter
from inpaint_core.errors import InpaintInputError
from inpaint_core.masks import generate_mask

_CITE = Citation("Test", "Test", "Test", 2000, "https://example.org")
_CARD = MethodCard("Test only. Not shipped.", "", "always")


class _Broken(InpaintMethod):
    name, title, family, citation, card = "test_broken", "Broken", "diffusion", _CITE, _CARD

    def fill(self, image, mask, params, ctx):
        raise RuntimeError("deliberate failure")


class _Slow(InpaintMethod):
    name, title, family, citation, card = "test_slow", "Slow", "diffusion", _CITE, _CARD

    def fill(self, image, mask, params, ctx):
        for _ in range(1000):
            time.sleep(0.01)
            ctx.progress(0.5, "sleeping")  # cooperative cancellation point
        return image


@pytest.fixture
def extra_methods(monkeypatch):
    monkeypatch.setitem(base._REGISTRY, "test_broken", _Broken())
    monkeypatch.setitem(base._REGISTRY, "test_slow", _Slow())


@pytest.fixture
def case():
    from skimage import data

    image = data.coffee()[::4, ::4]
    return image, generate_mask("medium", image.shape[:2], seed=1)


def test_failures_and_time_limits_are_isolated(extra_methods, case):
    image, mask = case
    start = time.perf_counter()
    results = list(compare_iter(image, mask, ["telea", "test_broken", "test_slow", "harmonic"], time_limit=0.5))
    assert time.perf_counter() - start < 5.0
    by_name = {r.method: r for r in results}
    assert [r.method for r in results] == ["telea", "test_broken", "test_slow", "harmonic"]
    assert by_name["test_broken"].status == "error" and "deliberate failure" in by_name["test_broken"].error
    assert by_name["test_slow"].status == "timeout"
    for ok in ("telea", "harmonic"):
        assert by_name[ok].status == "ok" and by_name[ok].output.shape == image.shape
        assert np.isfinite(by_name[ok].metrics["psnr_hole"])


def test_results_are_yielded_as_they_finish(case):
    image, mask = case
    iterator = compare_iter(image, mask, ["telea", "biharmonic"])
    first = next(iterator)
    assert first.method == "telea" and first.output is not None  # available before the second ran
    assert next(iterator).method == "biharmonic"


def test_table_and_metrics(case):
    image, mask = case
    results, table = compare(image, mask, ["telea", "navier_stokes"])
    assert list(table.columns) == TABLE_COLUMNS
    assert (table["status"] == "ok").all()
    assert (table["psnr_hole"] < table["psnr"]).all()  # errors live only in the hole
    assert table["hole_percent"].iloc[0] == pytest.approx(100 * mask.mean(), abs=0.01)


def test_poisson_postprocess_keeps_known_pixels(case):
    image, mask = case
    (result,), _ = compare(image, mask, ["telea"], postprocess="poisson")
    assert np.array_equal(result.output[~mask], image[~mask])


def test_empty_mask_and_unknown_method_fail_early(case):
    image, mask = case
    with pytest.raises(InpaintInputError, match="empty"):
        list(compare_iter(image, np.zeros_like(mask), ["telea"]))
    with pytest.raises(InpaintInputError, match="Unknown method"):
        list(compare_iter(image, mask, ["telea", "bogus"]))
