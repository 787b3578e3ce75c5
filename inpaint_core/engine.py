"""The compare engine: run several methods on one image and mask, one result at a time.

:func:`compare_iter` yields a :class:`MethodResult` as soon as each method finishes, so a
UI can show results as they arrive; each method runs in its own worker thread under a
time limit, and a method that raises or runs past its limit is reported in its own result
while the others go on. :func:`results_table` turns results into the pandas table the app,
the CLI and the gallery share.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from .base import get_method, inpaint
from .errors import InpaintInputError, MethodCancelled, MethodUnavailable
from .imageio import to_uint8_rgb, validate_image, validate_mask
from .masks import hole_percent
from .metrics import SSIM_VARIANT, score
from .poisson import poisson_blend

DEFAULT_TIME_LIMIT = 120.0
TABLE_COLUMNS = [
    "method", "title", "family", "status", "psnr", "ssim", "psnr_hole", "ssim_hole", "seconds",
    "hole_percent", "ssim_variant", "method_version", "error",
]


@dataclasses.dataclass
class MethodResult:
    """One method's outcome on one case."""

    method: str
    title: str
    family: str
    status: str  # "ok", "error", "timeout", "unavailable"
    output: np.ndarray | None
    seconds: float
    metrics: dict[str, float]
    error: str = ""
    version: str = ""
    trace: dict | None = None

    def label(self) -> str:
        if self.status != "ok":
            return f"{self.title}: {self.status} - {self.error}"
        m = self.metrics
        return f"{self.title} | PSNR {m['psnr']:.2f} dB (hole {m['psnr_hole']:.2f}) | SSIM {m['ssim']:.3f} | {self.seconds:.2f} s"


def _run_with_limit(fn: Callable[[threading.Event], np.ndarray], time_limit: float | None):
    """Run ``fn`` in a daemon thread; return (output, error, timed_out)."""
    box: dict = {}
    cancel = threading.Event()

    def target():
        try:
            box["out"] = fn(cancel)
        except BaseException as exc:  # noqa: BLE001 - isolate every failure to its own cell
            box["err"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(time_limit)
    if worker.is_alive():
        cancel.set()  # the method stops at its next progress check
        return None, None, True
    return box.get("out"), box.get("err"), False


def run_one(
    image: np.ndarray,
    mask: np.ndarray,
    method: str,
    params: dict | None = None,
    *,
    seed: int = 0,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    reference: np.ndarray | None = None,
    postprocess: str = "none",
    progress: Callable[[float, str], None] | None = None,
    trace: dict | None = None,
) -> MethodResult:
    """Run one method with failure isolation and timing; score against ``reference``
    (default: ``image`` itself, the intact original)."""
    impl = get_method(method)
    hole = validate_mask(mask, image.shape[:2])
    reference = image if reference is None else reference

    def job(cancel: threading.Event) -> np.ndarray:
        out = inpaint(image, hole, impl, params, seed=seed, progress=progress, trace=trace,
                      cancel_event=cancel, time_limit=time_limit)
        if postprocess == "poisson":
            scale = 255.0 if out.dtype == np.uint8 else (65535.0 if out.dtype == np.uint16 else 1.0)
            blended = poisson_blend(image.astype(np.float64), out.astype(np.float64), hole)
            blended = np.clip(np.rint(blended) if scale > 1 else blended, 0, scale).astype(out.dtype)
            out = np.where(hole[..., None] if out.ndim == 3 else hole, blended, image)
        return out

    ok, why = impl.availability()
    if not ok:
        return MethodResult(impl.name, impl.title, impl.family, "unavailable", None, 0.0, {}, why, impl.version)
    start = time.perf_counter()
    out, err, timed_out = _run_with_limit(job, time_limit)
    seconds = time.perf_counter() - start
    common = dict(method=impl.name, title=impl.title, family=impl.family, version=impl.version, trace=trace)
    if timed_out:
        return MethodResult(status="timeout", output=None, seconds=seconds, metrics={},
                            error=f"stopped after the {time_limit:.0f} s time limit", **common)
    if isinstance(err, MethodCancelled):
        return MethodResult(status="timeout", output=None, seconds=seconds, metrics={}, error=str(err), **common)
    if isinstance(err, MethodUnavailable):
        return MethodResult(status="unavailable", output=None, seconds=seconds, metrics={}, error=str(err), **common)
    if err is not None:
        message = str(err) if isinstance(err, InpaintInputError) else f"{type(err).__name__}: {err}"
        return MethodResult(status="error", output=None, seconds=seconds, metrics={}, error=message, **common)
    metrics = score(to_uint8_rgb(reference).astype(np.float64), to_uint8_rgb(out).astype(np.float64), hole)
    return MethodResult(status="ok", output=out, seconds=seconds, metrics=metrics, **common)


def compare_iter(
    image: np.ndarray,
    mask: np.ndarray,
    methods: Sequence[str],
    *,
    params: dict[str, dict] | None = None,
    seed: int = 0,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    postprocess: str = "none",
    progress: Callable[[str, float, str], None] | None = None,
    traces: dict[str, dict] | None = None,
) -> Iterator[MethodResult]:
    """Yield each method's :class:`MethodResult` as soon as it is ready.

    ``progress(method, fraction, message)`` relays the running method's progress.
    ``traces`` maps a method name to a dict that receives its teaching views.
    """
    image = validate_image(image)
    hole = validate_mask(mask, image.shape[:2])
    if not hole.any():
        raise InpaintInputError("The mask is empty: draw or load a hole first.")
    for name in methods:
        get_method(name)  # unknown names fail before any work
    for name in methods:
        relay = None
        if progress is not None:
            relay = (lambda n: (lambda f, msg: progress(n, f, msg)))(name)
        yield run_one(image, hole, name, (params or {}).get(name), seed=seed, time_limit=time_limit,
                      postprocess=postprocess, progress=relay, trace=(traces or {}).get(name))


def results_table(results: Sequence[MethodResult], hole: np.ndarray | None = None) -> pd.DataFrame:
    """One row per method with the columns of :data:`TABLE_COLUMNS`."""
    percent = hole_percent(hole) if hole is not None else float("nan")
    rows = []
    for r in results:
        rows.append({
            "method": r.method, "title": r.title, "family": r.family, "status": r.status,
            "psnr": r.metrics.get("psnr", np.nan), "ssim": r.metrics.get("ssim", np.nan),
            "psnr_hole": r.metrics.get("psnr_hole", np.nan), "ssim_hole": r.metrics.get("ssim_hole", np.nan),
            "seconds": round(r.seconds, 4), "hole_percent": round(percent, 2), "ssim_variant": SSIM_VARIANT,
            "method_version": r.version, "error": r.error,
        })
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def compare(image: np.ndarray, mask: np.ndarray, methods: Sequence[str], **kwargs) -> tuple[list[MethodResult], pd.DataFrame]:
    """Run every method and return (results, table)."""
    results = list(compare_iter(image, mask, methods, **kwargs))
    return results, results_table(results, validate_mask(mask, image.shape[:2]))
