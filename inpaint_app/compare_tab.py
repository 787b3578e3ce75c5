"""The Compare tab: draw (or load) a hole, run several inpainting methods, compare them.

The image editor is the single source of truth for the hole: a drawn stroke, a preset
mask (:data:`inpaint_core.masks.MASK_PRESETS`) and an uploaded mask file all end up as a
brush layer of the editor, whose ``alpha > 0`` pixels are the hole
(:func:`inpaint_core.masks.mask_from_layers`). The run streams one result per method from
:func:`inpaint_core.engine.compare_iter` into a captioned grid, a metrics table and a
plotly chart; a before/after slider shows the result the user picks, and a zip holds
everything. Each finished compare is also saved as a case folder
(:func:`inpaint_core.cases.write_case`) in ``config.recent_dir`` for the voting study.

Every handler is a plain module-level function; the layout lives in
:func:`build_compare_tab`, and every event has an ``api_name`` (``compare_*``), so the
tab can be driven from ``gradio_client``.

Mask files of another size than the image: if the aspect ratio agrees within 2 %, the
mask is resized nearest-neighbour to the image with a notice; otherwise it is refused.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import shutil
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np

from inpaint_app.config import AppConfig
from inpaint_core.base import FAMILY_ORDER, InpaintMethod, Param, all_methods, get_method
from inpaint_core.errors import InpaintInputError
from inpaint_core.imageio import downscale_to_cap, load_mask, save_image
from inpaint_core.masks import MASK_PRESETS, generate_mask, hole_percent, mask_from_layers

# ----------------------------------------------------------------------------- constants
EMPTY_MASK = "Draw a hole on the image (or pick a mask preset) first."
NO_IMAGE = "Pick an example or upload an image first."
FULL_MASK = "The hole covers the whole image; leave some known pixels to fill from."
NO_METHOD = "Select at least one method."
KEEP_RECENT = 200  # finished compares kept in config.recent_dir
RESULT_COLUMNS = 3
RESULT_ROW_PX = 420
HOLE_COLOUR = "#ff2d2d"
HOLE_OPACITY = 0.6
HOLE_RGBA = (255, 45, 45, round(255 * HOLE_OPACITY))
DEFAULT_BRUSH = 24
FAMILY_TITLES = {
    "diffusion": "Diffusion (PDE)",
    "variational": "Variational",
    "exemplar": "Exemplar-based",
    "patch-based": "Patch-based",
    "low-rank": "Low-rank",
    "learned": "Learned (deep)",
}
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
TABLE_SHOWN = ["title", "family", "status", "psnr", "ssim", "psnr_hole", "ssim_hole", "seconds", "error"]


# ----------------------------------------------------------------------------- layout spec
@dataclasses.dataclass(frozen=True)
class Layout:
    """Which input component is which: family checkbox groups first, then parameter controls."""

    families: tuple[tuple[str, tuple[str, ...]], ...]  # (family, method names) in FAMILY_ORDER
    params: tuple[tuple[str, Param], ...]  # (method name, declared parameter)

    @classmethod
    def from_registry(cls) -> "Layout":
        methods = all_methods()
        families = tuple(
            (family, tuple(m.name for m in methods if m.family == family))
            for family in FAMILY_ORDER
            if any(m.family == family for m in methods)
        )
        params = tuple((m.name, p) for m in methods for p in m.params)
        return cls(families, params)

    def split(self, controls: tuple) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """Controls' values -> (selected methods in display order, params of the selected)."""
        n = len(self.families)
        if len(controls) != n + len(self.params):
            raise gr.Error(f"Expected {n + len(self.params)} method controls, got {len(controls)}.")
        selected: list[str] = []
        for (_, names), chosen in zip(self.families, controls[:n]):
            chosen = set(chosen or [])
            selected += [name for name in names if name in chosen]
        params: dict[str, dict[str, Any]] = {name: {} for name in selected}
        for (method, param), value in zip(self.params, controls[n:]):
            if method in params and value is not None:
                params[method][param.name] = value
        return selected, params


# ----------------------------------------------------------------------------- helpers
def _tempdir() -> Path:
    """A fresh folder under the system temp dir (which Gradio may serve files from)."""
    return Path(tempfile.mkdtemp(prefix="inpaint-lab-"))


