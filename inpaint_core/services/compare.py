"""The Compare tab's service: prepare an image and its hole, run the methods, export, keep recent cases.

Plain Python (no gradio). The tab hands over plain arrays (the editor's background and brush
layers, an uploaded mask file's path) and shows what comes back; every user mistake is an
:class:`~inpaint_core.errors.InpaintInputError` with one sentence. The image and its hole are checked
once, in :meth:`CompareService.prepare`, and travel down as a :class:`~inpaint_core.problem.Problem`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine import MethodResult, compare_iter, results_table
from ..errors import InpaintInputError
from ..imageio import downscale_to_cap, load_mask, save_image, tint_hole, to_uint8_rgb
from ..masks import MASK_PRESETS, generate_mask, hole_percent
from ..metrics import METRICS
from ..problem import Problem
from ..registry import FAMILY_ORDER, all_methods, get_method

NO_IMAGE = "Pick an example or upload an image first."
EMPTY_MASK = "Draw a hole on the image (or pick a mask preset) first."
NO_METHOD = "Select at least one method."
FULL_MASK = "The hole covers the whole image; leave some known pixels to fill from."
KEEP_RECENT = 200  # finished compares kept in the recent folder
HOLE_TINT = (255, 45, 45)
# scikit-image's bundled sample images (no download needed): name -> (title, loader name)
EXAMPLES: dict[str, tuple[str, str]] = {
    "astronaut": ("Astronaut", "astronaut"),
    "coffee": ("Coffee", "coffee"),
    "chelsea": ("Chelsea the cat", "chelsea"),
    "rocket": ("Rocket", "rocket"),
    "camera": ("Cameraman", "camera"),
    "immunohistochemistry": ("Immunohistochemistry", "immunohistochemistry"),
    "brick": ("Brick (texture)", "brick"),
    "grass": ("Grass (texture)", "grass"),
}
FIRST_EXAMPLE = ("astronaut", "object")  # what the tab opens on: an example with a hole, ready to run
FAMILY_TITLES = {
    "diffusion": "Diffusion (PDE)", "variational": "Variational", "exemplar": "Exemplar-based",
    "patch-based": "Patch-based", "low-rank": "Low-rank", "learned": "Learned (deep)",
}
TABLE_SHOWN = ["title", "family", "status", *METRICS, "seconds", "error"]
# the step-through views for teaching: kind -> (button label, function of inpaint_core.teaching)
TEACHING_VIEWS = {
    "fill_order": ("Criminisi: fill order", "criminisi_fill_order"),
    "nnf": ("PatchMatch: nearest-neighbour field", "patchmatch_nnf_views"),
    "melding": ("Image melding: each patch's rotation and scale", "melding_views"),
    "planar": ("Planar guidance: segments by vanishing point, plane maps", "planar_views"),
}


def family_title(family: str) -> str:
    return FAMILY_TITLES.get(family, family.capitalize())


def masked_view(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The input as a method sees it, for display: the hole tinted red."""
    return tint_hole(image, mask, HOLE_TINT)


def load_example(name: str) -> np.ndarray:
    """One of :data:`EXAMPLES` as uint8 RGB, full size."""
    import skimage.data

    if name not in EXAMPLES:
        raise InpaintInputError(f"Unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}.")
    return to_uint8_rgb(getattr(skimage.data, EXAMPLES[name][1])())


def preset_key(preset: str | None) -> str:
    """A mask preset's key from its key or its title."""
    if not preset:
        raise InpaintInputError(f"Pick a mask preset ({', '.join(MASK_PRESETS)}).")
    key = next((k for k, (title, _) in MASK_PRESETS.items() if preset in (k, title)), None)
    if key is None:
        raise InpaintInputError(f"Unknown mask preset {preset!r}; known: {', '.join(MASK_PRESETS)}.")
    return key


def fit_mask(mask: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, str]:
    """An uploaded mask made the image's size: resized nearest-neighbour (with a notice) when its
    aspect ratio agrees within 2 %, else refused."""
    import cv2

    (h, w), (mh, mw) = shape, mask.shape
    if (mh, mw) == (h, w):
        return mask, ""
    if abs((mw / mh) / (w / h) - 1.0) > 0.02:
        raise InpaintInputError(f"The mask is {mw}x{mh} but the image is {w}x{h}; upload a mask of the image's size "
                                "or at least of its shape.")
    resized = cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    return resized, f"The mask was resized from {mw}x{mh} to the image's {w}x{h} (nearest neighbour)."


