"""Restoration beyond inpainting (the survey's applications, part 2): de-mosaicing, de-blurring,
de-raining. :func:`restore` runs one registered method on an image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..base import ProgressFn, RunContext, check_seed
from ..errors import InpaintInputError, MethodUnavailable
from ..imageio import from_working, to_working, validate_image
from .base import TASKS, RestorationMethod
from .registry import DEFAULT_METHODS, RESTORATIONS, all_restorations, get_restoration

__all__ = ["DEFAULT_METHODS", "RESTORATIONS", "TASKS", "RestorationMethod", "all_restorations", "get_restoration", "restore"]


def restore(image: np.ndarray, method: str | RestorationMethod, params: Mapping[str, Any] | None = None, *,
            region: np.ndarray | None = None, seed: int = 0, progress: ProgressFn | None = None,
            **extra) -> np.ndarray:
    """Restore ``image`` (any shape and dtype :func:`inpaint_core.imageio.validate_image` accepts) with
    ``method``; ``extra`` holds the inputs the method declares in ``needs`` (e.g. ``block=`` a
    :class:`~inpaint_core.restoration.demosaic.Mosaic`). Returns the input's shape and dtype; pixels
    outside ``region`` (default: none) are the input's, bit-exact."""
    impl = get_restoration(method) if isinstance(method, str) else method
    seed = check_seed(seed)
    resolved = impl.resolve_params(params)
    missing = [k for k in impl.needs if extra.get(k) is None]
    if missing:
        raise InpaintInputError(f"{impl.title} needs {', '.join(missing)} (pass it, or detect it first).")
    ok, why = impl.availability()
    if not ok:
        raise MethodUnavailable(why)
    original = validate_image(np.asarray(image))
    h, w = original.shape[:2]
    area = np.ones((h, w), bool) if region is None else np.asarray(region, bool)
    if area.shape != (h, w):
        raise InpaintInputError(f"The region is {area.shape[1]}x{area.shape[0]} but the image is {w}x{h}; "
                                "they must match.")
    work = to_working(original)
    ctx = RunContext(rng=np.random.default_rng(seed), seed=seed, on_progress=progress)
    out = np.asarray(impl.run(work, resolved, ctx, **extra), dtype=np.float32)
    if out.shape != work.shape:
        raise RuntimeError(f"{impl.name} returned shape {out.shape}, expected {work.shape}")
    if not np.isfinite(out[area]).all():
        raise RuntimeError(f"{impl.name} produced non-finite values")
    return from_working(np.clip(out, 0, 1), original, area)