def _as_rgb_uint8(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.shape[2] == 4:
        alpha = arr[..., 3:4].astype(np.float32) / 255.0
        if (alpha < 1).any():  # composite a transparent upload on white, as a viewer shows it
            rgb = arr[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
            arr = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
        else:
            arr = arr[..., :3]
    elif arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    return np.ascontiguousarray(arr[..., :3])


def image_from_editor(value: dict | None) -> np.ndarray | None:
    """The editor's background as uint8 RGB (alpha dropped), or None if there is none."""
    if not value or value.get("background") is None:
        return None
    background = np.asarray(value["background"])
    if background.ndim == 3 and background.shape[2] == 4 and not background[..., 3].any():
        return None  # a blank, fully transparent canvas: nothing was loaded
    return _as_rgb_uint8(background)


def mask_layer(mask: np.ndarray) -> np.ndarray:
    """A bool hole -> an RGBA editor layer painted in the brush's colour (alpha > 0 = hole)."""
    layer = np.zeros((*mask.shape, 4), np.uint8)
    layer[mask] = HOLE_RGBA
    return layer


def masked_view(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The input as a method sees it, for display: the hole tinted red."""
    view = image.astype(np.float32)
    view[mask] = 0.35 * view[mask] + 0.65 * np.array(HOLE_RGBA[:3], np.float32)
    return np.rint(view).astype(np.uint8)


def _editor_value(image: np.ndarray, mask: np.ndarray | None = None) -> dict:
    """The editor's value for ``image`` with, if given, ``mask`` as its brush layer."""
    return {"background": image, "layers": [mask_layer(mask)] if mask is not None else [], "composite": None}


def _cap(image: np.ndarray, max_side: int) -> tuple[np.ndarray, str]:
    """Downscale above the cap; return (image, notice or "")."""
    h, w = image.shape[:2]
    small, factor = downscale_to_cap(image, max_side)
    if factor == 1.0:
        return image, ""
    notice = (f"The image was downscaled from {w}x{h} to {small.shape[1]}x{small.shape[0]} "
              f"(the cap is {max_side} px on the long side).")
    return small, notice


def _mask_summary(image: np.ndarray, mask: np.ndarray, source: str = "") -> str:
    h, w = image.shape[:2]
    return (f"Image {w}x{h} px · hole {hole_percent(mask):.2f} % of the image"
            f" ({int(mask.sum()):,} px){' · ' + source if source else ''}")


def _save_mask_file(mask: np.ndarray) -> str:
    path = _tempdir() / "mask.png"
    save_image(path, mask)
    return str(path)


def _family_title(family: str) -> str:
    return FAMILY_TITLES.get(family, family.capitalize())


def _slider_step(param: Param) -> float:
    """The declared step, or the coarsest power of ten (at most 1/100 of the range) on
    which the default lies, so the slider starts exactly at the default."""
    if param.step is not None:
        return param.step
    if param.kind == "int":
        return 1
    span = float(param.maximum) - float(param.minimum)
    step = 10.0 ** math.floor(math.log10(span / 100.0)) if span > 0 else 0.01
    for _ in range(12):
        ticks = (float(param.default) - float(param.minimum)) / step
        if abs(ticks - round(ticks)) < 1e-6:
            return step
        step /= 10.0
    return step


def _param_control(param: Param) -> gr.components.Component:
    """One control built from a declared parameter."""
    kind = param.kind
    common = dict(label=param.name, info=param.help)
    if kind == "bool":
        return gr.Checkbox(value=bool(param.default), **common)
    if kind == "choice":
        return gr.Dropdown(choices=[str(c) for c in param.choices], value=str(param.default), **common)
    if kind in {"int", "float"}:
        if param.minimum is not None and param.maximum is not None:
            return gr.Slider(minimum=param.minimum, maximum=param.maximum, step=_slider_step(param),
                             value=param.default, **common)
        return gr.Number(value=param.default, minimum=param.minimum, maximum=param.maximum,
                         precision=0 if kind == "int" else None, **common)
    return gr.Textbox(value=str(param.default), **common)


def method_card(name: str | None) -> str:
    """A method's card as Markdown: idea, key formula, failure cases, citation, parameters."""
    if not name:
        return ""
    try:
        impl = get_method(name)
    except InpaintInputError as exc:
        raise gr.Error(str(exc)) from None
    card = impl.card
    lines = [f"### {impl.title} (`{impl.name}`)",
             f"*{_family_title(impl.family)} · speed: {impl.speed}"
             + (" · needs weights" if impl.needs_weights else "") + "*", "", f"**Idea.** {card.idea}"]
    if card.formula:
        lines += ["", "**Key formula.**", "", f"$$\n{card.formula}\n$$"]
    if card.fails_when:
        lines += ["", f"**Fails when.** {card.fails_when}"]
    lines += ["", f"**Paper.** {impl.citation.markdown()}"]
    if impl.params:
        lines += ["", "| parameter | default | range | meaning |", "|---|---|---|---|"]
        for p in impl.params:
            if p.choices is not None:
                span = ", ".join(map(str, p.choices))
            elif p.minimum is not None or p.maximum is not None:
                span = f"{p.minimum if p.minimum is not None else ''} … {p.maximum if p.maximum is not None else ''}"
            else:
                span = ""
            lines.append(f"| `{p.name}` | {p.default} | {span} | {p.help} |")
    else:
        lines += ["", "No parameters."]
    return "\n".join(lines)


def _load_sample(name: str) -> np.ndarray:
    import skimage.data

    if name not in EXAMPLES:
        raise gr.Error(f"Unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}.")
    return _as_rgb_uint8(getattr(skimage.data, EXAMPLES[name][1])())


@functools.lru_cache(maxsize=1)
def example_thumbnails() -> list[tuple[np.ndarray, str]]:
    """Small previews of the example images, for the picker."""
    import cv2

    thumbs = []
    for name, (title, _) in EXAMPLES.items():
        img = _load_sample(name)
        scale = 160 / max(img.shape[:2])
        thumbs.append((cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)),
                                  interpolation=cv2.INTER_AREA), title))
    return thumbs


