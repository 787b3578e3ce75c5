"""The incremental gallery builder: every registered method on every case, stored compactly.

Writes the case folders of :mod:`inpaint_core.cases` (which the Gallery tab and the voting study
read, through :mod:`inpaint_core.services.gallery` and :mod:`inpaint_core.study.pairs`)::

    <root>/<case_id>/original.webp   the intact image, WebP lossless (the ground truth)
    <root>/<case_id>/mask.png        255 = hole
    <root>/<case_id>/input.webp      the damaged photo, WebP lossless, for text / watermark cases only
    <root>/<case_id>/<method>.webp   each completion's fill: the hole's bounding box, WebP lossless,
                                     known pixels stored as 0 (:func:`inpaint_core.cases.fill_crop`)
    <root>/<case_id>/case.json       case id, image, mask type, hole %, source, content hash
    <root>/results.csv               one row per (case, method), see RESULT_COLUMNS
    <root>/timing.csv                each method timed at several image sizes on one image

Nothing stored is lossy: a completion is shown as the original with the stored fill composited
into the hole (:meth:`inpaint_core.cases.Case.image`), which is exactly the output the metrics
were computed on, and whose known pixels are the original's, bit for bit.

Incremental: each row stores ``params_hash`` (a hash of the method's name, version, resolved
parameters and seed, plus the SHA-256 of a learned method's weights) and ``case_hash`` (a hash of the case's pixels). A (method, case) pair is
recomputed only when its row is missing, either hash differs, or its output file is missing.
Jobs run on a process pool (``engine="local"``) or on a Dask cluster (``engine="dask"``); a job
is a plain function of plain data, so both give the same rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from inpaint_core.registry import all_methods, find_any_method, get_method
from inpaint_core.cases import fill_crop, read_case
from inpaint_core.masks import hole_percent
from inpaint_core.metrics import METRICS, SSIM_VARIANT
from inpaint_core.problem import Problem
from inpaint_core.services.gallery import RESULT_COLUMNS, TIMING_COLUMNS, read_results, read_timing

from .specs import CaseSpec

TIMING_PROTOCOL = "warm-1"  # change when the way of timing changes: every timing row is redone
OUTPUT_EXT = ".webp"
LOSSLESS = 101  # OpenCV's WebP "quality" above 100 selects lossless encoding
STORAGE_VERSION = 2  # how case folders store their images; a change rewrites every case (1: lossy full frames)
DEFAULT_TIME_LIMIT = 60.0
TIMING_SIZES = (128, 256, 512)
TIMING_IMAGE = "astronaut"
TIMING_MASK = "object"


# ----------------------------------------------------------------------------- hashing
def params_hash(method: str, version: str, params: dict, seed: int, weights: str = "") -> str:
    """Short stable hash of what determines a method's output on a given case: name, version,
    resolved parameters, seed, and for a learned method the SHA-256 of its weights."""
    key = [method, str(version), params, int(seed)] + ([weights] if weights else [])
    blob = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def weights_fingerprint(impl) -> str:
    """SHA-256 (from its manifest) of a learned method's model file, or "" (no weights / none yet):
    a retrained model invalidates its rows even when its code and version stay the same."""
    model = getattr(impl, "model", None)
    if not getattr(impl, "needs_weights", False) or not isinstance(model, str):
        return ""
    try:
        from inpaint_core.networks.weights import MANIFEST_FILE, MODEL_FILE, model_dir

        manifest = json.loads((model_dir(model) / MANIFEST_FILE).read_text())
        return str(manifest["files"][MODEL_FILE]["sha256"])
    except (ImportError, OSError, ValueError, KeyError, TypeError):
        return ""


def case_methods(task: str) -> list[str]:
    """The methods that run on a case of ``task``: every inpainting method, or the restoration
    registry's methods of that task (de-mosaicing cases)."""
    if task == "inpaint":
        return [m.name for m in all_methods()]
    from inpaint_core.restoration import all_restorations

    return [m.name for m in all_restorations(task)]


def _impl(method: str):
    impl = find_any_method(method)
    return impl if impl is not None else get_method(method)  # unknown: one sentence listing the known ones


