"""The research benchmark: any folder of images x any folder of masks, scored by hole-area bin.

Images are centre-cropped to a square and resized to ``size`` px; masks (white / nonzero =
hole, as in NVIDIA's irregular mask set) are resized to the same size (area interpolation,
then a 0.5 threshold, which keeps the hole's area). Each mask is then put in a hole-area bin
0-10 %, 10-20 %, ... as in Liu et al. 2018, https://doi.org/10.1007/978-3-030-01252-6_6, and
LaMa's evaluation (Suvorov et al. 2022, https://doi.org/10.1109/WACV51458.2022.00323).
``per_bin`` keeps the first N masks of each bin in file-name order (``bin_by_index``: a
numbered mask set's own bins, file index // N, as NVIDIA's 2000 masks per bin). Within each
bin, the i-th mask is paired with image i modulo the number of images, so every bin is scored on
the same images and bins differ only by their holes.

Outputs under ``out``: ``results.csv`` (one row per pair and method), ``summary.csv`` (mean
scores by method and bin), ``report.md`` with the tables and SVG plots. Metrics are those of
:mod:`inpaint_core.metrics` (PSNR and SSIM, whole image and hole), on the uncompressed output.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from inpaint_core.cases import IMAGE_EXTENSIONS
from inpaint_core.imageio import load_image, to_uint8_rgb
from inpaint_core.masks import BIN_WIDTH, bin_label, bin_order  # noqa: F401  (bin_label re-exported)
from inpaint_core.metrics import METRICS, SSIM_VARIANT
from inpaint_core.problem import Problem

from .builder import DEFAULT_TIME_LIMIT, _progress, map_jobs, method_key
from .specs import square_resize

FAST_METHODS = ("telea", "navier_stokes", "harmonic", "biharmonic", "total_variation")
BENCH_COLUMNS = [
    "pair", "image", "mask", "hole_percent", "bin", "method", *METRICS,
    "seconds", "status", "ssim_variant", "method_version", "params_hash", "seed", "error",
]


def list_files(folder: str | os.PathLike) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder.")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS + (".bmp",))
    if not files:
        raise FileNotFoundError(f"{folder} holds no images (png, jpg, webp, bmp).")
    return files


def prepare_mask(path: str | os.PathLike, size: int, *, invert: bool = False) -> np.ndarray:
    """A mask file -> bool (size, size): nonzero = hole (``invert``: zero = hole)."""
    raw = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if raw is None:
        raise ValueError(f"{path} could not be read as a mask.")
    hole = (raw == 0) if invert else (raw > 0)
    h, w = hole.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    hole = hole[top : top + side, left : left + side].astype(np.float32)
    return cv2.resize(hole, (size, size), interpolation=cv2.INTER_AREA) >= 0.5


def prepare_image(path: str | os.PathLike, size: int) -> np.ndarray:
    return square_resize(to_uint8_rgb(load_image(path)), size)


def _scan_masks(task: tuple[list[str], int, bool]) -> list[tuple[str, float]]:
    paths, size, invert = task
    out = []
    for path in paths:
        hole = prepare_mask(path, size, invert=invert)
        out.append((path, 100.0 * float(hole.mean())))
    return out


def index_bin(path: Path, block: int) -> str:
    """The bin a mask's file index puts it in (NVIDIA's test set: 2000 masks per 10 % bin)."""
    try:
        index = int(Path(path).stem)
    except ValueError:
        raise ValueError(f"--bin-by-index needs numbered mask files; got {Path(path).name}.") from None
    return f"{(index // block) * BIN_WIDTH:.0f}-{(index // block + 1) * BIN_WIDTH:.0f} %"


def select_masks(paths: Sequence[Path], size: int, *, per_bin: int | None = None, limit: int | None = None,
                 invert: bool = False, bin_by_index: int | None = None, workers: int = 1,
                 engine: str = "local") -> list[tuple[Path, str, int]]:
    """(path, bin, rank in its bin) of the masks to use: the first ``per_bin`` of each bin,
    interleaved bin by bin so that ``limit`` keeps every bin. Bins come from the hole's measured area at ``size``
    (empty and full masks dropped) or, with ``bin_by_index``, from the file's number."""
    by_bin: dict[str, list[tuple[Path, str]]] = {}
    if bin_by_index:
        for path in paths:
            label = index_bin(path, bin_by_index)
            by_bin.setdefault(label, []).append((path, label))
    else:
        chunks = [([str(p) for p in paths[i : i + 200]], size, invert) for i in range(0, len(paths), 200)]
        scanned: dict[str, float] = {}
        for part in map_jobs(_scan_masks, chunks, workers=workers, engine=engine):
            scanned.update(part)
        for path in paths:
            percent = scanned[str(path)]
            if 0.0 < percent < 100.0:
                label = bin_label(percent)
                by_bin.setdefault(label, []).append((path, label))
    if per_bin is not None:
        by_bin = {k: v[:per_bin] for k, v in by_bin.items()}
    labels = sorted(by_bin, key=bin_order)
    chosen = []
    for i in range(max((len(v) for v in by_bin.values()), default=0)):
        chosen += [(*by_bin[label][i], i) for label in labels if i < len(by_bin[label])]
    return chosen[:limit] if limit is not None else chosen