# ----------------------------------------------------------------------------- handlers
def pick_example(evt: gr.SelectData) -> str:
    """Gallery click -> the example's name (the next step loads it)."""
    return list(EXAMPLES)[evt.index]


def load_example(name: str, max_side: int = 512) -> tuple[dict, str]:
    """Put a bundled sample image into the editor (no hole yet)."""
    image, notice = _cap(_load_sample(name), max_side)
    if notice:
        gr.Warning(notice)
    h, w = image.shape[:2]
    info = f"Example **{EXAMPLES[name][0]}**, {w}x{h} px. Draw a hole with the brush, or pick a mask preset."
    return _editor_value(image), info + (f" {notice}" if notice else "")


def on_upload(value: dict | None, max_side: int = 512):
    """A user's own image: downscale it above the cap, with a notice."""
    image = image_from_editor(value)
    if image is None:
        return gr.skip(), gr.skip()
    small, notice = _cap(image, max_side)
    if not notice:
        return gr.skip(), gr.skip()  # the editor's change event reports size and hole
    gr.Warning(notice)
    h, w = small.shape[:2]
    return _editor_value(small), f"Your image, {w}x{h} px. {notice}"


def apply_preset(value: dict | None, preset: str | None, seed: float | None) -> tuple[dict, str]:
    """Replace the editor's layers with a generated preset mask."""
    image = image_from_editor(value)
    if image is None:
        raise gr.Error(NO_IMAGE)
    if not preset:
        raise gr.Error(f"Pick a mask preset ({', '.join(MASK_PRESETS)}).")
    key = next((k for k, (title, _) in MASK_PRESETS.items() if preset in (k, title)), None)
    if key is None:
        raise gr.Error(f"Unknown mask preset {preset!r}; known: {', '.join(MASK_PRESETS)}.")
    seed = int(seed or 0)
    mask = generate_mask(key, image.shape[:2], seed=seed)
    return _editor_value(image, mask), _mask_summary(image, mask, f"preset {MASK_PRESETS[key][0]}, seed {seed}")


def reroll_preset(value: dict | None, preset: str | None, seed: float | None) -> tuple[dict, str, int]:
    """Next seed, same preset."""
    seed = int(seed or 0) + 1
    editor, info = apply_preset(value, preset, seed)
    return editor, info, seed