def method_key(method: str, overrides: dict | None, seed: int) -> tuple[dict, str, str]:
    """(resolved params, version, params hash) of a method with ``overrides``."""
    impl = _impl(method)
    resolved = impl.resolve_params(overrides)
    return resolved, impl.version, params_hash(impl.name, impl.version, resolved, seed, weights_fingerprint(impl))


# ----------------------------------------------------------------------------- encoding
def encode_output(image: np.ndarray, quality: int = LOSSLESS) -> bytes:
    """uint8 RGB -> WebP bytes (lossless by default; quality 1-100 is lossy and never used for
    an image that is scored or shown)."""
    ok, buf = cv2.imencode(".webp", np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_WEBP_QUALITY, quality])
    if not ok:
        raise RuntimeError("WebP encoding failed")
    return buf.tobytes()


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


_NUMERIC = ("hole_percent", *METRICS, "seconds", "pixels")


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame = frame.copy()
    for col in _NUMERIC:
        if col in frame:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame.to_csv(tmp, index=False, float_format="%.10g")
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- jobs
@dataclasses.dataclass
class Job:
    """One (case, method) run, as plain data a worker process or a cluster node can take."""

    case: str
    method: str
    params: dict
    seed: int
    params_hash: str
    case_hash: str
    original: np.ndarray  # uint8 RGB
    mask: np.ndarray  # bool
    time_limit: float | None
    meta: dict  # image, mask_type, hole_percent (copied into the row)
    encode: bool = True  # False for timing jobs (no output kept)
    warmup: bool = False  # timing jobs: one untimed run on a small copy first (weights, JIT, caches)
    task: str = "inpaint"  # "demosaic": a restoration method restores ``damaged`` inside ``mask``
    damaged: np.ndarray | None = None
    block: int | None = None
    offset: tuple[int, int] = (0, 0)


@dataclasses.dataclass
class _Ran:
    status: str
    output: np.ndarray | None
    seconds: float
    metrics: dict
    version: str
    error: str


