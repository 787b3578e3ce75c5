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

from .api import solve
from .errors import InpaintInputError, MethodCancelled, MethodUnavailable
from .imageio import to_uint8_rgb
from .masks import hole_percent
from .metrics import METRICS, SSIM_VARIANT, score
from .poisson import poisson_blend
from .problem import Problem
from .registry import get_method
from .trace import Trace

DEFAULT_TIME_LIMIT = 120.0
TABLE_COLUMNS = [
    "method", "title", "family", "status", *METRICS, "seconds", "hole_percent", "ssim_variant", "method_version",
    "error",
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
    trace: Trace | None = None
    trained_on: str | None = None  # the domain of a learned model ("faces"), shown in the label

    def label(self) -> str:
        """The result in one line: method, every metric, seconds (or what went wrong)."""
        if self.status != "ok":
            return f"{self.title}: {self.status}: {self.error}"
        scores = " | ".join(f"{metric.label} {metric.format(self.metrics[name])}"
                            for name, metric in METRICS.items() if name in self.metrics)
        note = f" | trained on {self.trained_on}" if self.trained_on else ""
        return f"{self.title} | {scores} | {self.seconds:.2f} s{note}"

    def caption(self) -> str:
        """The short form for a thumbnail: method, hole PSNR and SSIM, seconds (the rest is in the table)."""
        if self.status != "ok":
            return f"{self.title}: {self.status}: {self.error}"
        scores = " · ".join(f"{METRICS[m].label} {METRICS[m].format(self.metrics[m])}" for m in ("psnr_hole", "ssim_hole")
                            if m in self.metrics)
        note = f" · trained on {self.trained_on}" if self.trained_on else ""
        return f"{self.title} · {scores} · {self.seconds:.2f} s{note}"


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
    problem: Problem,
    method: str,
    params: dict | None = None,
    *,
    seed: int = 0,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    postprocess: str = "none",
    progress: Callable[[float, str], None] | None = None,
    trace: Trace | None = None,
) -> MethodResult:
    """Run one method on a checked problem with failure isolation and timing, and score it
    against the problem's intact image."""
    impl = get_method(method)
    image, hole = problem.image, problem.hole

    def job(cancel: threading.Event) -> np.ndarray:
        out = solve(problem, impl, params, seed=seed, progress=progress, trace=trace, cancel_event=cancel,
                    time_limit=time_limit)
        if postprocess == "poisson":
            scale = 255.0 if out.dtype == np.uint8 else (65535.0 if out.dtype == np.uint16 else 1.0)
            blended = poisson_blend(image.astype(np.float64), out.astype(np.float64), hole)
            blended = np.clip(np.rint(blended) if scale > 1 else blended, 0, scale).astype(out.dtype)
            out = np.where(hole[..., None] if out.ndim == 3 else hole, blended, image)
        return out

    common = dict(method=impl.name, title=impl.title, family=impl.family, version=impl.version, trace=trace,
                  trained_on=impl.trained_on)
    ok, why = impl.availability()
    if not ok:
        return MethodResult(status="unavailable", output=None, seconds=0.0, metrics={}, error=why, **common)
    start = time.perf_counter()
    out, err, timed_out = _run_with_limit(job, time_limit)
    seconds = time.perf_counter() - start
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
    metrics = score(problem.reference().astype(np.float64), to_uint8_rgb(out).astype(np.float64), hole)
    return MethodResult(status="ok", output=out, seconds=seconds, metrics=metrics, **common)


def compare_iter(
    problem: Problem,
    methods: Sequence[str],
    *,
    params: dict[str, dict] | None = None,
    seed: int = 0,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    postprocess: str = "none",
    progress: Callable[[str, float, str], None] | None = None,
    traces: dict[str, Trace] | None = None,
) -> Iterator[MethodResult]:
    """Yield each method's :class:`MethodResult` as soon as it is ready.

    ``problem`` was checked once (:meth:`Problem.check`); its hole must not be empty.
    ``progress(method, fraction, message)`` relays the running method's progress.
    ``traces`` maps a method name to a :class:`~inpaint_core.trace.Trace` that receives its record.
    """
    if not problem.hole.any():
        raise InpaintInputError("The mask is empty: draw or load a hole first.")
    for name in methods:
        get_method(name)  # unknown names fail before any work
    for name in methods:
        relay = None
        if progress is not None:
            relay = (lambda n: (lambda f, msg: progress(n, f, msg)))(name)
        yield run_one(problem, name, (params or {}).get(name), seed=seed, time_limit=time_limit,
                      postprocess=postprocess, progress=relay, trace=(traces or {}).get(name))


def results_table(results: Sequence[MethodResult], hole: np.ndarray | None = None) -> pd.DataFrame:
    """One row per method with the columns of :data:`TABLE_COLUMNS`."""
    percent = hole_percent(hole) if hole is not None else float("nan")
    rows = []
    for r in results:
        rows.append({
            "method": r.method, "title": r.title, "family": r.family, "status": r.status,
            **{name: r.metrics.get(name, np.nan) for name in METRICS},
            "seconds": round(r.seconds, 4), "hole_percent": round(percent, 2), "ssim_variant": SSIM_VARIANT,
            "method_version": r.version, "error": r.error,
        })
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def compare(image: np.ndarray, mask: np.ndarray, methods: Sequence[str], **kwargs) -> tuple[list[MethodResult], pd.DataFrame]:
    """Run every method on ``image`` and ``mask`` (checked here) and return (results, table)."""
    problem = Problem.check(image, mask)
    results = list(compare_iter(problem, methods, **kwargs))
    return results, results_table(results, problem.hole)