def apply_mask_file(value: dict | None, path: str | None) -> tuple[dict, str]:
    """An uploaded mask file (nonzero / white = hole) becomes the editor's layer.

    A mask of another size but the same aspect ratio (within 2 %) is resized
    nearest-neighbour, with a notice; another aspect ratio is refused.
    """
    import cv2

    image = image_from_editor(value)
    if image is None:
        raise gr.Error(NO_IMAGE)
    if not path:
        raise gr.Error("Choose a mask file to upload (white or nonzero = hole).")
    try:
        mask = load_mask(path)
    except InpaintInputError as exc:
        raise gr.Error(str(exc)) from None
    h, w = image.shape[:2]
    mh, mw = mask.shape
    source = "uploaded mask"
    if (mh, mw) != (h, w):
        if abs((mw / mh) / (w / h) - 1.0) > 0.02:
            raise gr.Error(f"The mask is {mw}x{mh} but the image is {w}x{h}; upload a mask of the image's size "
                           "or at least of its shape.")
        mask = cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
        notice = f"The mask was resized from {mw}x{mh} to the image's {w}x{h} (nearest neighbour)."
        gr.Warning(notice)
        source += f", {notice}"
    if not mask.any():
        raise gr.Error("The uploaded mask is empty: white (or nonzero) pixels mark the hole.")
    if mask.all():
        raise gr.Error(FULL_MASK)
    return _editor_value(image, mask), _mask_summary(image, mask, source)


def empty_editor(value: dict | None):
    """Empty the editor and keep its value (the first half of setting a new layer)."""
    if image_from_editor(value) is None:
        raise gr.Error(NO_IMAGE)
    return None, value


def clear_mask(value: dict | None) -> tuple[dict, str]:
    image = image_from_editor(value)
    if image is None:
        raise gr.Error(NO_IMAGE)
    return _editor_value(image), _mask_summary(image, np.zeros(image.shape[:2], bool), "cleared")


def mask_info(value: dict | None):
    """Hole area and a downloadable mask PNG for whatever the editor holds now."""
    image = image_from_editor(value)
    if image is None:
        return "No image yet: pick an example above or upload your own.", None
    layers = value.get("layers") or []
    mask = mask_from_layers(layers, image.shape[:2])
    sizes = {np.asarray(layer).shape[:2] for layer in layers if layer is not None} - {image.shape[:2]}
    note = ", ".join(f"brush layer {w}x{h} resized to the image" for h, w in sorted(sizes))
    if not mask.any():
        return _mask_summary(image, mask, note or "no hole yet: draw one, pick a preset or upload a mask"), None
    return _mask_summary(image, mask, note), _save_mask_file(mask)


def _check_params(selected: list[str], params: dict[str, dict]) -> dict[str, dict]:
    checked = {}
    for name in selected:
        impl = get_method(name)
        try:
            checked[name] = impl.resolve_params(params.get(name))
        except InpaintInputError as exc:
            raise gr.Error(f"{impl.title}: {exc}") from None
    return checked


def _chart(table):
    """PSNR, SSIM and seconds per method, three bar charts side by side."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    ok = table[table["status"] == "ok"].iloc[::-1]  # first method on top
    fig = make_subplots(rows=1, cols=3, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("PSNR (dB)", "SSIM", "Time (s)"))
    colours = ("#4c78a8", "#59a14f", "#e15759")
    for col, (column, colour) in enumerate(zip(("psnr", "ssim", "seconds"), colours), start=1):
        fig.add_trace(go.Bar(y=ok["title"], x=ok[column], orientation="h", marker_color=colour, name=column,
                             hovertemplate="%{y}: %{x:.4g}<extra></extra>"), row=1, col=col)
    fig.update_layout(showlegend=False, height=120 + 34 * max(len(ok), 1), margin=dict(l=10, r=10, t=40, b=30))
    return fig


def caption(result) -> str:
    """A result's label in the grid: method, PSNR, SSIM, seconds, or what went wrong."""
    if result.status != "ok":
        return f"{result.title}: {result.status}: {result.error}"
    m = result.metrics
    trained_on = get_method(result.method).trained_on
    note = f" | trained on {trained_on}" if trained_on else ""
    return f"{result.title} | PSNR {m['psnr']:.2f} dB | SSIM {m['ssim']:.3f} | {result.seconds:.2f} s{note}"


def _grid(tiles: list) -> gr.Gallery:
    """The results grid, tall enough for all its rows (Gradio's auto height stops at about
    1000 px and scrolls, which hides results)."""
    rows = math.ceil(len(tiles) / RESULT_COLUMNS)
    return gr.Gallery(value=tiles, rows=rows, height=max(rows, 1) * RESULT_ROW_PX)


def _display_table(table):
    shown = table[TABLE_SHOWN].copy()
    for column, digits in (("psnr", 2), ("psnr_hole", 2), ("ssim", 4), ("ssim_hole", 4), ("seconds", 3)):
        shown[column] = shown[column].astype(float).round(digits)
    return shown