def run_restoration(job: "Job") -> _Ran:
    """A de-mosaicing job: ``restore`` on the mosaic with the case's grid, scored against the original
    over the whole image and the mosaicked cells (the case's hole)."""
    from inpaint_core.metrics import score
    from inpaint_core.restoration import get_restoration, restore
    from inpaint_core.restoration.demosaic import Mosaic

    impl = get_restoration(job.method, job.task)
    ok, why = impl.availability()
    if not ok:
        return _Ran("unavailable", None, 0.0, {}, impl.version, why)
    start = time.perf_counter()
    try:
        out = restore(job.damaged, impl, job.params, region=job.mask, seed=job.seed,
                      block=Mosaic(job.mask, int(job.block), tuple(job.offset)))
    except Exception as exc:  # noqa: BLE001 - one bad method must not stop a build; the row says why
        return _Ran("error", None, time.perf_counter() - start, {}, impl.version, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    return _Ran("ok", out, seconds, score(job.original, out, job.mask), impl.version, "")


def _worker_setup() -> None:
    """One thread per worker process: the pool is the parallelism."""
    cv2.setNumThreads(1)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def run_job(job: Job) -> tuple[dict, bytes | None]:
    """Run one job through :func:`inpaint_core.engine.run_one`; return (row, encoded output)."""
    from inpaint_core.engine import run_one

    if job.task != "inpaint":
        result = run_restoration(job)
    else:
        if job.warmup:
            small = max(1, job.original.shape[0] // 64)
            run_one(Problem.check(job.original[::small, ::small], job.mask[::small, ::small]), job.method, job.params,
                    seed=job.seed, time_limit=job.time_limit)
        result = run_one(Problem.check(job.original, job.mask), job.method, job.params, seed=job.seed,
                         time_limit=job.time_limit)
    metrics = result.metrics
    row = {
        "case": job.case, **job.meta, "method": job.method,
        **{name: metrics.get(name, np.nan) for name in METRICS},
        "seconds": round(result.seconds, 4), "ssim_variant": SSIM_VARIANT, "method_version": result.version,
        "params_hash": job.params_hash, "seed": job.seed, "status": result.status,
        "params": json.dumps(job.params, sort_keys=True), "case_hash": job.case_hash, "error": result.error,
    }
    data = encode_output(fill_crop(result.output, job.mask)) if (job.encode and result.status == "ok") else None
    return row, data


# ----------------------------------------------------------------------------- engines
def _local_map(fn: Callable, jobs: Sequence, workers: int) -> Iterator:
    if workers <= 1:
        for job in jobs:
            yield fn(job)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed
    import multiprocessing

    # spawn: a clean interpreter per worker (no forked threads or locks from the parent)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_setup)
    try:
        futures = [pool.submit(fn, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()
    finally:  # on Ctrl-C or an error, drop the queued jobs instead of running them all first
        pool.shutdown(wait=True, cancel_futures=True)


def _dask_map(fn: Callable, jobs: Sequence, workers: int, scheduler: str | None) -> Iterator:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RuntimeError(
            "The dask engine needs Dask's distributed scheduler: pip install distributed "
            "(optional, not in requirements.txt)."
        ) from None
    if scheduler:  # an existing cluster
        client, cluster = Client(scheduler), None
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        if cluster is not None:
            client.run(_worker_setup)
        futures = client.map(fn, list(jobs), pure=False)
        for future in as_completed(futures):
            yield future.result()
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def map_jobs(fn: Callable, jobs: Sequence, *, workers: int = 1, engine: str = "local",
             scheduler: str | None = None) -> Iterator:
    """Yield ``fn(job)`` for every job, in completion order, on the chosen engine."""
    if not jobs:
        return iter(())
    if engine == "local":
        return _local_map(fn, jobs, workers)
    if engine == "dask":
        return _dask_map(fn, jobs, workers, scheduler)
    raise ValueError(f"Unknown engine {engine!r}; use 'local' or 'dask'.")


def _progress(iterable: Iterable, total: int, desc: str, enabled: bool) -> Iterable:
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="run", dynamic_ncols=True)


# ----------------------------------------------------------------------------- cases on disk
def write_case_folder(root: Path, spec: CaseSpec) -> bool:
    """Write a case's original, mask, damaged input and case.json unless already there
    with the same pixels; return True if written (a changed case)."""
    folder = root / spec.case_id
    meta_path = folder / "case.json"
    digest = spec.content_hash()
    if meta_path.exists():
        try:
            old = json.loads(meta_path.read_text())
        except json.JSONDecodeError:
            old = {}
        if (old.get("case_hash") == digest and old.get("storage") == STORAGE_VERSION
                and (folder / "original.webp").exists() and (folder / "mask.png").exists()):
            return False
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():  # the pixels changed: old outputs are for another case
        if stale.is_file():
            stale.unlink()
    _write_bytes(folder / "original.webp", encode_output(spec.original))
    ok, buf = cv2.imencode(".png", spec.mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    _write_bytes(folder / "mask.png", buf.tobytes())
    if spec.damaged is not None:
        _write_bytes(folder / "input.webp", encode_output(spec.damaged))
    meta = {
        "case_id": spec.case_id, "image": spec.image, "mask_type": spec.mask_type,
        "hole_percent": round(hole_percent(spec.mask), 2), "source": spec.source,
        "mask_seed": spec.mask_seed, "size": list(spec.original.shape[:2]), "case_hash": digest,
        "origin": "gallery", "storage": STORAGE_VERSION,
    }
    if spec.task != "inpaint":  # what the restoration methods need to run it again
        meta.update(task=spec.task, block=spec.block, offset=list(spec.offset))
    (folder / "case.json").write_text(json.dumps(meta, indent=1))
    return True


# ----------------------------------------------------------------------------- build
@dataclasses.dataclass
class BuildReport:
    """What one build did."""

    computed: list[tuple[str, str]]  # (case, method) pairs run this time
    skipped: int  # pairs that were already up to date
    timed: list[tuple[str, int]]  # (method, size) timing runs
    seconds: float
    statuses: dict[str, int]

    def summary(self) -> str:
        states = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items())) or "nothing run"
        return (f"{len(self.computed)} runs computed ({states}), {self.skipped} up to date, "
                f"{len(self.timed)} timing runs, {self.seconds:.1f} s")


def _order_rows(frame: pd.DataFrame, case_order: list[str], method_order: list[str]) -> pd.DataFrame:
    rank_case = {c: i for i, c in enumerate(case_order)}
    rank_method = {m: i for i, m in enumerate(method_order)}
    key = frame["case"].map(lambda c: rank_case.get(c, len(rank_case))) * 10_000 + frame["method"].map(
        lambda m: rank_method.get(m, len(rank_method)))
    return frame.assign(_k=key.values).sort_values(["_k", "case", "method"]).drop(columns="_k").reset_index(drop=True)


def build(
    root: str | os.PathLike,
    cases: Sequence[CaseSpec] | None = None,
    *,
    methods: Sequence[str] | None = None,
    params: dict[str, dict] | None = None,
    seed: int = 0,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    timing_sizes: Sequence[int] | None = TIMING_SIZES,
    progress: bool = False,
    retry_failed: bool = False,
    checkpoint_every: int = 20,
) -> BuildReport:
    """Bring the gallery at ``root`` up to date; return what was done.

    Parameters
    ----------
    cases : the cases (default: :func:`gallery.specs.shipped_cases`).
    methods : method names (default: every registered method). Rows of methods no longer
        registered are dropped only when ``methods`` is None.
    params : per-method parameter overrides; a change invalidates that method's rows.
    seed : the seed each method runs with (recorded per row).
    workers, engine, scheduler : ``engine="local"`` runs a process pool of ``workers``
        (1 = in this process); ``engine="dask"`` a Dask LocalCluster of ``workers`` processes,
        or the existing cluster at ``scheduler`` (address).
    time_limit : seconds per run; a run past it is stored with status "timeout".
    timing_sizes : image sides at which each method is timed on one image (None: skip).
    retry_failed : recompute rows stored with status error / timeout.
    """
    start = time.perf_counter()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    prune_cases = cases is None
    if cases is None:
        from .specs import shipped_cases

        cases = shipped_cases()
    tasks = list(dict.fromkeys(["inpaint", "demosaic", *(spec.task for spec in cases)]))  # every registered method
    per_task = {task: case_methods(task) for task in tasks}
    registered = list(dict.fromkeys(m for task in tasks for m in per_task[task]))
    prune_methods = methods is None
    method_names = list(registered if methods is None else methods)
    keys = {m: method_key(m, (params or {}).get(m), seed) for m in method_names}  # unknown names fail here

    # 1. cases on disk
    changed_cases = {spec.case_id for spec in cases if write_case_folder(root, spec)}
    case_ids = [spec.case_id for spec in cases]

    # 2. which (case, method) rows are up to date
    table = read_results(root)
    if prune_methods:
        gone = ~table["method"].isin(registered)
        for case_id, method in table.loc[gone, ["case", "method"]].itertuples(index=False):
            (root / str(case_id) / f"{method}{OUTPUT_EXT}").unlink(missing_ok=True)
        table = table[~gone]
    if prune_cases:  # the shipped set: cases no longer defined leave with their rows
        table = table[table["case"].isin(case_ids)]
        for folder in root.iterdir():
            if folder.is_dir() and folder.name not in case_ids and (folder / "case.json").exists():
                if json.loads((folder / "case.json").read_text()).get("origin") == "gallery":
                    shutil.rmtree(folder)
    current = {(r.case, r.method): r for r in table.itertuples(index=False)}
    # a method that was unavailable (weights missing) is run once it becomes available
    available = {name: _impl(name).availability()[0] for name in method_names}
    jobs: list[Job] = []
    for spec in cases:
        digest = spec.content_hash()
        meta = {"image": spec.image, "mask_type": spec.mask_type, "hole_percent": round(hole_percent(spec.mask), 2)}
        for name in (n for n in method_names if n in per_task[spec.task]):
            resolved, version, p_hash = keys[name]
            row = current.get((spec.case_id, name))
            up_to_date = (
                row is not None and row.params_hash == p_hash and row.case_hash == digest
                and spec.case_id not in changed_cases
                and (row.status != "ok" or (root / spec.case_id / f"{name}{OUTPUT_EXT}").exists())
                and not (retry_failed and row.status in {"error", "timeout"})
                and not (row.status == "unavailable" and available[name])
            )
            if not up_to_date:
                jobs.append(Job(spec.case_id, name, resolved, seed, p_hash, digest, spec.original, spec.mask,
                                time_limit, meta, task=spec.task, damaged=spec.damaged, block=spec.block,
                                offset=spec.offset))
    skipped = sum(len([n for n in method_names if n in per_task[spec.task]]) for spec in cases) - len(jobs)
    speed_rank = {"slow": 0, "medium": 1, "fast": 2}
    jobs.sort(key=lambda j: speed_rank.get(_impl(j.method).speed, 1))  # longest first: a shorter tail

    # 3. run what is missing, writing outputs as they come and the table every few results
    done_keys = {(j.case, j.method) for j in jobs}
    kept = table[[(c, m) not in done_keys for c, m in zip(table["case"], table["method"])]] if len(table) else table
    new_rows: list[dict] = []
    statuses: dict[str, int] = {}

    def flush() -> None:
        frame = pd.concat([kept, pd.DataFrame(new_rows, columns=RESULT_COLUMNS)], ignore_index=True) if new_rows else kept
        _write_csv(root / "results.csv", _order_rows(frame[RESULT_COLUMNS], case_ids, registered))

    results = map_jobs(run_job, jobs, workers=workers, engine=engine, scheduler=scheduler)
    try:
        for i, (row, data) in enumerate(_progress(results, len(jobs), "gallery", progress), 1):
            out_path = root / row["case"] / f"{row['method']}{OUTPUT_EXT}"
            if data is not None:
                _write_bytes(out_path, data)
            else:
                out_path.unlink(missing_ok=True)
            new_rows.append(row)
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
            if i % checkpoint_every == 0:
                flush()
    finally:  # an interrupted build keeps what it finished
        flush()
        if hasattr(results, "close"):
            results.close()

    # 4. rows scored before a metric was added get it from their stored (lossless) output
    rescore(root, only_missing=True)

    # 5. time each method at several sizes on one image
    timed: list[tuple[str, int]] = []
    if timing_sizes:  # the inpainting methods (the restorers' times are in bench/restoration.py)
        timed = build_timing(root, [m for m in method_names if m in per_task["inpaint"]], params=params, seed=seed, sizes=timing_sizes, workers=workers,
                             engine=engine, scheduler=scheduler, time_limit=time_limit, progress=progress,
                             prune=prune_methods, registered=registered)
    return BuildReport([(j.case, j.method) for j in jobs], skipped, timed, time.perf_counter() - start, statuses)


def build_timing(
    root: Path,
    method_names: Sequence[str],
    *,
    params: dict[str, dict] | None = None,
    seed: int = 0,
    sizes: Sequence[int] = TIMING_SIZES,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    progress: bool = False,
    prune: bool = False,
    registered: Sequence[str] = (),
) -> list[tuple[str, int]]:
    """Time every method on one image and hole type at each size in ``sizes`` (timing.csv).

    Each timed run follows an untimed warm-up run on a ~64 px copy in the same process, so
    that loading weights or compiling kernels is not counted as the cost of the image size.

    Incremental like the gallery: a (method, size) row is redone when its params hash changes.
    """
    from .specs import make_case

    table = read_timing(root)
    if prune and len(table):
        table = table[table["method"].isin(list(registered))]
    if len(table) and "protocol" in table:
        table = table[table["protocol"] == TIMING_PROTOCOL]
    else:
        table = table.iloc[0:0]
    current = {(r.method, int(r.size)): r.params_hash for r in table.itertuples(index=False)}
    specs = {size: make_case(TIMING_IMAGE, TIMING_MASK, size) for size in sizes}
    jobs = []
    for name in method_names:
        resolved, _, p_hash = method_key(name, (params or {}).get(name), seed)
        for size, spec in specs.items():
            if current.get((name, size)) != p_hash:
                meta = {"image": spec.image, "mask_type": spec.mask_type, "hole_percent": round(hole_percent(spec.mask), 2)}
                jobs.append(Job(f"timing-{size}", name, resolved, seed, p_hash, "", spec.original, spec.mask,
                                time_limit, meta, encode=False, warmup=True))
    if not jobs:
        return []
    redo = {(j.method, int(j.case.split("-")[1])) for j in jobs}
    keep = table[[(m, int(s)) not in redo for m, s in zip(table["method"], table["size"])]] if len(table) else table
    rows = []
    for row, _ in _progress(map_jobs(run_job, jobs, workers=workers, engine=engine, scheduler=scheduler),
                            len(jobs), "timing", progress):
        size = int(row["case"].split("-")[1])
        rows.append({"method": row["method"], "size": size, "pixels": size * size, "hole_percent": row["hole_percent"],
                     "seconds": row["seconds"], "status": row["status"], "method_version": row["method_version"],
                     "params_hash": row["params_hash"], "seed": row["seed"], "protocol": TIMING_PROTOCOL})
    frame = pd.concat([keep, pd.DataFrame(rows, columns=TIMING_COLUMNS)], ignore_index=True)
    frame = frame.sort_values(["method", "size"]).reset_index(drop=True)
    _write_csv(root / "timing.csv", frame[TIMING_COLUMNS])
    return sorted(redo)


# ----------------------------------------------------------------------------- rescoring
def rescore(root: str | os.PathLike, *, only_missing: bool = False) -> int:
    """Recompute every metric of :data:`inpaint_core.metrics.METRICS` for the ok rows at ``root``
    from the stored images, without running any method: outputs are stored losslessly, so the
    composite of the stored fill over the original is the very output that was scored. With
    ``only_missing``, only rows lacking some metric (e.g. one added since they were built).
    Returns the number of rows rescored."""
    from inpaint_core.metrics import score

    root = Path(root)
    table = read_results(root)
    if not len(table):
        return 0
    names = list(METRICS)
    todo = table["status"].eq("ok")
    if only_missing:
        todo &= table[names].apply(pd.to_numeric, errors="coerce").isna().any(axis=1)
    cases: dict[str, tuple] = {}
    for index in table.index[todo]:
        case_id, method = str(table.at[index, "case"]), str(table.at[index, "method"])
        if case_id not in cases:
            case = read_case(root / case_id)
            cases[case_id] = (case, case.image("original").astype(np.float64), case.mask())
        case, original, hole = cases[case_id]
        if method not in case.outputs:
            continue
        scores = score(original, case.image(method).astype(np.float64), hole)
        for name in names:
            table.at[index, name] = scores[name]
        table.at[index, "ssim_variant"] = SSIM_VARIANT
    if todo.any():
        _write_csv(root / "results.csv", table[RESULT_COLUMNS])
    return int(todo.sum())


# ----------------------------------------------------------------------------- reading back
def recompute_row(root: str | os.PathLike, row: pd.Series, *, time_limit: float | None = DEFAULT_TIME_LIMIT) -> dict:
    """Run a stored row's method again on its stored case with its stored params and seed;
    returns the status, the metrics and the output."""
    from inpaint_core.engine import run_one

    case = read_case(Path(root) / str(row["case"]))
    original, mask = case.original(), case.mask()
    stored_params = json.loads(row["params"]) if isinstance(row["params"], str) and row["params"] else None
    task = case.meta.get("task", "inpaint")
    if task != "inpaint":
        job = Job(str(row["case"]), str(row["method"]), stored_params or {}, int(row["seed"]), "", "", original, mask,
                  time_limit, {}, task=task, damaged=case.damaged(), block=case.meta["block"],
                  offset=tuple(case.meta["offset"]))
        result = run_restoration(job)
    else:
        result = run_one(Problem.check(original, mask), str(row["method"]), stored_params, seed=int(row["seed"]),
                         time_limit=time_limit)
    return {"status": result.status, **result.metrics, "output": result.output}
