"""The Gallery's service: the shipped gallery's tables, one case's view, the leaderboard, the charts.

Plain Python (no gradio): the Gallery tab only lays out and adapts. It reads what
``python -m gallery build`` wrote (case folders, ``results.csv``, ``timing.csv``) and computes
nothing but summaries. Every image it returns is :meth:`inpaint_core.cases.Case.image`: the
original's known pixels with the stored, lossless fill in the hole. Hole-area bins follow the NVIDIA
irregular-mask protocol (Liu et al. 2018, https://doi.org/10.1007/978-3-030-01252-6_6).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..cases import Case, list_cases, read_case
from ..errors import InpaintInputError
from ..geometry import square_box
from ..imageio import tint_hole
from ..masks import bin_label, bin_order
from ..metrics import METRICS
from ..registry import FAMILY_ORDER, find_any_method

RESULT_COLUMNS = [
    "case", "image", "mask_type", "hole_percent", "method", *METRICS,
    "seconds", "ssim_variant", "method_version", "params_hash", "seed", "status",
    # beyond the documented table: what is needed to recompute a row and to explain a failure
    "params", "case_hash", "error",
]
TIMING_COLUMNS = ["method", "size", "pixels", "hole_percent", "seconds", "status", "method_version", "params_hash", "seed",
                  "protocol"]
GROUPINGS = {"hole type": "mask_type", "hole-area bin": "bin"}
ZOOM_MARGIN = 12
HOLE_TINT = (255, 0, 255)  # magenta


def read_results(root: str | os.PathLike) -> pd.DataFrame:
    """The gallery's results table (empty with the right columns if there is none)."""
    path = Path(root) / "results.csv"
    if not path.exists():
        return pd.DataFrame(columns=RESULT_COLUMNS)
    frame = pd.read_csv(path, dtype={"params_hash": str, "case_hash": str, "method_version": str,
                                     "error": str, "params": str})
    for col in RESULT_COLUMNS:
        if col not in frame:
            frame[col] = np.nan
    frame["error"] = frame["error"].fillna("")
    return frame[RESULT_COLUMNS]


def read_timing(root: str | os.PathLike) -> pd.DataFrame:
    """The gallery's timing table (each method at several sizes on one image)."""
    path = Path(root) / "timing.csv"
    if not path.exists():
        return pd.DataFrame(columns=TIMING_COLUMNS)
    return pd.read_csv(path, dtype={"params_hash": str, "method_version": str})


def zoom(image: np.ndarray, box: tuple[slice, slice], size: int = 256) -> np.ndarray:
    """``image[box]`` scaled to ``size`` px (nearest neighbour when enlarging: pixels stay visible)."""
    import cv2

    crop = image[box]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_NEAREST if crop.shape[0] < size else cv2.INTER_AREA)


def method_title(name: str) -> str:
    method = find_any_method(name)
    return method.title if method else name


def method_family(name: str) -> str:
    """An inpainting method's family; a restoration method's task ("demosaic")."""
    method = find_any_method(name)
    return getattr(method, "family", None) or getattr(method, "task", None) or "other"


@dataclasses.dataclass
class CaseView:
    """Everything the Gallery shows for one case."""

    case_id: str
    title: str  # one Markdown line: case, hole type, hole %, source (and what has no output)
    tiles: list[tuple[np.ndarray, str]]  # (image, caption): original, input, then one per method
    methods: list[tuple[str, str]]  # (title, name) of the methods with a tile, in tile order
    table: pd.DataFrame  # the case's scores, best hole PSNR first
    slider: tuple[np.ndarray, np.ndarray] | None  # before / after of the first method