def _write_zip(original, mask, outputs: dict, table, settings: dict) -> str:
    folder = _tempdir()
    path = folder / "inpaint-lab-compare.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, array in (("original", original), ("mask", mask), ("masked_input", masked_view(original, mask)),
                            *outputs.items()):
            file = folder / f"{name}.png"
            save_image(file, array)
            zf.write(file, f"{name}.png")
        zf.writestr("metrics.csv", table.to_csv(index=False))
        zf.writestr("settings.json", json.dumps(settings, indent=1, default=str))
    return str(path)


def _save_recent(config: AppConfig, original, mask, outputs: dict, settings: dict) -> str:
    """Save the compare as a case folder and keep only the newest KEEP_RECENT."""
    from inpaint_core.cases import write_case

    case = write_case(config.recent_dir, original, mask, outputs, source="compare", mask_type="user", **settings)
    folders = sorted((p for p in Path(config.recent_dir).iterdir() if p.is_dir()),
                     key=lambda p: (p.stat().st_mtime, p.name))
    for old in folders[:-KEEP_RECENT]:
        shutil.rmtree(old, ignore_errors=True)
    return case.case_id


def run_compare(config: AppConfig, layout: Layout, value: dict | None, seed: float | None, poisson: bool,
                *controls, progress=gr.Progress()):
    """Run the selected methods one after another and stream each result as it arrives.

    Yields (results grid, metrics table, chart, status line, slider choice, slider,
    state, zip file).
    """
    from inpaint_core.engine import compare_iter, results_table

    image = image_from_editor(value)
    if image is None:
        raise gr.Error(NO_IMAGE)
    layers = (value or {}).get("layers") or []
    image, notice = _cap(image, config.max_side)
    if notice:
        gr.Warning(notice)
    mask = mask_from_layers(layers, image.shape[:2])  # layers of another size are resized nearest-neighbour
    if not mask.any():
        raise gr.Error(EMPTY_MASK)
    if mask.all():
        raise gr.Error(FULL_MASK)
    selected, params = layout.split(controls)
    if not selected:
        raise gr.Error(NO_METHOD)
    params = _check_params(selected, params)
    seed = int(seed or 0)
    postprocess = "poisson" if poisson else "none"
    summary = _mask_summary(image, mask) + (f" · {notice}" if notice else "")
    titles = {name: get_method(name).title for name in selected}
    n = len(selected)
    progress(0.0, desc=f"Starting {n} method{'s' * (n > 1)}")
    done: list = []

    def relay(method: str, fraction: float, message: str) -> None:
        progress((len(done) + fraction) / n, desc=f"{titles[method]}: {message or 'running'}")

    masked = masked_view(image, mask)
    tiles = [(masked, f"Input: hole {hole_percent(mask):.1f} % of the image")]
    no_choice = gr.update(choices=[], value=None)
    yield (_grid(tiles), None, None, f"Running {n} method{'s' * (n > 1)}… · {summary}", no_choice, None, None, None)
    start = time.perf_counter()
    try:
        for result in compare_iter(image, mask, selected, params=params, seed=seed, time_limit=config.time_limit,
                                   postprocess=postprocess, progress=relay):
            done.append(result)
            tiles.append((result.output if result.status == "ok" else masked, caption(result)))
            table = results_table(done, mask)
            status = f"{len(done)}/{n} done (last: {result.title}, {result.status}) · {summary}"
            yield (_grid(tiles), _display_table(table), _chart(table), status, no_choice, None, None, None)
    except InpaintInputError as exc:
        raise gr.Error(str(exc)) from None
    elapsed = time.perf_counter() - start
    table = results_table(done, mask)
    outputs = {r.method: r.output for r in done if r.status == "ok"}
    settings = {"seed": seed, "postprocess": postprocess, "methods": selected, "params": params}
    zip_path = _write_zip(image, mask, outputs, table, settings)
    saved = ""
    if outputs:
        try:
            saved = f" · saved as recent case `{_save_recent(config, image, mask, outputs, settings)}`"
        except OSError as exc:
            saved = f" · could not save the recent case ({exc})"
    failed = n - len(outputs)
    status = (f"Done: {n} method{'s' * (n > 1)} in {elapsed:.1f} s"
              + (f", {failed} failed" if failed else "") + f" · {summary}{saved}")
    state = {"original": image, "mask": mask, "outputs": outputs, "titles": titles}
    ok = table[table["status"] == "ok"]
    best = ok.loc[ok["psnr"].idxmax(), "method"] if len(ok) else None
    choices = [(titles[m], m) for m in outputs]
    slider = (image, outputs[best]) if best else None
    yield (_grid(tiles), _display_table(table), _chart(table), status,
           gr.update(choices=choices, value=best), slider, state, zip_path)