def mask_summary(image: np.ndarray, mask: np.ndarray, source: str = "") -> str:
    """One line: the image's size and the hole's share of it."""
    h, w = image.shape[:2]
    return (f"Image {w}x{h} px · hole {hole_percent(mask):.2f} % of the image"
            f" ({int(mask.sum()):,} px){' · ' + source if source else ''}")


def method_card(name: str | None) -> str:
    """A method's card as Markdown: idea, key formula, failure cases, citation, parameters."""
    if not name:
        return ""
    impl = get_method(name)
    card = impl.card
    lines = [f"### {impl.title} (`{impl.name}`)",
             f"*{family_title(impl.family)} · speed: {impl.speed}" + (" · needs weights" if impl.needs_weights else "")
             + "*", "", f"**Idea.** {card.idea}"]
    if card.formula:
        lines += ["", "**Key formula.**", "", f"$$\n{card.formula}\n$$"]
    if card.fails_when:
        lines += ["", f"**Fails when.** {card.fails_when}"]
    lines += ["", f"**Paper.** {impl.citation.markdown()}"]
    if not impl.params:
        return "\n".join(lines + ["", "No parameters."])
    lines += ["", "| parameter | default | range | meaning |", "|---|---|---|---|"]
    for p in impl.params:
        if p.choices is not None:
            span = ", ".join(map(str, p.choices))
        elif p.minimum is not None or p.maximum is not None:
            span = f"{'' if p.minimum is None else p.minimum} … {'' if p.maximum is None else p.maximum}"
        else:
            span = ""
        lines.append(f"| `{p.name}` | {p.default} | {span} | {p.help} |")
    return "\n".join(lines)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The results table as shown: the chosen columns, each metric rounded to its digits."""
    shown = table[TABLE_SHOWN].copy()
    for name, metric in METRICS.items():
        shown[name] = shown[name].astype(float).round(metric.digits + 1)
    shown["seconds"] = shown["seconds"].astype(float).round(3)
    return shown


def results_chart(table: pd.DataFrame):
    """Whole-image PSNR, SSIM, VIF and seconds per method: bar charts side by side (plotly)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    columns = [name for name, m in METRICS.items() if m.region == "image"] + ["seconds"]
    titles = [METRICS[c].label + (f" ({METRICS[c].unit})" if METRICS[c].unit else "") for c in columns[:-1]] + ["Time (s)"]
    ok = table[table["status"] == "ok"].iloc[::-1]  # first method on top
    fig = make_subplots(rows=1, cols=len(columns), shared_yaxes=True, horizontal_spacing=0.03, subplot_titles=titles)
    colours = ("#4c78a8", "#59a14f", "#b07aa1", "#e15759")
    for col, (column, colour) in enumerate(zip(columns, colours), start=1):
        fig.add_trace(go.Bar(y=ok["title"], x=ok[column], orientation="h", marker_color=colour, name=column,
                             hovertemplate="%{y}: %{x:.4g}<extra></extra>"), row=1, col=col)
    fig.update_layout(showlegend=False, height=120 + 34 * max(len(ok), 1), margin=dict(l=10, r=10, t=40, b=30))
    return fig


@dataclasses.dataclass
class CompareRun:
    """A compare in progress or done: the problem, the results so far, the settings."""

    problem: Problem
    methods: list[str]
    settings: dict
    results: list[MethodResult] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def outputs(self) -> dict[str, np.ndarray]:
        return {r.method: r.output for r in self.results if r.status == "ok"}

    def table(self) -> pd.DataFrame:
        return results_table(self.results, self.problem.hole)

    def best(self) -> str | None:
        """The finished method with the highest whole-image PSNR (what the slider shows first)."""
        ok = [r for r in self.results if r.status == "ok"]
        return max(ok, key=lambda r: r.metrics["psnr"]).method if ok else None

    def status(self, summary: str) -> str:
        n, done = len(self.methods), len(self.results)
        plural = "s" * (n > 1)
        if done < n:
            last = f" (last: {self.results[-1].title}, {self.results[-1].status})" if self.results else ""
            return f"{done}/{n} done{last} · {summary}" if done else f"Running {n} method{plural}… · {summary}"
        failed = n - len(self.outputs)
        return (f"Done: {n} method{plural} in {self.seconds:.1f} s" + (f", {failed} failed" if failed else "")
                + f" · {summary}")