@dataclasses.dataclass
class PairJob:
    pair: int
    image_path: str
    mask_path: str
    size: int
    invert: bool
    bin: str
    methods: list[tuple[str, dict, str, str]]  # (name, params, version, params hash)
    seed: int
    time_limit: float | None


def run_pair(job: PairJob) -> list[dict]:
    """Every method on one (image, mask) pair; one row each."""
    from inpaint_core.engine import run_one
    from inpaint_core.masks import hole_percent

    image = prepare_image(job.image_path, job.size)
    hole = prepare_mask(job.mask_path, job.size, invert=job.invert)
    percent = hole_percent(hole)
    rows = []
    if not hole.any() or hole.all():
        return rows  # nothing to fill, or nothing to fill from
    for name, params, version, p_hash in job.methods:
        result = run_one(Problem.check(image, hole), name, params, seed=job.seed, time_limit=job.time_limit)
        m = result.metrics
        rows.append({
            "pair": job.pair, "image": Path(job.image_path).name, "mask": Path(job.mask_path).name,
            "hole_percent": round(percent, 3), "bin": job.bin, "method": name,
            **{name: m.get(name, np.nan) for name in METRICS},
            "seconds": round(result.seconds, 4), "status": result.status, "ssim_variant": SSIM_VARIANT,
            "method_version": version, "params_hash": p_hash, "seed": job.seed, "error": result.error,
        })
    return rows


