"""The Applications tab's service: photo repair, de-watermarking and object removal, step by step.

Plain Python (no gradio). A tab loads a case (an example damaged by the seeded generator or stamped
with the project's own mark, whose clean photo and truth mask are known; or the user's own photo),
detects what to remove (:meth:`AppsService.detect`), lets the user edit that mask, then fills it with
one or more registered methods (:meth:`AppsService.fill`), scored against the clean photo when it is
known. Object removal takes the user's brushed object and guide curves (or proposes the curves,
:meth:`AppsService.propose_guides`) and fills with structure propagation first (:meth:`AppsService.remove`). Every user mistake is an :class:`~inpaint_core.errors.InpaintInputError` with one sentence.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..apps import demosaic as dm
from ..apps import dewatermark as wm
from ..apps import remove as rm
from ..apps import repair as rp
from ..apps.common import as_rgb8, detection_scores, dilate, fill, mask_iou
from ..engine import run_one
from ..errors import InpaintInputError
from ..imageio import downscale_to_cap, save_image
from ..masks import hole_percent
from ..metrics import METRICS, score
from ..problem import Problem
from ..registry import get_method

APPS = ("repair", "dewatermark", "remove", "demosaic", "deblur", "derain")
WHOLE_PHOTO = ("deblur", "derain")  # applications that restore every pixel (no mask)
RESTORING = ("demosaic", "deblur", "derain")  # applications whose methods come from the restoration registry
BLOCKS = (2, 4, 8, 16)  # the de-mosaicing examples' block sizes (the survey's table)
BLUR_SIZES = {"light": 9, "medium": 17, "heavy": 31}  # the de-blurring examples' kernel sizes (px)
EXAMPLES = {"astronaut": "Astronaut", "chelsea": "Chelsea the cat", "coffee": "Coffee", "rocket": "Rocket"}
SCENE = "scene"  # the project's drawn scene: object removal's first example puts the object on its wire
REMOVE_EXAMPLES = {SCENE: "Drawn scene (a ball over the wire)"} | EXAMPLES
SCENE_OBJECT = {"centre": (0.27, 0.3), "size": 0.1}  # on the wire, clear of the hills
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
    brushed: np.ndarray | None = None  # object removal: the object as a user would brush it (example)
    grow: int = 0  # object removal: how far the example's shadow reaches beyond the object
    kernel: np.ndarray | None = None  # de-blurring examples: the true kernel (for the non-blind baselines)
    grid: tuple | None = dataclasses.field(default=None, repr=False, compare=False)  # de-mosaicing: (mask key, grid)

    def describe(self) -> str:
        h, w = self.photo.shape[:2]
        known = " · the clean photo is known, so results are scored" if self.clean is not None else ""
        if self.app == "remove":
            return (f"{self.title}, {w}x{h} px{known}. Brush the object, draw guide curves (or press **Propose "
                    "guides**), then **Remove**.")
        if self.app in WHOLE_PHOTO:
            return f"{self.title}, {w}x{h} px{known}. Choose the methods, then **Restore**."
        act = "Restore" if self.app == "demosaic" else "Fill"
        return f"{self.title}, {w}x{h} px{known}. Press **Detect**, edit the mask if needed, then **{act}**."


@dataclasses.dataclass
class FillRun:
    """The outcome of one Fill: a tile per method, a table, and the files to download."""

    tiles: list[tuple[np.ndarray, str]]
    table: pd.DataFrame
    outputs: dict[str, np.ndarray]
    zip_path: str
    status: str


def _title(name: str, app: str) -> str:
    if app in RESTORING:
        from ..restoration import get_restoration

        return get_restoration(name, app).title
    return get_method(name).title


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

        if name == SCENE:
            from ..samples import drawn_scene

            return drawn_scene(min(self.max_side, 512))
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

    def remove_example(self, name: str, seed: int = 0) -> AppCase:
        """A photo with a ball and its shadow drawn over it (on the drawn scene: over the wire, where a
        guide must carry the line across); the ball is pre-brushed and the grow covers the shadow."""
        if name not in REMOVE_EXAMPLES:
            raise InpaintInputError(f"Unknown example {name!r}; choose one of: {', '.join(REMOVE_EXAMPLES)}.")
        clean = self.clean_example(name)
        photo, ball, touched = rm.place_object(clean, int(seed), **SCENE_OBJECT if name == SCENE else {})
        reach = next(g for g in range(rm.MAX_GROW + 1) if not (touched & ~dilate(ball, g)).any())
        return AppCase("remove", photo, clean, touched, title=f"Example {REMOVE_EXAMPLES[name]}", brushed=ball,
                       grow=reach)

    def mosaic_example(self, name: str, block: int = 8, seed: int = 0) -> AppCase:
        """A scikit-image sample with a mosaicked rectangle (seeded place, grid offset), as over a face."""
        from ..restoration.demosaic import mosaic, mosaic_cells

        if int(block) not in BLOCKS:
            raise InpaintInputError(f"The example's block size must be one of {', '.join(map(str, BLOCKS))} px, not {block}.")
        clean = self.clean_example(name)
        h, w = clean.shape[:2]
        rng = np.random.default_rng(seed)
        top, left = int(rng.integers(h // 8, h // 3)), int(rng.integers(w // 8, w // 3))
        region = np.zeros((h, w), bool)
        region[top : top + h // 3, left : left + w // 3] = True
        offset = (int(rng.integers(block)), int(rng.integers(block)))
        truth = mosaic_cells((h, w), int(block), region, offset)
        return AppCase("demosaic", mosaic(clean, int(block), region, offset), clean, truth,
                       title=f"Example {EXAMPLES[name]}, {block} px mosaic")

    def blur_example(self, name: str, strength: str = "medium", seed: int = 0) -> AppCase:
        """A scikit-image sample blurred by a random camera-shake kernel (Boracchi and Foi 2012)."""
        from ..restoration.deblur import blur, shake_kernel

        if strength not in BLUR_SIZES:
            raise InpaintInputError(f"Unknown blur strength {strength!r}; use one of {', '.join(BLUR_SIZES)}.")
        clean = self.clean_example(name)
        kernel = shake_kernel(BLUR_SIZES[strength], seed=int(seed))
        return AppCase("deblur", blur(clean, kernel), clean, kernel=kernel,
                       title=f"Example {EXAMPLES[name]}, {strength} camera shake ({BLUR_SIZES[strength]} px kernel)")

    def rain_example(self, name: str, density: str = "medium", seed: int = 0) -> AppCase:
        """A scikit-image sample with synthetic rain streaks at one of three densities."""
        from ..restoration.derain import add_rain

        clean = self.clean_example(name)
        rainy, _layer, angle = add_rain(clean, density, seed=int(seed))
        return AppCase("derain", rainy, clean, title=f"Example {EXAMPLES[name]}, {density} rain at {angle:.0f}°")

    def own_case(self, app: str, photo, template=None) -> tuple[AppCase, str]:
        """The user's photo (and mark template) under the cap: (case, notice)."""
        if app == "demosaic" and photo is not None and max(np.asarray(photo).shape[:2]) > self.max_side:
            h, w = np.asarray(photo).shape[:2]
            raise InpaintInputError(f"De-mosaicing needs the photo at its own size (downscaling blurs the blocks): "
                                    f"crop this {w}x{h} photo to at most {self.max_side} px on each side.")
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
        if case.app == "demosaic":
            grid, _ = dm.find_grid(case.photo)
            line = (f"Found a {grid.block} px mosaic, grid offset {grid.offset}, {hole_percent(grid.mask):.2f} % of "
                    f"the photo")
            if case.truth is not None:
                line += f" · IoU with the truth {mask_iou(grid.mask, case.truth):.2f}"
            return grid.mask, line
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

    def propose_guides(self, case: AppCase | None, mask, grow_px: int = 0) -> tuple[list, np.ndarray, str]:
        """Object removal: guide curves linking the edges that enter and leave the (grown) object:
        (guides, the grown hole, one line)."""
        if case is None or case.photo is None:
            raise InpaintInputError(NO_PHOTO)
        hole = rm.grow(self._mask_for(case, mask), int(grow_px))
        if hole.all():
            raise InpaintInputError(FULL_MASK)
        guides = rm.resolve_guides(case.photo, hole, "auto")
        if not guides:
            return [], hole, ("No guide proposed: no pair of edges enters and leaves the object with the same direction "
                        "and colours. Draw the curves yourself, or fill without guides.")
        return guides, hole, (f"Proposed {len(guides)} guide{'s' * (len(guides) != 1)} (untick one to delete it; draw more "
                        "with the brush)")

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

    @staticmethod
    def _grid(case: AppCase, mask: np.ndarray):
        """The mosaic grid for ``mask`` (detected once per photo and mask, then reused by each method)."""
        key = np.packbits(mask).tobytes()
        if case.grid is None or case.grid[0] != key:
            case.grid = (key, dm.find_grid(case.photo, mask=mask)[0])
        return case.grid[1]

    def _run(self, case: AppCase, mask: np.ndarray, method: str, seed: int) -> tuple[np.ndarray | None, str, float]:
        """(output or None, error, seconds) of one method, or of un-blending (its own inpainting by telea)."""
        if method == UNBLEND:
            if case.app != "dewatermark" or case.template is None:
                raise InpaintInputError("Un-blending needs a mark: it is for de-watermarking only.")
            start = time.perf_counter()
            found = wm.find_marks(case.photo, case.template)
            out, _bad, _opacity = wm.unblend(case.photo, found, case.template, seed=seed)
            return out, "", time.perf_counter() - start
        if case.app in RESTORING:
            from ..restoration import get_restoration, restore

            impl = get_restoration(method, case.app)
            ok, why = impl.availability()
            if not ok:
                return None, why, 0.0
            if case.app == "demosaic":
                grid = self._grid(case, mask)  # detection is timed once, by Detect; not in each method's time
                start = time.perf_counter()
                out = restore(case.photo, impl, region=grid.mask, block=grid, seed=seed)
                return out, "", time.perf_counter() - start
            if "kernel" in impl.needs and case.kernel is None:
                return None, "non-blind: it needs the true kernel, known for the examples only", 0.0
            start = time.perf_counter()
            out = restore(case.photo, impl, seed=seed, **({"kernel": case.kernel} if "kernel" in impl.needs else {}))
            return out, "", time.perf_counter() - start
        result = run_one(Problem.check(case.photo, mask), method, seed=seed, time_limit=self.time_limit)
        return (as_rgb8(result.output) if result.status == "ok" else None), result.error, result.seconds

    def remove(self, case: AppCase | None, mask, guides, methods: Sequence[str], *, grow_px: int = 0, seed: int = 0,
               baseline: bool = True, proposed: Sequence = ()) -> FillRun:
        """Object removal: each method fills the (grown) object after structure propagation along
        ``guides`` (a drawing, nonzero = curve); with ``baseline``, also without the guides.
        ``proposed``: guides from :meth:`propose_guides` drawn into that drawing; each one still drawn
        is used as proposed (at its sub-pixel precision), the rest of the drawing as the user's curves."""
        if case is None or case.photo is None:
            raise InpaintInputError(NO_PHOTO)
        methods = self._methods(methods, allow_unblend=False)
        hole = rm.grow(self._mask_for(case, mask), int(grow_px))
        if hole.all():
            raise InpaintInputError(FULL_MASK)
        curves = rm.drawn_and_proposed(guides, proposed, hole.shape)
        runs = []
        for name in methods:
            title = get_method(name).title
            variants = [(f"{title} + {len(curves)} guide{'s' * (len(curves) != 1)}", curves)] if curves else []
            if baseline or not curves:
                variants.append((f"{title}, no guides", []))
            for label, these in variants:
                key = f"{name}+guides" if these else name
                start = time.perf_counter()
                try:
                    result = rm.remove_object(case.photo, hole, guides=these, method=name, seed=int(seed))
                except Exception as exc:  # one method failing (e.g. missing weights) must not hide the others
                    runs.append((key, label, None, str(exc), time.perf_counter() - start))
                    continue
                runs.append((key, label, result.output, "", sum(result.seconds.values())))
        run = self._results(case, hole, runs)
        if not curves:
            run.status += " · no guides drawn: the structure step was skipped"
        return run

    def _methods(self, methods: Sequence[str], allow_unblend: bool = True, app: str = "") -> list[str]:
        methods = list(dict.fromkeys(methods or []))
        if not methods:
            raise InpaintInputError(NO_METHOD)
        for name in methods:  # an unknown name fails before any work
            if app in RESTORING:
                from ..restoration import get_restoration

                get_restoration(name, app)
            elif name != UNBLEND or not allow_unblend:
                get_method(name)
        return methods

    def fill(self, case: AppCase | None, mask, methods: Sequence[str], seed: int = 0) -> FillRun:
        """Fill ``mask`` of the case's photo with each method; score against the clean photo if known."""
        if case is None or case.photo is None:
            raise InpaintInputError(NO_PHOTO)
        methods = self._methods(methods, app=case.app)
        mask = np.ones(case.photo.shape[:2], bool) if case.app in WHOLE_PHOTO else self._mask_for(case, mask)
        runs = []
        for name in methods:
            title = "Un-blend (+ Telea)" if name == UNBLEND else _title(name, case.app)
            runs.append((name, title, *self._run(case, mask, name, int(seed))))
        return self._results(case, mask, runs)

    def _results(self, case: AppCase, mask: np.ndarray, runs) -> FillRun:
        """Tiles, the scores table (the unfilled input first) and the zip of ``runs``: (key, title,
        output or None, error, seconds) each."""
        rows, tiles, outputs = [], [], {}
        for name, title, out, error, seconds in runs:
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
            label = "(input, degraded)" if case.app in RESTORING else "(input, unfilled)"
            table = pd.concat([pd.DataFrame([{"method": label, "status": "-", "seconds": 0.0}
                                             | {METRICS[k].label: round(float(v), 4) for k, v in before.items()}]),
                               table], ignore_index=True)
        status = (f"{'Restored' if case.app in RESTORING else 'Filled'} {hole_percent(mask):.2f} % of the photo with {len(outputs)} of {len(runs)} "
                  f"method{'s' * (len(runs) > 1)}" + (" · scored against the clean photo" if case.clean is not None
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