class CompareService:
    """Compares under a size cap and a per-method time limit, with recent cases kept in ``recent_dir``."""

    def __init__(self, *, max_side: int, time_limit: float, recent_dir: str | Path, keep_recent: int = KEEP_RECENT):
        self.max_side = int(max_side)
        self.time_limit = float(time_limit)
        self.recent_dir = Path(recent_dir)
        self.keep_recent = int(keep_recent)

    # ------------------------------------------------------------------ inputs
    def cap(self, image: np.ndarray) -> tuple[np.ndarray, str]:
        """``image`` downscaled to the size cap; (image, notice or "")."""
        h, w = image.shape[:2]
        small, factor = downscale_to_cap(image, self.max_side)
        if factor == 1.0:
            return image, ""
        return small, (f"The image was downscaled from {w}x{h} to {small.shape[1]}x{small.shape[0]} "
                       f"(the cap is {self.max_side} px on the long side).")

    def prepare(self, image: np.ndarray | None, mask: np.ndarray | None) -> Problem:
        """The one check of what the user gave: an image (under the cap) and a hole that is neither
        empty nor the whole image. ``mask`` may have another size (a resized brush layer): it is
        scaled nearest-neighbour to the capped image."""
        import cv2

        if image is None:
            raise InpaintInputError(NO_IMAGE)
        image, notice = self.cap(to_uint8_rgb(image))
        if mask is None or not np.asarray(mask).any():
            raise InpaintInputError(EMPTY_MASK)
        mask = np.asarray(mask, bool)
        if mask.shape != image.shape[:2]:
            mask = cv2.resize(mask.astype(np.uint8), image.shape[1::-1], interpolation=cv2.INTER_NEAREST) > 0
        if mask.all():
            raise InpaintInputError(FULL_MASK)
        return Problem.check(image, mask, notice=notice)

    @staticmethod
    def mask_png(mask: np.ndarray) -> str:
        """The mask as a PNG file (255 = hole) in a fresh temporary folder, for download."""
        path = Path(tempfile.mkdtemp(prefix="inpaint-lab-")) / "mask.png"
        save_image(path, mask)
        return str(path)

    def example(self, name: str) -> tuple[np.ndarray, str]:
        """A bundled example under the cap: (image, notice)."""
        return self.cap(load_example(name))

    def first_example(self) -> tuple[np.ndarray, np.ndarray, str]:
        """The example and hole the tab opens on, so Run works at once: (image, hole, line)."""
        name, kind = FIRST_EXAMPLE
        image, _ = self.example(name)
        mask = generate_mask(kind, image.shape[:2], seed=0)
        return image, mask, mask_summary(image, mask, f"example {EXAMPLES[name][0]}, preset {MASK_PRESETS[kind][0]}")

    def preset(self, image: np.ndarray | None, preset: str | None, seed: int) -> tuple[np.ndarray, str]:
        """A generated preset hole for ``image``: (mask, line)."""
        if image is None:
            raise InpaintInputError(NO_IMAGE)
        key = preset_key(preset)
        mask = generate_mask(key, image.shape[:2], seed=seed)
        return mask, mask_summary(image, mask, f"preset {MASK_PRESETS[key][0]}, seed {seed}")

    def mask_file(self, image: np.ndarray | None, path: str | None) -> tuple[np.ndarray, str, str]:
        """An uploaded mask file (nonzero / white = hole) for ``image``: (mask, line, notice)."""
        if image is None:
            raise InpaintInputError(NO_IMAGE)
        if not path:
            raise InpaintInputError("Choose a mask file to upload (white or nonzero = hole).")
        mask, notice = fit_mask(load_mask(path), image.shape[:2])
        if not mask.any():
            raise InpaintInputError("The uploaded mask is empty: white (or nonzero) pixels mark the hole.")
        if mask.all():
            raise InpaintInputError(FULL_MASK)
        return mask, mask_summary(image, mask, "uploaded mask" + (f", {notice}" if notice else "")), notice

    @staticmethod
    def resolve_params(methods: Sequence[str], params: Mapping[str, Mapping[str, Any]]) -> dict[str, dict]:
        """Every selected method's parameters, coerced and checked (one sentence naming the
        parameter and the method for NaN, infinity, None, out of range...)."""
        if not methods:
            raise InpaintInputError(NO_METHOD)
        checked = {}
        for name in methods:
            impl = get_method(name)
            try:
                checked[name] = impl.resolve_params(params.get(name))
            except InpaintInputError as exc:
                raise InpaintInputError(f"{impl.title}: {exc}") from None
        return checked

    # ------------------------------------------------------------------ running
    def run(self, problem: Problem, methods: Sequence[str], params: Mapping[str, Mapping[str, Any]], *,
            seed: int = 0, postprocess: str = "none",
            progress: Callable[[float, str], None] | None = None) -> Iterator[CompareRun]:
        """Run ``methods`` one after another; yield the run after each result (and once before
        the first), so a UI can stream them. ``progress(fraction, message)`` covers the whole run."""
        params = self.resolve_params(methods, params)
        run = CompareRun(problem, list(methods), {"seed": seed, "postprocess": postprocess, "methods": list(methods),
                                                  "params": params})
        titles = {name: get_method(name).title for name in methods}
        n = len(methods)

        def relay(method: str, fraction: float, message: str) -> None:
            if progress is not None:
                progress((len(run.results) + fraction) / n, f"{titles[method]}: {message or 'running'}")

        if progress is not None:
            progress(0.0, f"Starting {n} method{'s' * (n > 1)}")
        yield run
        start = time.perf_counter()
        for result in compare_iter(problem, methods, params=params, seed=seed, time_limit=self.time_limit,
                                   postprocess=postprocess, progress=relay):
            run.results.append(result)
            run.seconds = time.perf_counter() - start
            yield run

    # ------------------------------------------------------------------ after the run
    def export_zip(self, run: CompareRun) -> str:
        """Everything as one zip: PNG per method, mask, original, masked input, metrics.csv, settings.json."""
        folder = Path(tempfile.mkdtemp(prefix="inpaint-lab-"))
        path = folder / "inpaint-lab-compare.zip"
        image, mask = run.problem.image, run.problem.hole
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, array in (("original", image), ("mask", mask), ("masked_input", masked_view(image, mask)),
                                *run.outputs.items()):
                file = folder / f"{name}.png"
                save_image(file, array)
                zf.write(file, f"{name}.png")
            zf.writestr("metrics.csv", run.table().to_csv(index=False))
            zf.writestr("settings.json", json.dumps(run.settings, indent=1, default=str))
        return str(path)

    def save_recent(self, run: CompareRun, *, offered: bool = False) -> str:
        """Keep the compare as a case folder (the newest ``keep_recent`` are kept); the voting study
        may show it only if ``offered`` (see :data:`inpaint_core.study.pairs.OFFERED_KEY`)."""
        from ..cases import write_case
        from ..study.pairs import OFFERED_KEY

        case = write_case(self.recent_dir, run.problem.image, run.problem.hole, run.outputs, source="compare",
                          mask_type="user", **{OFFERED_KEY: bool(offered)}, **run.settings)
        folders = sorted((p for p in self.recent_dir.iterdir() if p.is_dir()), key=lambda p: (p.stat().st_mtime, p.name))
        for old in folders[: -self.keep_recent]:
            shutil.rmtree(old, ignore_errors=True)
        return case.case_id

    def teaching_views(self, kind: str, problem: Problem, seed: int = 0) -> list[tuple[np.ndarray, str]]:
        """A step-through view from the real run on the user's image and hole, as (frame, caption)
        pairs: ``kind`` is one of :data:`TEACHING_VIEWS`."""
        from .. import teaching

        if kind not in TEACHING_VIEWS:
            raise InpaintInputError(f"Unknown teaching view {kind!r}; known: {', '.join(TEACHING_VIEWS)}.")
        fn = getattr(teaching, TEACHING_VIEWS[kind][1])
        return [(frame, caption) for caption, frame in fn(problem.image, problem.hole, seed=seed)]


def method_groups() -> list[tuple[str, list]]:
    """(family, methods) in :data:`FAMILY_ORDER`, for the method pickers."""
    methods = all_methods()
    return [(f, [m for m in methods if m.family == f]) for f in FAMILY_ORDER if any(m.family == f for m in methods)]