# ----------------------------------------------------------------------------- summaries
def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean scores by method and hole-area bin (ok runs only), plus an 'all' bin."""
    ok = results[results["status"] == "ok"]
    metrics = [*METRICS, "seconds"]
    by_bin = ok.groupby(["method", "bin"])[metrics].mean().reset_index()
    by_bin["n"] = ok.groupby(["method", "bin"]).size().values
    overall = ok.groupby("method")[metrics].mean().reset_index().assign(bin="all")
    overall["n"] = ok.groupby("method").size().values
    frame = pd.concat([by_bin, overall], ignore_index=True)
    frame["_b"] = frame["bin"].map(lambda b: 1e9 if b == "all" else bin_order(b))
    return frame.sort_values(["method", "_b"]).drop(columns="_b").reset_index(drop=True)


def markdown_table(frame: pd.DataFrame, digits: int = 2) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf", "#393b79", "#ad494a"]


def svg_line_chart(x_labels: Sequence[str], series: dict[str, Sequence[float]], title: str, y_label: str,
                   width: int = 640, height: int = 360) -> str:
    """A small self-contained SVG line chart (no plotting library needed to read the report)."""
    left, right, top, bottom = 60, 170, 36, 48
    values = [v for vs in series.values() for v in vs if v is not None and np.isfinite(v)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad
    pw, ph = width - left - right, height - top - bottom
    n = max(len(x_labels), 2)

    def sx(i: int) -> float:
        return left + pw * i / (n - 1)

    def sy(v: float) -> float:
        return top + ph * (1 - (v - lo) / (hi - lo))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             '<rect width="100%" height="100%" fill="white"/>',
             f'<text x="{width / 2 - right / 2}" y="20" text-anchor="middle" font-size="14">{html.escape(title)}</text>']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:.3g}</text>')
    for i, label in enumerate(x_labels):
        parts.append(f'<text x="{sx(i):.1f}" y="{top + ph + 18}" text-anchor="middle">{html.escape(label)}</text>')
    parts.append(f'<text x="14" y="{top + ph / 2}" transform="rotate(-90 14 {top + ph / 2})" text-anchor="middle">{html.escape(y_label)}</text>')
    for j, (name, vs) in enumerate(series.items()):
        colour = _PALETTE[j % len(_PALETTE)]
        pts = [(sx(i), sy(v)) for i, v in enumerate(vs) if v is not None and np.isfinite(v)]
        if pts:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}"/>')
            parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in pts]
        ly = top + 14 * j + 6
        parts.append(f'<line x1="{left + pw + 14}" x2="{left + pw + 30}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="3"/>')
        parts.append(f'<text x="{left + pw + 34}" y="{ly + 4}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_report(out: Path, results: pd.DataFrame, summary: pd.DataFrame, info: dict) -> Path:
    """report.md with the command, the tables and SVG plots of hole PSNR / SSIM by bin."""
    bins = sorted((b for b in summary["bin"].unique() if b != "all"), key=bin_order)
    methods = list(dict.fromkeys(results["method"]))
    pivots = {}
    for metric, label in (("psnr_hole", "hole PSNR (dB)"), ("ssim_hole", "hole SSIM")):
        pivot = summary[summary["bin"] != "all"].pivot(index="method", columns="bin", values=metric)
        pivot = pivot.reindex(index=methods, columns=bins)
        pivots[metric] = pivot
        series = {m: [float(pivot.loc[m, b]) for b in bins] for m in methods}
        (out / f"{metric}_by_bin.svg").write_text(svg_line_chart(bins, series, f"Mean {label} by hole-area bin", label))
    counts = results[results["method"] == methods[0]].groupby("bin").size().reindex(bins)
    status = results.groupby(["method", "status"]).size().unstack(fill_value=0).reset_index()
    overall = summary[summary["bin"] == "all"][["method", *METRICS, "seconds", "n"]]
    lines = [
        "# Inpainting benchmark by hole-area bin", "",
        f"Command: `{info['command']}`", "",
        f"Images: `{info['images']}` ({info['n_images']} files), masks: `{info['masks']}` "
        f"({info['n_masks']} used of {info['n_mask_files']}), all at {info['size']} px; bins by {info['bins']}; "
        f"{info['n_pairs']} pairs x {len(methods)} methods; {info['workers']} worker processes ({info['engine']}); "
        f"wall time {info['wall_seconds']:.0f} s on {info['machine']}.", "",
        f"SSIM variant: `{SSIM_VARIANT}`. Hole scores: PSNR over the hole's pixels; the SSIM map averaged "
        "over the hole's pixels only. Metrics are computed on each method's output, which is never stored lossily.", "",
        "Pairs per bin: " + ", ".join(f"{b}: {int(c)}" for b, c in counts.items()), "",
        "## Mean hole PSNR (dB) by bin", "", markdown_table(pivots["psnr_hole"].reset_index()), "",
        "![hole PSNR by bin](psnr_hole_by_bin.svg)", "",
        "## Mean hole SSIM by bin", "", markdown_table(pivots["ssim_hole"].reset_index(), 3), "",
        "![hole SSIM by bin](ssim_hole_by_bin.svg)", "",
        "## Overall (all bins)", "", markdown_table(overall.reset_index(drop=True), 3), "",
        "## Run status", "", markdown_table(status), "",
    ]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path


def run_benchmark(
    images: str | os.PathLike,
    masks: str | os.PathLike,
    out: str | os.PathLike,
    *,
    methods: Sequence[str] = FAST_METHODS,
    params: dict[str, dict] | None = None,
    size: int = 256,
    per_bin: int | None = None,
    limit: int | None = None,
    invert_masks: bool = False,
    bin_by_index: int | None = None,
    seed: int = 0,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    progress: bool = False,
    command: str = "",
) -> dict:
    """Run ``methods`` on image x mask pairs; write results, summary and report under ``out``."""
    start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    image_files = list_files(images)
    mask_files = list_files(masks)
    specs = []
    for name in methods:
        resolved, version, p_hash = method_key(name, (params or {}).get(name), seed)
        specs.append((name, resolved, version, p_hash))
    chosen = select_masks(mask_files, size, per_bin=per_bin, limit=limit, invert=invert_masks,
                          bin_by_index=bin_by_index, workers=workers, engine=engine)
    if not chosen:
        raise ValueError(f"No usable masks in {masks} (every mask was empty or full).")
    # within each bin, masks cycle over the images: every bin sees the same images (no image/bin confound)
    jobs = [PairJob(k, str(image_files[rank % len(image_files)]), str(path), size, invert_masks, label, specs, seed,
                    time_limit) for k, (path, label, rank) in enumerate(chosen)]
    rows: list[dict] = []
    for part in _progress(map_jobs(run_pair, jobs, workers=workers, engine=engine, scheduler=scheduler),
                          len(jobs), "benchmark", progress):
        rows.extend(part)
    results = pd.DataFrame(rows, columns=BENCH_COLUMNS).sort_values(["pair", "method"]).reset_index(drop=True)
    results.to_csv(out / "results.csv", index=False, float_format="%.10g")
    summary = summarise(results)
    summary.to_csv(out / "summary.csv", index=False, float_format="%.10g")
    info = {
        "command": command or "run_benchmark(...)", "images": str(images), "masks": str(masks),
        "n_images": len(image_files), "n_mask_files": len(mask_files), "n_masks": len(chosen), "n_pairs": len(jobs),
        "size": size, "bins": f"file index // {bin_by_index}" if bin_by_index else "measured hole area",
        "workers": workers, "engine": engine, "methods": list(methods),
        "wall_seconds": time.perf_counter() - start,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }
    write_report(out, results, summary, info)
    (out / "run.json").write_text(json.dumps(info, indent=1))
    return info