class GalleryService:
    """The gallery at ``root``; tables are re-read when their files change."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._stamp: tuple[float, float] | None = None
        self._tables: tuple[pd.DataFrame, pd.DataFrame] | None = None

    # ------------------------------------------------------------------ tables
    def _mtimes(self) -> tuple[float, float]:
        return tuple((self.root / f).stat().st_mtime if (self.root / f).exists() else 0.0
                     for f in ("results.csv", "timing.csv"))

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(results with family, title and bin columns added, timing)."""
        stamp = self._mtimes()
        if self._tables is None or stamp != self._stamp:
            results = read_results(self.root)
            if len(results):
                results = results.assign(
                    family=results["method"].map(method_family), title=results["method"].map(method_title),
                    bin=results["hole_percent"].astype(float).map(bin_label),
                )
                for col in METRICS:
                    results[col] = pd.to_numeric(results[col], errors="coerce").replace([np.inf, -np.inf], np.nan)
            self._tables, self._stamp = (results, read_timing(self.root)), stamp
        return self._tables

    def refresh(self) -> None:
        """Forget the cached tables (after a rebuild)."""
        self._tables = None

    def cases(self) -> list[Case]:
        """Case folders in the builder's order (image by image, hole types in preset order)."""
        results, _ = self.tables()
        rank = {c: i for i, c in enumerate(dict.fromkeys(results["case"]))} if len(results) else {}
        return sorted(list_cases(self.root), key=lambda c: (rank.get(c.case_id, len(rank)), c.case_id))

    def hole_types(self) -> list[str]:
        return list(dict.fromkeys(k for k in (c.meta.get("mask_type") for c in self.cases()) if k))

    def families(self) -> list[str]:
        results, _ = self.tables()
        present = set(results["family"]) if len(results) else set()
        # the inpainting families in their order, then the restoration tasks (the de-mosaicing cases' methods)
        return [f for f in FAMILY_ORDER if f in present] + sorted(present - set(FAMILY_ORDER)) or list(FAMILY_ORDER)

    def case_choices(self, hole_types: list[str] | None = None) -> list[tuple[str, str]]:
        """(label, case id) of every case, or of those of the given hole types."""
        chosen = set(hole_types or []) & set(self.hole_types())
        out = []
        for case in self.cases():
            kind = case.meta.get("mask_type", "")
            if chosen and kind not in chosen:
                continue
            out.append((f"{case.meta.get('image', case.case_id)} · {kind} · {case.meta.get('hole_percent', '?')} % hole",
                        case.case_id))
        return out

    def _rows(self, case_id: str | None, families: list[str] | None) -> pd.DataFrame:
        results, _ = self.tables()
        rows = results[results["case"] == case_id] if (len(results) and case_id) else results
        return rows[rows["family"].isin(families)] if (families and len(rows)) else rows

    def _method_order(self, rows: pd.DataFrame) -> list[str]:
        order = {f: i for i, f in enumerate(FAMILY_ORDER)}
        methods = list(dict.fromkeys(rows["method"])) if len(rows) else []
        return sorted(methods, key=lambda m: order.get(method_family(m), len(order)))

    # ------------------------------------------------------------------ one case
    def _case(self, case_id: str | None) -> Case:
        if not case_id:
            raise InpaintInputError("Pick a case first (the list is empty until the gallery is built: python -m gallery build).")
        folder = self.root / case_id
        if not (folder / "case.json").exists():
            raise InpaintInputError(f"There is no gallery case called {case_id!r}; pick one from the list.")
        return read_case(folder)

    def _before(self, case: Case) -> np.ndarray:
        """The damaged input as a visitor sees it: the damaged photo (stamped, scratched, mosaicked),
        or the hole in magenta."""
        damaged = case.damaged()
        if damaged is not None:
            return damaged
        return tint_hole(case.image("original"), case.mask(), HOLE_TINT)

    def tile_methods(self, case_id: str, families: list[str] | None) -> list[str]:
        """The methods with a tile in the case's grid, in tile order (after original and input)."""
        case = self._case(case_id)
        rows = self._rows(case_id, families)
        ok = set(rows.loc[rows["status"] == "ok", "method"])
        return [m for m in self._method_order(rows) if m in ok and m in case.outputs]

    def case_view(self, case_id: str | None, families: list[str] | None = None, zoomed: bool = False) -> CaseView:
        """Every method's output on one case, captioned with its scores, and the case's table."""
        case = self._case(case_id)
        hole = case.mask()
        box = square_box(hole, ZOOM_MARGIN) if zoomed else (slice(None), slice(None))
        view = (lambda im: zoom(im, box)) if zoomed else (lambda im: im)
        repair = case.input_path is not None
        tiles = [(view(case.image("original")), "Original (ground truth)"),
                 (view(self._before(case)), "Input: damaged photo" if repair else "Input: hole in magenta")]
        rows = self._rows(case.case_id, families)
        shown = self.tile_methods(case.case_id, families)
        for method in shown:
            row = rows[rows["method"] == method].iloc[0]
            scores = " · ".join(f"{METRICS[m].label} {METRICS[m].format(row[m])}" for m in ("psnr_hole", "ssim_hole"))
            tiles.append((view(case.image(method)), f"{row['title']} · {scores} · {row['seconds']:.2f} s"))
        failed = [f"{r['title']} ({r['status']})" for _, r in rows.iterrows() if r["method"] not in shown]
        columns = ["method", "title", "family", "status", *METRICS, "seconds", "method_version", "error"]
        table = rows.reindex(columns=columns).sort_values("psnr_hole", ascending=False, na_position="last")
        table = table.round({name: metric.digits + 1 for name, metric in METRICS.items()} | {"seconds": 3})
        meta = case.meta
        title = (f"**{case.case_id}** · {meta.get('mask_type', '')} · {meta.get('hole_percent', '?')} % hole · "
                 f"source: {meta.get('source', '')}")
        if failed:
            title += "  \nNo output here (see the table for why): " + ", ".join(failed)
        slider = self.slider(case.case_id, shown[0], zoomed) if shown else None
        return CaseView(case.case_id, title, tiles, [(method_title(m), m) for m in shown], table.reset_index(drop=True),
                        slider)

    def slider(self, case_id: str | None, method: str | None, zoomed: bool = False):
        """(before, after) of one method on one case, or None when nothing is picked."""
        if not case_id or not method:
            return None
        case = self._case(case_id)
        if method not in case.outputs:
            raise InpaintInputError(f"{method_title(method)} has no output for {case_id}.")
        before, after = self._before(case), case.image(method)
        if zoomed:
            box = square_box(case.mask(), ZOOM_MARGIN)
            before, after = zoom(before, box), zoom(after, box)
        return before, after

    # ------------------------------------------------------------------ summaries
    def leaderboard(self, group_by: str = "hole type", metric: str = "psnr_hole",
                    families: list[str] | None = None) -> pd.DataFrame:
        """Mean score per method by hole type or hole-area bin (ok runs only), best first.

        A mean over the few cases a method could do is not comparable with one over every case:
        only methods that completed every case are ranked; the others say how many cases their
        means cover.
        """
        results, _ = self.tables()
        if not len(results):
            return pd.DataFrame({"message": ["The gallery is not built yet: run python -m gallery build."]})
        column = GROUPINGS.get(group_by, "mask_type")
        spec = METRICS.get(metric, METRICS["psnr_hole"])
        rows = self._rows(None, families)
        ok = rows[rows["status"] == "ok"]
        table = ok.pivot_table(index="method", columns=column, values=spec.name, aggfunc="mean")
        if column == "bin":
            table = table[sorted(table.columns, key=bin_order)]
        else:
            table = table[[k for k in dict.fromkeys(results["mask_type"]) if k in table.columns]]
        table.insert(0, "all", ok.groupby("method")[spec.name].mean())
        n_cases = rows["case"].nunique()
        done = ok.groupby("method")["case"].nunique().reindex(table.index).fillna(0).astype(int)
        table["ok runs"] = done
        failed = rows[rows["status"] != "ok"].groupby("method").size()
        table["failed runs"] = failed.reindex(table.index).fillna(0).astype(int)
        table.insert(0, "family", [method_family(m) for m in table.index])
        table.insert(0, "title", [method_title(m) for m in table.index])
        table = table.assign(_complete=done == n_cases).sort_values(
            ["_complete", "all"], ascending=[False, not spec.higher_is_better])
        ranks = iter(range(1, len(table) + 1))
        table.insert(0, "rank", [str(next(ranks)) if full else f"unranked: {n} of {n_cases} cases"
                                 for full, n in zip(table["_complete"], table["ok runs"])])
        table = table.drop(columns="_complete").round(spec.digits).reset_index()
        return table[["rank", *[c for c in table.columns if c != "rank"]]]

    def charts(self, metric: str = "psnr_hole", families: list[str] | None = None):
        """Plotly figures: mean score per method by hole type; seconds against image size."""
        import plotly.graph_objects as go

        results, timing = self.tables()
        spec = METRICS.get(metric, METRICS["psnr_hole"])
        label = spec.label + (f" ({spec.unit})" if spec.unit else "")
        scores = go.Figure()
        rows = self._rows(None, families)
        if len(rows):
            ok = rows[rows["status"] == "ok"]
            kinds = list(dict.fromkeys(results["mask_type"]))
            means = ok.pivot_table(index="method", columns="mask_type", values=spec.name, aggfunc="mean")
            for method in self._method_order(ok):
                scores.add_trace(go.Bar(name=method_title(method), x=kinds, y=[means.loc[method].get(k, np.nan) for k in kinds]))
        scores.update_layout(barmode="group", title=f"Mean {label} by hole type", xaxis_title="hole type",
                             yaxis_title=label, height=460, margin=dict(l=50, r=20, t=50, b=40),
                             legend=dict(font=dict(size=10)))
        cost = go.Figure()
        if len(timing):
            t = timing[timing["status"] == "ok"]
            if families:
                t = t[t["method"].map(method_family).isin(families)]
            for method in self._method_order(t):
                part = t[t["method"] == method].sort_values("size")
                cost.add_trace(go.Scatter(name=method_title(method), x=part["size"], y=part["seconds"], mode="lines+markers"))
        cost.update_layout(title="Time against image size (one image, object-like hole)", xaxis_title="image side (px)",
                           yaxis_title="seconds (log)", yaxis_type="log", height=460,
                           margin=dict(l=50, r=20, t=50, b=40), legend=dict(font=dict(size=10)))
        return scores, cost
