"""The Applications tab's service: photo repair and de-watermarking, step by step.

Plain Python (no gradio). A tab loads a case (an example damaged by the seeded generator or stamped
with the project's own mark, whose clean photo and truth mask are known; or the user's own photo),
detects what to remove (:meth:`AppsService.detect`), lets the user edit that mask, then fills it with
one or more registered methods (:meth:`AppsService.fill`), scored against the clean photo when it is
known. Every user mistake is an :class:`~inpaint_core.errors.InpaintInputError` with one sentence.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..apps import dewatermark as wm
from ..apps import repair as rp
from ..apps.common import as_rgb8, detection_scores, dilate, fill, mask_iou
from ..engine import run_one
from ..errors import InpaintInputError
from ..imageio import downscale_to_cap, save_image
from ..masks import hole_percent
from ..metrics import METRICS, score
from ..problem import Problem
from ..registry import get_method

APPS = ("repair", "dewatermark")
EXAMPLES = {"astronaut": "Astronaut", "chelsea": "Chelsea the cat", "coffee": "Coffee", "rocket": "Rocket"}
STRENGTHS = rp.STRENGTHS
UNBLEND = "unblend"  # the pseudo-method: invert the mark's blend, inpaint only the rest
NO_PHOTO = "Pick an example or upload a photo first."
NO_TEMPLATE = "Upload the mark's template (RGBA, or the mark on a plain background) or pick an example first."
NO_METHOD = "Select at least one inpainting method."
EMPTY_MASK = "The mask is empty: press Detect, or paint what to remove with the brush, first."
FULL_MASK = "The mask covers the whole photo; leave some pixels to fill from."
TILE_PLACES = ((0.27, 0.27), (0.73, 0.27), (0.27, 0.73), (0.73, 0.73))


@dataclasses.dataclass
class AppCase:
    """What an application works on: the photo shown, and (for an example) what it hides."""

    app: str
    photo: np.ndarray  # uint8 RGB: damaged or marked
    clean: np.ndarray | None = None
    truth: np.ndarray | None = None
    template: np.ndarray | None = None  # de-watermarking: the mark (RGBA or RGB)
    title: str = "your photo"

    def describe(self) -> str:
        h, w = self.photo.shape[:2]
        known = " · the clean photo is known, so results are scored" if self.clean is not None else ""
        return f"{self.title}, {w}x{h} px{known}. Press **Detect**, edit the mask if needed, then **Fill**."


@dataclasses.dataclass
class FillRun:
    """The outcome of one Fill: a tile per method, a table, and the files to download."""

    tiles: list[tuple[np.ndarray, str]]
    table: pd.DataFrame
    outputs: dict[str, np.ndarray]
    zip_path: str
    status: str


def _check_app(app: str) -> str:
    if app not in APPS:
        raise InpaintInputError(f"Unknown application {app!r}; use one of {', '.join(APPS)}.")
    return app


class AppsService:
    """The two applications under a size cap and a per-method time limit."""

    def __init__(self, *, max_side: int = 512, time_limit: float = 120.0):
        self.max_side = int(max_side)
        self.time_limit = float(time_limit)

    # ------------------------------------------------------------------ cases
    def cap(self, image) -> tuple[np.ndarray, str]:
        """``image`` as uint8 RGB under the size cap: (image, notice or "")."""
        if image is None:
            raise InpaintInputError(NO_PHOTO)
        rgb = as_rgb8(image)
        small, factor = downscale_to_cap(rgb, self.max_side)
        if factor == 1.0:
            return rgb, ""
        return as_rgb8(small), (f"The photo was downscaled from {rgb.shape[1]}x{rgb.shape[0]} to "
                                f"{small.shape[1]}x{small.shape[0]} (the cap is {self.max_side} px).")

    def clean_example(self, name: str) -> np.ndarray:
        import skimage.data

        if name not in EXAMPLES:
            raise InpaintInputError(f"Unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}.")
        return self.cap(getattr(skimage.data, name)())[0]

    def repair_example(self, name: str, strength: str = "medium", seed: int = 0) -> AppCase:
        """A scikit-image sample with seeded damage (scratches, dust, creases, stamp, torn corner)."""
        clean = self.clean_example(name)
        damaged, truth = rp.damage(clean, strength, seed=int(seed))
        return AppCase("repair", damaged, clean, truth, title=f"Example {EXAMPLES[name]}, {strength} damage")

    def mark(self) -> np.ndarray:
        """The project's own mark (RGBA), the template of every de-watermarking example, sized for the cap."""
        return wm.draw_mark(max(48, round(0.22 * self.max_side)))

    def mark_example(self, name: str, *, scale: float = 1.0, angle: float = 0.0, opacity: float = 1.0,
                     tiled: bool = False) -> AppCase:
        """A scikit-image sample stamped with :meth:`mark`, scaled, rotated, semi-transparent, tiled."""
        if not 0.3 <= float(scale) <= 2.5:
            raise InpaintInputError(f"The mark's scale must be between 0.3 and 2.5, not {scale}.")
        if not 0.1 <= float(opacity) <= 1.0:
            raise InpaintInputError(f"The mark's opacity must be between 0.1 and 1, not {opacity}.")
        clean = self.clean_example(name)
        h, w = clean.shape[:2]
        places = TILE_PLACES if tiled else ((0.5, 0.4),)
        size = 0.8 * float(scale) if tiled else float(scale)
        placements = [(fx * w, fy * h, size, float(angle)) for fx, fy in places]
        marked, truth = wm.stamp_marks(clean, self.mark(), placements, opacity=float(opacity))
        how = f"scale {scale:g}, {angle:g}°, opacity {opacity:g}" + (", tiled" if tiled else "")
        return AppCase("dewatermark", marked, clean, truth, self.mark(), title=f"Example {EXAMPLES[name]}, mark {how}")

    def own_case(self, app: str, photo, template=None) -> tuple[AppCase, str]:
        """The user's photo (and mark template) under the cap: (case, notice)."""
        image, notice = self.cap(photo)
        if _check_app(app) == "dewatermark" and template is None:
            raise InpaintInputError(NO_TEMPLATE)
        tpl = None if template is None else np.asarray(template)
        return AppCase(app, image, template=tpl), notice

    # ------------------------------------------------------------------ detection
    def detect(self, case: AppCase | None) -> tuple[np.ndarray, str]:
        """The mask to remove (bool) and one line about it."""
        if case is None or case.photo is None:
            raise InpaintInputError(NO_PHOTO)
        if case.app == "repair":
            found = rp.detect_damage(case.photo)
            mask = dilate(found, rp.GROW_PX)
            line = f"Detected damage: {hole_percent(mask):.2f} % of the photo ({int(mask.sum()):,} px)"
            if case.truth is not None:
                d = detection_scores(found, case.truth)
                line += f" · precision {d.precision:.2f}, recall {d.recall:.2f} (±{d.tolerance} px)"
            return mask, line
        if case.template is None:
            raise InpaintInputError(NO_TEMPLATE)
        found = wm.find_marks(case.photo, case.template)
        mask = wm.marks_mask(found, case.photo.shape[:2])
        boxes = "; ".join(f"{b[2]}x{b[3]} at ({b[0]}, {b[1]}), {m.matches} matches"
                          for m in found for b in [m.box])
        line = f"Found {len(found)} mark{'s' * (len(found) != 1)}: {boxes} · mask {hole_percent(mask):.2f} %"
        if case.truth is not None:
            line += f" · IoU with the truth {mask_iou(np.any([m.footprint > 0.5 for m in found], axis=0), case.truth):.2f}"
        opacity = wm.estimate_opacity(case.photo, found, case.template, fill(case.photo, mask, "harmonic"))
        line += f" · opacity ≈ {opacity:.2f}"
        return mask, line

    # ------------------------------------------------------------------ filling
    def _mask_for(self, case: AppCase, mask) -> np.ndarray:
        import cv2

        if mask is None or not np.asarray(mask).any():
            raise InpaintInputError(EMPTY_MASK)
        mask = np.asarray(mask, bool)
        if mask.shape != case.photo.shape[:2]:
            mask = cv2.resize(mask.astype(np.uint8), case.photo.shape[1::-1], interpolation=cv2.INTER_NEAREST) > 0
        if mask.all():
            raise InpaintInputError(FULL_MASK)
        return mask

    def _run(self, case: AppCase, mask: np.ndarray, method: str, seed: int) -> tuple[np.ndarray | None, str, float]:
        """(output or None, error, seconds) of one method, or of un-blending (its own inpainting by telea)."""
        import time

        if method == UNBLEND:
            if case.app != "dewatermark" or case.template is None:
                raise InpaintInputError("Un-blending needs a mark: it is for de-watermarking only.")
            start = time.perf_counter()
            found = wm.find_marks(case.photo, case.template)
            out, _bad, _opacity = wm.unblend(case.photo, found, case.template, seed=seed)
            return out, "", time.perf_counter() - start
        result = run_one(Problem.check(case.photo, mask), method, seed=seed, time_limit=self.time_limit)
        return (as_rgb8(result.output) if result.status == "ok" else None), result.error, result.seconds

    def fill(self, case: AppCase | None, mask, methods: Sequence[str], seed: int = 0) -> FillRun:
        """Fill ``mask`` of the case's photo with each method; score against the clean photo if known."""
        if case is None or case.photo is None:
            raise InpaintInputError(NO_PHOTO)
        methods = list(dict.fromkeys(methods or []))
        if not methods:
            raise InpaintInputError(NO_METHOD)
        for name in methods:
            if name != UNBLEND:
                get_method(name)  # an unknown name fails before any work
        mask = self._mask_for(case, mask)
        rows, tiles, outputs = [], [], {}
        for name in methods:
            title = "Un-blend (+ Telea)" if name == UNBLEND else get_method(name).title
            out, error, seconds = self._run(case, mask, name, int(seed))
            row = {"method": title, "status": "ok" if out is not None else "failed", "seconds": round(seconds, 2)}
            caption = f"{title} · {seconds:.2f} s"
            if out is not None:
                outputs[name] = out
                if case.clean is not None:
                    scores = score(case.clean.astype(np.float64), out.astype(np.float64), mask)
                    row |= {METRICS[k].label: round(float(v), 4) for k, v in scores.items()}
                    caption = f"{title} · PSNR {METRICS['psnr'].format(scores['psnr'])} · {seconds:.2f} s"
                tiles.append((out, caption))
            else:
                row["error"] = error
                tiles.append((case.photo, f"{title}: failed: {error}"))
            rows.append(row)
        table = pd.DataFrame(rows)
        if case.clean is not None:
            before = score(case.clean.astype(np.float64), case.photo.astype(np.float64), mask)
            table = pd.concat([pd.DataFrame([{"method": "(input, unfilled)", "status": "-", "seconds": 0.0}
                                             | {METRICS[k].label: round(float(v), 4) for k, v in before.items()}]),
                               table], ignore_index=True)
        status = (f"Filled {hole_percent(mask):.2f} % of the photo with {len(outputs)} of {len(methods)} "
                  f"method{'s' * (len(methods) > 1)}" + (" · scored against the clean photo" if case.clean is not None
                                                          else " · no clean photo, so no scores"))
        return FillRun(tiles, table, outputs, self.export_zip(case, mask, outputs, table), status)

    @staticmethod
    def export_zip(case: AppCase, mask: np.ndarray, outputs: dict[str, np.ndarray], table: pd.DataFrame) -> str:
        """Input, mask, each result as PNG, scores.csv, in one zip (in a fresh temporary folder)."""
        folder = Path(tempfile.mkdtemp(prefix="inpaint-lab-apps-"))
        path = folder / f"inpaint-lab-{case.app}.zip"
        files = [("input", case.photo), ("mask", mask), *((f"result_{k}", v) for k, v in outputs.items())]
        if case.clean is not None:
            files.append(("clean", case.clean))
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, array in files:
                save_image(folder / f"{name}.png", array)
                zf.write(folder / f"{name}.png", f"{name}.png")
            zf.writestr("scores.csv", table.to_csv(index=False))
            zf.writestr("case.json", json.dumps({"application": case.app, "title": case.title,
                                                 "methods": list(outputs)}, indent=1))
        return str(path)
