"""The compare engine: results arrive one by one; failures and slow methods stay in their cells."""

from __future__ import annotations

import time

import numpy as np
import pytest

from inpaint_core import registry
from inpaint_core.base import Citation, InpaintMethod, MethodCard
from inpaint_core.engine import TABLE_COLUMNS, compare, compare_iter
from inpaint_core.errors import InpaintInputError
from inpaint_core.masks import generate_mask
from inpaint_core.problem import Problem

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
    monkeypatch.setitem(registry.METHODS, "test_broken", _Broken())
    monkeypatch.setitem(registry.METHODS, "test_slow", _Slow())


@pytest.fixture
def case():
    from skimage import data

    image = data.coffee()[::4, ::4]
    return image, generate_mask("medium", image.shape[:2], seed=1)


def test_failures_and_time_limits_are_isolated(extra_methods, case):
    image, mask = case
    start = time.perf_counter()
    results = list(compare_iter(Problem.check(image, mask), ["telea", "test_broken", "test_slow", "harmonic"], time_limit=0.5))
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
    iterator = compare_iter(Problem.check(image, mask), ["telea", "biharmonic"])
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
        list(compare_iter(Problem.check(image, np.zeros_like(mask)), ["telea"]))
    with pytest.raises(InpaintInputError, match="Unknown method"):
        list(compare_iter(Problem.check(image, mask), ["telea", "bogus"]))


def test_a_method_that_forgets_its_metadata_fails_when_defined():
    with pytest.raises(TypeError, match="must declare family"):
        class _NoFamily(InpaintMethod):  # noqa: F841
            name, title, citation, card = "test_nofamily", "No family", _CITE, _CARD
    with pytest.raises(TypeError, match="family is 'pde'"):
        class _BadFamily(InpaintMethod):  # noqa: F841
            name, title, family, citation, card = "test_badfamily", "Bad", "pde", _CITE, _CARD

    class _Shared(InpaintMethod, abstract=True):  # a shared base declares only what it shares
        family = "diffusion"

    class _Concrete(_Shared):
        name, title, citation, card = "test_concrete", "Concrete", _CITE, _CARD

    assert _Concrete.family == "diffusion"


def _module_imports(path, package: str) -> set[str]:
    """The inpaint_core modules that ``path`` imports, lazily inside a function too (relative
    imports resolved)."""
    import ast

    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            found |= {n for n in [target, *names] if n.startswith("inpaint_core")}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("inpaint_core")}
    return found


def test_the_registry_has_no_import_cycle():
    """No module of the core imports (even lazily) a module that imports it back, directly or
    not: base knows nothing of the methods, the registry imports them explicitly."""
    from pathlib import Path

    root = Path(registry.__file__).parent
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = name if parts[-1] == "__init__" else ".".join(parts[:-1])
        modules[name] = (path, package)
    graph = {name: {m for m in _module_imports(path, package) if m in modules and m != name}
             for name, (path, package) in modules.items() if not name.endswith("__init__")}
    packages = {n for n, (p, _) in modules.items() if p.name == "__init__.py"}
    graph = {n: deps - packages for n, deps in graph.items() if n not in packages}

    def reaches(start, goal, seen=()):
        return any(d == goal or (d not in seen and reaches(d, goal, (*seen, d))) for d in graph.get(start, ()))

    cycles = [n for n in graph if reaches(n, n)]
    assert not cycles, f"import cycles through {cycles}"
    assert "inpaint_core.registry" not in graph["inpaint_core.base"]
    assert "inpaint_core.methods.diffusion" in graph["inpaint_core.registry"]


def test_child_seeds_are_reproducible_and_distinct():
    from inpaint_core.base import RunContext

    a, b = RunContext(np.random.default_rng(0), seed=7), RunContext(np.random.default_rng(0), seed=7)
    assert [a.child_seed(i) for i in range(5)] == [b.child_seed(i) for i in range(5)]
    assert len({a.child_seed(i) for i in range(100)}) == 100
    assert a.child_seed(0) != RunContext(np.random.default_rng(0), seed=8).child_seed(0)