def run_endpoint(config: AppConfig, layout: Layout):
    """:func:`run_compare` bound to ``config`` and ``layout``, with a signature that names
    every input (``methods_<family>``, ``<method>__<param>``) for the API docs and clients."""
    import inspect

    def compare_run(*args, **kwargs):
        # Gradio passes every argument of the signature below, progress included, by position.
        values = {**dict(zip(names + ["progress"], args)), **kwargs}
        progress = values.pop("progress", None) or gr.Progress()
        yield from run_compare(config, layout, *(values[name] for name in names), progress=progress)

    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    names = ["value", "seed", "poisson"]
    names += [f"methods_{family.replace('-', '_')}" for family, _ in layout.families]
    names += [f"{method}__{param.name}" for method, param in layout.params]
    parameters = [inspect.Parameter(name, positional) for name in names]
    parameters.append(inspect.Parameter("progress", positional, default=gr.Progress()))
    compare_run.__signature__ = inspect.Signature(parameters)
    compare_run.__doc__ = run_compare.__doc__
    return compare_run


def slider_pair(state: dict | None, method: str | None, before: str = "Original"):
    """(before, after) for the before/after slider."""
    if not state or not method:
        return None
    if method not in state["outputs"]:
        raise gr.Error(f"No result for {method!r} in the last compare; pick one of: {', '.join(state['outputs'])}.")
    first = state["original"] if before == "Original" else masked_view(state["original"], state["mask"])
    return first, state["outputs"][method]


def pick_result(state: dict | None, evt: gr.SelectData):
    """Clicking a result in the grid shows it in the slider."""
    if not state or evt.index == 0:
        return gr.skip()
    order = list(state["titles"])
    method = order[evt.index - 1] if evt.index - 1 < len(order) else None
    return method if method in state["outputs"] else gr.skip()


def selected_param_visibility(layout: Layout, *chosen):
    """Show each method's parameter block only while the method is selected."""
    picked = set().union(*[set(c or []) for c in chosen])
    with_params = list(dict.fromkeys(name for name, _ in layout.params))
    return [gr.update(visible=name in picked) for name in with_params]


def _teaching_views(kind: str, value: dict | None, seed: float | None, max_side: int):
    try:
        from inpaint_core import teaching
    except ImportError:
        raise gr.Error("The teaching views are not available in this version.") from None
    image = image_from_editor(value)
    if image is None:
        raise gr.Error(NO_IMAGE)
    image, _ = _cap(image, max_side)
    mask = mask_from_layers((value or {}).get("layers") or [], image.shape[:2])
    if not mask.any():
        raise gr.Error(EMPTY_MASK)
    if mask.all():
        raise gr.Error(FULL_MASK)
    fn = teaching.criminisi_fill_order if kind == "fill_order" else teaching.patchmatch_nnf_views
    try:
        frames = fn(image, mask, seed=int(seed or 0))
    except InpaintInputError as exc:
        raise gr.Error(str(exc)) from None
    return [(frame, caption) for caption, frame in frames]


def fill_order_views(value: dict | None, seed: float | None = 0, max_side: int = 512):
    """Criminisi's fill order, frame by frame (inpaint_core.teaching)."""
    return _teaching_views("fill_order", value, seed, max_side)


def nnf_views(value: dict | None, seed: float | None = 0, max_side: int = 512):
    """PatchMatch's nearest-neighbour field per pyramid level (inpaint_core.teaching)."""
    return _teaching_views("nnf", value, seed, max_side)


def _teaching_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("inpaint_core.teaching") is not None


