"""The Gallery tab: browse every method on the shipped cases, with a leaderboard and charts.

Reads what ``python -m gallery build`` wrote under ``config.gallery_dir`` (case folders,
results.csv, timing.csv); computes nothing but summaries. Scores are those of the build:
PSNR and SSIM (Wang et al. 2004) on each method's uncompressed output, over the whole image
and over the hole; hole-area bins 0-10 %, 10-20 %, ... follow the NVIDIA irregular-mask
protocol (Liu et al. 2018, https://doi.org/10.1007/978-3-030-01252-6_6).
"""

from __future__ import annotations

import functools
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd

from inpaint_core.base import FAMILY_ORDER, get_method
from inpaint_core.cases import list_cases, read_case
from inpaint_core.errors import InpaintInputError
from inpaint_core.imageio import load_image, load_mask, to_uint8_rgb

from .config import AppConfig

ALL = "All hole types"
METRICS = {"psnr_hole": "Hole PSNR (dB)", "ssim_hole": "Hole SSIM", "psnr": "PSNR (dB)", "ssim": "SSIM"}
GROUPINGS = {"hole type": "mask_type", "hole-area bin": "bin"}
ZOOM_MARGIN = 12
HOLE_TINT = np.array([255, 0, 255], np.float32)
CASE_COLUMNS = ["method", "title", "family", "status", "psnr_hole", "ssim_hole", "psnr", "ssim", "seconds", "method_version",
                "error"]


# ------------------------------------------------------------------------------ data
def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else 0.0


