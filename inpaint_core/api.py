"""The entry point that runs one method: :func:`inpaint` for arrays, :func:`solve` for a checked problem.

:func:`solve` does what every method shares, so that a method's ``fill`` only fills: conversion to
the internal convention (float32 RGB in [0, 1]), cropping to the hole's neighbourhood for local
methods, hiding the hole's pixels from the method, pasting the known pixels back bit-exact, and
conversion back to the caller's dtype and shape.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from .base import InpaintMethod, ProgressFn, RunContext, check_seed
from .errors import InpaintInputError, MethodUnavailable
from .geometry import hole_box
from .imageio import from_working, to_working
from .problem import Problem
from .registry import get_method
from .trace import Trace


def solve(
    problem: Problem,
    method: InpaintMethod,
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    progress: ProgressFn | None = None,
    trace: Trace | None = None,
    cancel_event: threading.Event | None = None,
    time_limit: float | None = None,
) -> np.ndarray:
    """Fill ``problem``'s hole with ``method`` (see :func:`inpaint`); nothing is validated again."""
    seed = check_seed(seed)
    resolved = method.resolve_params(params)
    image, hole = problem.image, problem.hole
    if not hole.any():
        return image.copy()
    ok, why = method.availability()
    if not ok:
        raise MethodUnavailable(why)
    work = to_working(image)
    box = hole_box(hole, method.context_margin) if method.context_margin is not None else (slice(None), slice(None))
    crop, crop_hole = work[box].copy(), hole[box]
    if method.max_pixels is not None and crop_hole.size > method.max_pixels:
        side = int(method.max_pixels**0.5)
        raise InpaintInputError(
            f"{method.title} works on at most {method.max_pixels:,} pixels around the hole "
            f"(about {side}x{side}); this hole's neighbourhood has {crop_hole.size:,}: use a smaller hole or image."
        )
    crop[crop_hole] = 0.0  # the method must never see what was under the hole
    if trace is not None:
        trace.box = box
    ctx = RunContext(rng=np.random.default_rng(seed), seed=seed, on_progress=progress, trace=trace,
                     cancel_event=cancel_event,
                     deadline=None if time_limit is None else time.monotonic() + time_limit)
    filled = np.asarray(method.fill(crop, crop_hole, resolved, ctx), dtype=np.float32)
    if filled.shape != crop.shape:
        raise RuntimeError(f"{method.name} returned shape {filled.shape}, expected {crop.shape}")
    if not np.isfinite(filled[crop_hole]).all():
        raise RuntimeError(f"{method.name} produced non-finite values in the hole")
    work[box][crop_hole] = np.clip(filled[crop_hole], 0.0, 1.0)
    return from_working(work, image, hole)


def inpaint(
    image: np.ndarray,
    mask: np.ndarray,
    method: str | InpaintMethod = "telea",
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    progress: ProgressFn | None = None,
    trace: Trace | None = None,
    cancel_event: threading.Event | None = None,
    time_limit: float | None = None,
) -> np.ndarray:
    """Fill the hole of ``image`` given by ``mask`` with one method.

    Parameters
    ----------
    image : ndarray, (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA;
        uint8, uint16, or float in [0, 1].
    mask : ndarray (H, W), nonzero / True = hole.
    method : registered name or instance.
    params : overrides of the method's declared defaults.
    seed : every random choice derives from it: same seed, same output.
    progress : ``progress(fraction, message)``, called from the method.
    trace : pass a :class:`~inpaint_core.trace.Trace` to receive what the method records for the
        teaching views.
    cancel_event, time_limit : cooperative cancellation (raises MethodCancelled).

    Returns
    -------
    ndarray of the input's shape and dtype; pixels outside the hole are the input's,
    bit-exact; an alpha channel is returned unchanged.
    """
    impl = get_method(method) if isinstance(method, str) else method
    check_seed(seed)
    return solve(Problem.check(image, mask), impl, params, seed=seed, progress=progress, trace=trace, cancel_event=cancel_event,
                 time_limit=time_limit)