# ----------------------------------------------------------------------------- layout
def build_compare_tab(config: AppConfig) -> None:
    """Lay out the Compare tab inside the caller's ``gr.Tab`` and wire its events."""
    layout = Layout.from_registry()
    methods: dict[str, InpaintMethod] = {m.name: m for m in all_methods()}
    first = next(iter(methods))
    brush = gr.Brush(default_size=DEFAULT_BRUSH, colors=[(HOLE_COLOUR, HOLE_OPACITY)], color_mode="fixed")

    # ---- input: image, hole
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            editor = gr.ImageEditor(
                label="Image: paint the hole with the brush (red = hole; the brush size is in the brush menu)",
                type="numpy", image_mode="RGBA", brush=brush, eraser=gr.Eraser(default_size=DEFAULT_BRUSH),
                format="png", layers=False, transforms=(), sources=("upload", "clipboard"), height=560,
                # Gradio 6.31 centres a layer sent from the server in the union of the image and a
                # canvas_size rectangle: keep that rectangle smaller than any image so presets line up.
                canvas_size=(64, 64),
                elem_id="compare-editor",
            )
            mask_line = gr.Markdown("No image yet: pick an example on the right or upload your own.",
                                    elem_id="compare-mask-info")
        with gr.Column(scale=2, min_width=320):
            gr.Markdown("**Examples** (scikit-image samples): one click loads one.")
            examples = gr.Gallery(value=example_thumbnails(), columns=4, height=220, allow_preview=False,
                                  show_label=False, object_fit="cover", buttons=[], elem_id="compare-examples")
            example_name = gr.Textbox(visible=False)
            preset = gr.Radio([(title, key) for key, (title, _) in MASK_PRESETS.items()],
                              label="Mask presets: one click replaces the hole", elem_id="compare-presets")
            with gr.Row(equal_height=False):
                mask_seed = gr.Number(value=0, precision=0, label="Mask seed", min_width=90, scale=1)
                with gr.Column(scale=2, min_width=160):
                    with gr.Row():
                        reroll = gr.Button("New random mask", size="sm")
                        clear = gr.Button("Clear hole", size="sm")
                    with gr.Row():
                        mask_upload = gr.UploadButton("Upload a mask (white = hole)", file_types=["image"],
                                                      type="filepath", size="sm", elem_id="compare-mask-upload")
                        mask_download = gr.DownloadButton("Download this mask (PNG)", value=None, size="sm")

    # ---- methods and settings
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            gr.Markdown("**Methods**, by family (the fast general-purpose ones are selected):")
            with gr.Row(elem_id="compare-methods"):
                family_groups = []
                for family, names in layout.families:
                    family_groups.append(gr.CheckboxGroup(
                        [(methods[n].title, n) for n in names],
                        # models trained on one domain (faces) stay opt-in for arbitrary photos
                        value=[n for n in names if methods[n].speed == "fast" and not methods[n].trained_on],
                        label=_family_title(family), min_width=200,
                    ))
        with gr.Column(scale=2):
            with gr.Row(equal_height=True):
                seed = gr.Number(value=0, precision=0, label="Seed (methods)", min_width=90)
                poisson = gr.Checkbox(value=False, label="Poisson-blend each result (Pérez et al. 2003)")
            with gr.Row():
                run = gr.Button("Run", variant="primary", elem_id="compare-run")
                stop = gr.Button("Stop", variant="stop")

    with gr.Accordion("Advanced: parameters of each selected method", open=False):
        param_blocks, param_controls = [], []
        for name in dict.fromkeys(n for n, _ in layout.params):
            impl = methods[name]
            with gr.Column(visible=any(name in (grp.value or []) for grp in family_groups)) as block:
                gr.Markdown(f"**{impl.title}**")
                with gr.Row():
                    for method_name, param in layout.params:
                        if method_name == name:
                            param_controls.append(_param_control(param))
            param_blocks.append(block)
        no_params = [m.title for m in methods.values() if not m.params]
        if no_params:
            gr.Markdown(f"No parameters: {', '.join(no_params)}.")

    with gr.Accordion("Method cards: idea, formula, when it fails", open=False):
        card_pick = gr.Dropdown([(m.title, m.name) for m in methods.values()], value=first, label="Method")
        card = gr.Markdown(method_card(first), elem_id="compare-card")

    # ---- results
    status = gr.Markdown("", elem_id="compare-status")
    results = gr.Gallery(label="Results (click one to put it in the before/after slider)", columns=RESULT_COLUMNS,
                         height="auto", format="png", object_fit="contain", elem_id="compare-results")
    table = gr.Dataframe(label="Metrics: PSNR in dB (data range 255), SSIM (Wang et al. 2004), over the "
                               "whole image and over the hole", interactive=False, wrap=True,
                         elem_id="compare-table")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            with gr.Row():
                slider_method = gr.Dropdown(choices=[], label="Result in the slider")
                slider_before = gr.Radio(["Original", "Input with hole"], value="Original", label="Before")
            slider = gr.ImageSlider(label="Before / after", format="png", max_height=520)
        with gr.Column(scale=1):
            chart = gr.Plot(label="PSNR, SSIM and time per method")
            zip_file = gr.File(label="Everything as one zip: PNG per method, mask, original, metrics.csv")
            gr.Markdown(f"Finished compares are kept on the server (the last {KEEP_RECENT}) so that the voting "
                        "study can include them.")
    state = gr.State(None)

    if _teaching_available():
        with gr.Accordion("Step-through for teaching", open=False):
            gr.Markdown("How exemplar methods work, on the current image and hole.")
            with gr.Row():
                fill_order_btn = gr.Button("Criminisi: fill order")
                nnf_btn = gr.Button("PatchMatch: nearest-neighbour field")
            teaching_gallery = gr.Gallery(columns=4, height="auto", format="png", label="Steps")
        fill_order_btn.click(functools.partial(fill_order_views, max_side=config.max_side), [editor, seed],
                             teaching_gallery, api_name="compare_fill_order")
        nnf_btn.click(functools.partial(nnf_views, max_side=config.max_side), [editor, seed], teaching_gallery,
                      api_name="compare_nnf")

    # ---- events
    examples.select(pick_example, None, example_name, api_name="compare_example_pick",
                    api_visibility="undocumented").then(
        functools.partial(load_example, max_side=config.max_side), example_name, [editor, mask_line],
        api_name="compare_example")
    # The editor also fires "upload" when a handler sets its value; hide the spinner for those.
    editor.upload(functools.partial(on_upload, max_side=config.max_side), editor, [editor, mask_line],
                  api_name="compare_upload", show_progress="hidden")
    editor.change(mask_info, editor, [mask_line, mask_download], api_name="compare_mask_info",
                  trigger_mode="always_last", show_progress="hidden")
    # A new layer from the server is drawn in the right place only on a freshly emptied editor
    # (Gradio 6.31 otherwise centres it in the previous image's bounds): the UI empties the
    # editor, keeping its value in `stash`, then sets image and layer. The API endpoints
    # (hidden buttons) take the editor's value directly.
    stash = gr.State(None)
    api_preset = gr.Button(visible=False)
    api_reroll = gr.Button(visible=False)
    api_mask_upload = gr.Button(visible=False)
    api_preset.click(apply_preset, [editor, preset, mask_seed], [editor, mask_line], api_name="compare_preset_mask")
    api_reroll.click(reroll_preset, [editor, preset, mask_seed], [editor, mask_line, mask_seed],
                     api_name="compare_preset_reroll")
    api_mask_upload.click(apply_mask_file, [editor, mask_upload], [editor, mask_line],
                          api_name="compare_mask_upload")
    preset.input(empty_editor, editor, [editor, stash], api_name="compare_preset_ui", api_visibility="undocumented",
                 show_progress="hidden").then(
        apply_preset, [stash, preset, mask_seed], [editor, mask_line], api_name="compare_preset_ui_apply",
        api_visibility="undocumented")
    reroll.click(empty_editor, editor, [editor, stash], api_name="compare_reroll_ui", api_visibility="undocumented",
                 show_progress="hidden").then(
        reroll_preset, [stash, preset, mask_seed], [editor, mask_line, mask_seed],
        api_name="compare_reroll_ui_apply", api_visibility="undocumented")
    mask_upload.upload(empty_editor, editor, [editor, stash], api_name="compare_mask_upload_ui",
                       api_visibility="undocumented", show_progress="hidden").then(
        apply_mask_file, [stash, mask_upload], [editor, mask_line], api_name="compare_mask_upload_ui_apply",
        api_visibility="undocumented")
    clear.click(clear_mask, editor, [editor, mask_line], api_name="compare_clear_mask")
    card_pick.change(method_card, card_pick, card, api_name="compare_card")
    gr.on([group.change for group in family_groups], functools.partial(selected_param_visibility, layout),
          family_groups, param_blocks, api_name="compare_method_selection", api_visibility="undocumented",
          show_progress="hidden")
    run_event = run.click(
        run_endpoint(config, layout),
        [editor, seed, poisson, *family_groups, *param_controls],
        [results, table, chart, status, slider_method, slider, state, zip_file],
        api_name="compare_run", show_progress_on=[status],
    )
    stop.click(None, None, None, cancels=[run_event], api_name="compare_stop")
    slider_method.change(slider_pair, [state, slider_method, slider_before], slider, api_name="compare_slider")
    slider_before.change(slider_pair, [state, slider_method, slider_before], slider,
                         api_name="compare_slider_before")
    results.select(pick_result, state, slider_method, api_name="compare_pick_result",
                   api_visibility="undocumented")