@functools.lru_cache(maxsize=8)
def _read_tables(root: str, stamp: tuple[float, float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    from gallery.builder import read_results, read_timing

    results = read_results(root)
    if len(results):
        results = results.assign(
            family=results["method"].map(_family), title=results["method"].map(_title),
            bin=results["hole_percent"].astype(float).map(_bin_label),
        )
        for col in METRICS:
            results[col] = pd.to_numeric(results[col], errors="coerce").replace([np.inf, -np.inf], np.nan)
    return results, read_timing(root)


def load_tables(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, timing) of the gallery at ``root``, re-read when the files change."""
    root = Path(root)
    return _read_tables(str(root), (_mtime(root / "results.csv"), _mtime(root / "timing.csv")))


def _bin_label(percent: float) -> str:
    from gallery.benchmark import bin_label

    return bin_label(percent)


def _family(method: str) -> str:
    try:
        return get_method(method).family
    except InpaintInputError:
        return "other"


def _title(method: str) -> str:
    try:
        return get_method(method).title
    except InpaintInputError:
        return method


def _case_choices(root: Path, hole_types: list[str] | None) -> list[tuple[str, str]]:
    chosen = set(hole_types or []) - {ALL}
    out = []
    for case in _ordered_cases(root):
        kind = case.meta.get("mask_type", "")
        if chosen and kind not in chosen:
            continue
        label = f"{case.meta.get('image', case.case_id)} · {kind} · {case.meta.get('hole_percent', '?')} % hole"
        out.append((label, case.case_id))
    return out


def _ordered_cases(root: Path):
    """Case folders in the builder's order (image by image, hole types in preset order)."""
    results, _ = load_tables(root)
    rank = {c: i for i, c in enumerate(dict.fromkeys(results["case"]))} if len(results) else {}
    return sorted(list_cases(root), key=lambda c: (rank.get(c.case_id, len(rank)), c.case_id))


def _families(root: Path) -> list[str]:
    results, _ = load_tables(root)
    present = set(results["family"]) if len(results) else set()
    return [f for f in FAMILY_ORDER if f in present] or list(FAMILY_ORDER)


def _hole_types(root: Path) -> list[str]:
    kinds = []
    for case in _ordered_cases(root):
        kind = case.meta.get("mask_type")
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds


def _method_order(results: pd.DataFrame) -> list[str]:
    order = {f: i for i, f in enumerate(FAMILY_ORDER)}
    methods = list(dict.fromkeys(results["method"])) if len(results) else []
    return sorted(methods, key=lambda m: order.get(_family(m), len(order)))


# ------------------------------------------------------------------------------ images
def _show_hole(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    shown = image.astype(np.float32)
    shown[hole] = 0.35 * shown[hole] + 0.65 * HOLE_TINT
    return shown.astype(np.uint8)


def _zoom_box(hole: np.ndarray, margin: int = ZOOM_MARGIN) -> tuple[slice, slice]:
    """The hole's bounding box grown by ``margin``, made square where the image allows."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    h, w = hole.shape
    top, bottom = max(rows[0] - margin, 0), min(rows[-1] + margin + 1, h)
    left, right = max(cols[0] - margin, 0), min(cols[-1] + margin + 1, w)
    side = min(max(bottom - top, right - left), h, w)
    top = min(max(0, (top + bottom - side) // 2), h - side)
    left = min(max(0, (left + right - side) // 2), w - side)
    return slice(top, top + side), slice(left, left + side)


def _zoom(image: np.ndarray, box: tuple[slice, slice], size: int = 256) -> np.ndarray:
    import cv2

    crop = image[box]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_NEAREST if crop.shape[0] < size else cv2.INTER_AREA)


def _case_images(root: Path, case_id: str) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    folder = Path(root) / case_id
    if not (folder / "case.json").exists():
        raise gr.Error(f"There is no gallery case called {case_id!r}; pick one from the list.")
    case = read_case(folder)
    original = to_uint8_rgb(load_image(case.original_path))
    hole = load_mask(case.mask_path)
    damaged_path = next((folder / f"input{ext}" for ext in (".webp", ".png", ".jpg") if (folder / f"input{ext}").exists()), None)
    before = to_uint8_rgb(load_image(damaged_path)) if damaged_path else _show_hole(original, hole)
    return case.meta | {"outputs": case.outputs}, original, hole, before


# ------------------------------------------------------------------------------ handlers
def gallery_filter(root: Path, hole_types: list[str] | None):
    """Hole-type filter -> the case list."""
    choices = _case_choices(root, hole_types)
    return gr.update(choices=choices, value=choices[0][1] if choices else None)


def gallery_case(root: Path, case_id: str | None, families: list[str] | None, zoom: bool):
    """One case: every method's output (grid), the before/after slider, and the case's table."""
    if not case_id:
        raise gr.Error("Pick a case first (the list is empty until the gallery is built: python -m gallery build).")
    meta, original, hole, before = _case_images(root, case_id)
    results, _ = load_tables(root)
    rows = results[results["case"] == case_id] if len(results) else results
    if families:
        rows = rows[rows["family"].isin(families)]
    box = _zoom_box(hole) if zoom else (slice(None), slice(None))
    view = (lambda im: _zoom(im, box)) if zoom else (lambda im: im)
    tiles = [(view(original), "Original (ground truth)"), (view(before), "Input: hole in magenta" if meta.get("mask_type") not in {"text", "watermark"} else "Input: damaged photo")]
    shown, failed = [], []
    for method in _method_order(rows):
        row = rows[rows["method"] == method].iloc[0]
        path = meta["outputs"].get(method)
        if row["status"] != "ok" or path is None:
            failed.append(f"{row['title']} ({row['status']})")
            continue
        output = to_uint8_rgb(load_image(path))
        tiles.append((view(output), f"{row['title']} · hole PSNR {row['psnr_hole']:.2f} dB · hole SSIM {row['ssim_hole']:.3f} · {row['seconds']:.2f} s"))
        shown.append((row["title"], method))
    table = rows.reindex(columns=CASE_COLUMNS).sort_values("psnr_hole", ascending=False, na_position="last")
    table = table.round({"psnr_hole": 2, "ssim_hole": 4, "psnr": 2, "ssim": 4, "seconds": 3})
    first = shown[0][1] if shown else None
    slider = _slider_pair(root, case_id, first, zoom, before=before, hole=hole) if first else None
    title = f"**{case_id}** · {meta.get('mask_type', '')} · {meta.get('hole_percent', '?')} % hole · source: {meta.get('source', '')}"
    if failed:
        title += "  \nNo output here (see the table for why): " + ", ".join(failed)
    return tiles, gr.update(choices=shown, value=first), slider, table, title


def _slider_pair(root: Path, case_id: str, method: str, zoom: bool, *, before=None, hole=None):
    if before is None:
        _, _, hole, before = _case_images(root, case_id)
    path = Path(root) / case_id
    output_path = next((p for p in path.iterdir() if p.stem == method), None)
    if output_path is None:
        raise gr.Error(f"{method} has no output for {case_id}.")
    after = to_uint8_rgb(load_image(output_path))
    if zoom:
        box = _zoom_box(hole)
        before, after = _zoom(before, box), _zoom(after, box)
    return (before, after)


def gallery_slider(root: Path, case_id: str | None, method: str | None, zoom: bool):
    """Before/after slider for one method's output on the chosen case."""
    if not case_id or not method:
        return None
    return _slider_pair(root, case_id, method, zoom)


def gallery_pick(root: Path, case_id: str | None, families: list[str] | None, zoom: bool, evt: gr.SelectData = None):
    """A click on a method's tile shows that method in the before/after slider."""
    if not case_id or evt is None or evt.index is None:
        return gr.update(), gr.update()
    results, _ = load_tables(root)
    rows = results[results["case"] == case_id] if len(results) else results
    if families:
        rows = rows[rows["family"].isin(families)]
    methods = _method_order(rows)
    methods = [m for m in methods if rows[rows["method"] == m].iloc[0]["status"] == "ok"]  # the grid's tiles
    index = (evt.index[0] if isinstance(evt.index, (list, tuple)) else int(evt.index)) - 2  # after original, input
    if not 0 <= index < len(methods):
        return gr.update(), gr.update()
    method = methods[index]
    return gr.update(value=method), _slider_pair(root, case_id, method, zoom)


def gallery_leaderboard(root: Path, group_by: str, metric: str, families: list[str] | None):
    """Mean score per method by hole type or by hole-area bin (ok runs only), best first."""
    results, _ = load_tables(root)
    if not len(results):
        return pd.DataFrame({"message": ["The gallery is not built yet: run python -m gallery build."]})
    column = GROUPINGS.get(group_by, "mask_type")
    metric = metric if metric in METRICS else "psnr_hole"
    rows = results[results["family"].isin(families)] if families else results
    ok = rows[rows["status"] == "ok"]
    table = ok.pivot_table(index="method", columns=column, values=metric, aggfunc="mean")
    if column == "bin":
        from gallery.benchmark import bin_order

        table = table[sorted(table.columns, key=bin_order)]
    else:
        order = [k for k in dict.fromkeys(results["mask_type"]) if k in table.columns]
        table = table[order]
    table.insert(0, "all", ok.groupby("method")[metric].mean())
    table["ok runs"] = ok.groupby("method").size().reindex(table.index).fillna(0).astype(int)
    failed = rows[rows["status"] != "ok"].groupby("method").size()
    table["failed runs"] = failed.reindex(table.index).fillna(0).astype(int)
    table.insert(0, "family", [_family(m) for m in table.index])
    table.insert(0, "title", [_title(m) for m in table.index])
    digits = 2 if metric.startswith("psnr") else 4
    table = table.sort_values("all", ascending=False).round(digits).reset_index()
    return table


def gallery_charts(root: Path, metric: str, families: list[str] | None):
    """Plotly charts: mean score per method by hole type; seconds against image size."""
    import plotly.graph_objects as go

    results, timing = load_tables(root)
    metric = metric if metric in METRICS else "psnr_hole"
    scores = go.Figure()
    rows = results[results["family"].isin(families)] if (families and len(results)) else results
    if len(rows):
        ok = rows[rows["status"] == "ok"]
        kinds = list(dict.fromkeys(results["mask_type"]))
        means = ok.pivot_table(index="method", columns="mask_type", values=metric, aggfunc="mean")
        for method in _method_order(ok):
            values = [means.loc[method].get(k, np.nan) for k in kinds]
            scores.add_trace(go.Bar(name=_title(method), x=kinds, y=values))
    scores.update_layout(barmode="group", title=f"Mean {METRICS[metric]} by hole type", xaxis_title="hole type",
                         yaxis_title=METRICS[metric], height=460, margin=dict(l=50, r=20, t=50, b=40),
                         legend=dict(font=dict(size=10)))
    cost = go.Figure()
    if len(timing):
        t = timing[timing["status"] == "ok"]
        if families:
            t = t[t["method"].map(_family).isin(families)]
        for method in _method_order(t):
            part = t[t["method"] == method].sort_values("size")
            cost.add_trace(go.Scatter(name=_title(method), x=part["size"], y=part["seconds"], mode="lines+markers"))
    cost.update_layout(title="Time against image size (one image, object-like hole)", xaxis_title="image side (px)",
                       yaxis_title="seconds (log)", yaxis_type="log", height=460,
                       margin=dict(l=50, r=20, t=50, b=40), legend=dict(font=dict(size=10)))
    return scores, cost


def gallery_refresh(root: Path, hole_types: list[str] | None):
    """Re-read the gallery folder (after a rebuild) and update the case list and filters."""
    _read_tables.cache_clear()
    kinds = _hole_types(root)
    families = _families(root)
    return (gr.update(choices=[ALL] + kinds), gr.update(choices=families, value=families),
            gallery_filter(root, hole_types))


# ------------------------------------------------------------------------------ layout
def build_gallery_tab(config: AppConfig) -> None:
    """The Gallery tab's layout and wiring (call inside a ``gr.Tab``)."""
    root = Path(config.gallery_dir)
    families = _families(root)
    kinds = _hole_types(root)
    cases = _case_choices(root, None)
    first_case = cases[0][1] if cases else None
    # the first view, filled from what is on disk when the app starts
    tiles, methods, slider_value, table, title = ([], gr.update(choices=[], value=None), None, None, "")
    if first_case:
        tiles, methods, slider_value, table, title = gallery_case(root, first_case, families, False)
    board = gallery_leaderboard(root, "hole type", "psnr_hole", None)
    score_fig, time_fig = gallery_charts(root, "psnr_hole", None)

    gr.Markdown(
        "Every method on a fixed set of images and holes, precomputed (`python -m gallery build`). "
        "Pick a case to see all completions side by side; scores are measured against the intact original "
        "on each method's uncompressed output (the images shown are WebP)."
        + ("" if cases else "\n\n**The gallery is not built yet.** Run `python -m gallery build`, then press Refresh.")
    )
    with gr.Row():
        hole_filter = gr.Dropdown([ALL] + kinds, value=[ALL], multiselect=True, label="Hole types", scale=2)
        family_filter = gr.CheckboxGroup(families, value=families, label="Method families", scale=3)
        refresh = gr.Button("Refresh", scale=0, min_width=90)
    with gr.Row():
        case_pick = gr.Dropdown(cases, value=first_case, label="Case", scale=3)
        zoom = gr.Checkbox(False, label="Zoom on the hole", scale=1)
    case_title = gr.Markdown(title)
    grid = gr.Gallery(tiles, label="Every method on this case (click one to see it in the before/after slider)", columns=4, height=None, object_fit="contain",
                      format="png", allow_preview=True)
    with gr.Row():
        with gr.Column(scale=1):
            slider_method = gr.Dropdown(methods.get("choices", []), value=methods.get("value"),
                                        label="Before / after: method")
        with gr.Column(scale=2):
            slider = gr.ImageSlider(slider_value, label="Before / after (drag)", type="numpy", max_height=512)
    case_table = gr.Dataframe(table, label="Scores on this case", interactive=False)

    gr.Markdown("### Leaderboard\nMean score over the gallery's cases (successful runs only).")
    with gr.Row():
        group_by = gr.Radio(list(GROUPINGS), value="hole type", label="Group by")
        metric = gr.Radio([(v, k) for k, v in METRICS.items()], value="psnr_hole", label="Score")
    leaderboard = gr.Dataframe(board, label="Leaderboard", interactive=False)
    with gr.Row():
        score_plot = gr.Plot(score_fig, label="Score by hole type")
        time_plot = gr.Plot(time_fig, label="Time against image size")

    bind = functools.partial
    hole_filter.change(bind(gallery_filter, root), [hole_filter], [case_pick], api_name="gallery_filter")
    case_inputs = [case_pick, family_filter, zoom]
    case_outputs = [grid, slider_method, slider, case_table, case_title]
    case_pick.change(bind(gallery_case, root), case_inputs, case_outputs, api_name="gallery_case")
    family_filter.change(bind(gallery_case, root), case_inputs, case_outputs, api_name="gallery_case_families")
    zoom.change(bind(gallery_case, root), case_inputs, case_outputs, api_name="gallery_case_zoom")
    grid.select(bind(gallery_pick, root), [case_pick, family_filter, zoom], [slider_method, slider], api_name="gallery_pick")
    slider_method.input(bind(gallery_slider, root), [case_pick, slider_method, zoom], [slider], api_name="gallery_slider")
    board_inputs = [group_by, metric, family_filter]
    group_by.change(bind(gallery_leaderboard, root), board_inputs, [leaderboard], api_name="gallery_leaderboard")
    metric.change(bind(gallery_leaderboard, root), board_inputs, [leaderboard], api_name="gallery_leaderboard_metric")
    family_filter.change(bind(gallery_leaderboard, root), board_inputs, [leaderboard],
                         api_name="gallery_leaderboard_families")
    metric.change(bind(gallery_charts, root), [metric, family_filter], [score_plot, time_plot], api_name="gallery_charts")
    family_filter.change(bind(gallery_charts, root), [metric, family_filter], [score_plot, time_plot],
                         api_name="gallery_charts_families")
    refresh.click(bind(gallery_refresh, root), [hole_filter], [hole_filter, family_filter, case_pick],
                  api_name="gallery_refresh")
