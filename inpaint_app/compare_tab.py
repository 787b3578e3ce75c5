"""The Compare tab: draw (or load) a hole, run several inpainting methods, compare them.

Layout and adapters only: :class:`inpaint_core.services.compare.CompareService` prepares the
image and hole, runs the methods, exports the zip and keeps recent cases. The image editor is the
single source of truth for the hole: a drawn stroke, a preset and an uploaded mask file all end up
as a brush layer whose ``alpha > 0`` pixels are the hole (:func:`inpaint_core.masks.mask_from_layers`).
Every event has an ``api_name`` (``compare_*``), so the tab can be driven from ``gradio_client``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import gradio as gr
import numpy as np

from inpaint_core.base import Param, check_seed
from inpaint_core.masks import MASK_PRESETS, mask_from_layers
from inpaint_core.services.compare import (
    EXAMPLES, KEEP_RECENT, TEACHING_VIEWS, CompareService, family_title, load_example, method_card, method_groups,
)

from .config import AppConfig

RESULT_COLUMNS = 3
HOLE_COLOUR, HOLE_OPACITY = "#ff2d2d", 0.6
HOLE_RGBA = (255, 45, 45, round(255 * HOLE_OPACITY))
DEFAULT_BRUSH = 24
CSS = """
#compare-results .caption-label, #gallery-grid .caption-label {
  white-space: normal; overflow: visible; text-overflow: clip; max-width: 100%; }
"""


# ----------------------------------------------------------------------------- editor adapters
def editor_image(value: dict | None) -> np.ndarray | None:
    """The editor's background as an array (None for an empty, fully transparent canvas)."""
    if not value or value.get("background") is None:
        return None
    background = np.asarray(value["background"])
    if background.ndim == 3 and background.shape[2] == 4 and not background[..., 3].any():
        return None
    return background[..., :3] if background.ndim == 3 and background.shape[2] == 4 else background


def editor_mask(value: dict | None, shape: tuple[int, int]) -> np.ndarray:
    return mask_from_layers((value or {}).get("layers") or [], shape)


def editor_value(image: np.ndarray, mask: np.ndarray | None = None) -> dict:
    """The editor's value for ``image`` with, if given, ``mask`` painted as its brush layer."""
    layers = []
    if mask is not None:
        layer = np.zeros((*mask.shape, 4), np.uint8)
        layer[mask] = HOLE_RGBA
        layers = [layer]
    return {"background": image, "layers": layers, "composite": None}


def seed_of(seed: Any, what: str = "The seed") -> int:
    """A seed from a number field: empty means 0, anything else is checked (one sentence)."""
    return 0 if seed is None else check_seed(seed, what)


# ----------------------------------------------------------------------------- method controls
@dataclasses.dataclass(frozen=True)
class Controls:
    """Which input component is which: one checkbox group per family, then one control per parameter."""

    families: tuple[tuple[str, tuple[str, ...]], ...]
    params: tuple[tuple[str, Param], ...]  # (method name, declared parameter)

    @classmethod
    def from_registry(cls) -> "Controls":
        groups = method_groups()
        return cls(tuple((f, tuple(m.name for m in ms)) for f, ms in groups),
                   tuple((m.name, p) for _, ms in groups for m in ms for p in m.params))

    def names(self) -> list[str]:
        """API names of the controls, in input order."""
        return ([f"methods_{family.replace('-', '_')}" for family, _ in self.families]
                + [f"{method}__{param.name}" for method, param in self.params])

    def split(self, values) -> tuple[list[str], dict[str, dict[str, Any]]]:
        """Controls' values -> (selected methods in display order, their parameters)."""
        n = len(self.families)
        selected = [name for (_, names), chosen in zip(self.families, values[:n]) for name in names
                    if name in set(chosen or [])]
        params: dict[str, dict[str, Any]] = {name: {} for name in selected}
        for (method, param), value in zip(self.params, values[n:]):
            if method in params:  # None (an emptied field) too: Param.coerce refuses it by name
                params[method][param.name] = value
        return selected, params


def _slider_step(param: Param) -> float:
    """The declared step, or the coarsest power of ten (at most 1/100 of the range) on which the
    default lies, so the slider starts exactly at the default."""
    if param.step is not None:
        return param.step
    if param.kind == "int":
        return 1
    span = float(param.maximum) - float(param.minimum)
    step = 10.0 ** math.floor(math.log10(span / 100.0)) if span > 0 else 0.01
    for _ in range(12):
        if abs((float(param.default) - float(param.minimum)) / step % 1) < 1e-6:
            return step
        step /= 10.0
    return step


def as_sent(component):
    """A number control whose value reaches the handler exactly as sent (Gradio would round NaN
    into a bare error and refuse infinity without naming the parameter; Param.coerce names it)."""
    component.preprocess = lambda payload: payload
    return component


def param_control(param: Param):
    """One control built from a declared parameter."""
    common = dict(label=param.name, info=param.help)
    if param.kind == "bool":
        return gr.Checkbox(value=bool(param.default), **common)
    if param.kind == "choice":
        return gr.Dropdown(choices=[str(c) for c in param.choices], value=str(param.default), **common)
    if param.kind in {"int", "float"}:
        if param.minimum is not None and param.maximum is not None:
            return as_sent(gr.Slider(minimum=param.minimum, maximum=param.maximum, step=_slider_step(param),
                                     value=param.default, **common))
        return as_sent(gr.Number(value=param.default, precision=0 if param.kind == "int" else None, **common))
    return gr.Textbox(value=str(param.default), **common)


# ----------------------------------------------------------------------------- layout
def _build_input(service: CompareService, config: AppConfig) -> dict:
    image, mask, line = service.first_example()  # open on an example with a hole: Run works at once
    brush = gr.Brush(default_size=DEFAULT_BRUSH, colors=[(HOLE_COLOUR, HOLE_OPACITY)], color_mode="fixed")
    ui = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            # Gradio 6.31 centres a layer sent from the server in the union of the image and a canvas_size
            # rectangle: keep that rectangle smaller than any image so presets line up.
            ui["editor"] = gr.ImageEditor(
                editor_value(image, mask), label="Image: paint the hole with the brush (red = hole; brush size in "
                "the brush menu)", type="numpy", image_mode="RGBA", brush=brush, eraser=gr.Eraser(DEFAULT_BRUSH),
                format="png", layers=False, transforms=(), sources=("upload", "clipboard"), height=440,
                canvas_size=(64, 64), elem_id="compare-editor")
            ui["mask_line"] = gr.Markdown(line, elem_id="compare-mask-info")
        with gr.Column(scale=2, min_width=320):
            gr.Markdown("**Examples** (scikit-image samples): one click loads one.")
            ui["examples"] = gr.Gallery(value=example_thumbnails(), columns=4, height=170, allow_preview=False,
                                        show_label=False, object_fit="cover", buttons=[], elem_id="compare-examples")
            ui["example_name"] = gr.Textbox(visible=False)
            ui["preset"] = gr.Radio([(title, key) for key, (title, _) in MASK_PRESETS.items()],
                                    label="Mask presets: one click replaces the hole", elem_id="compare-presets")
            with gr.Row(equal_height=False):
                ui["mask_seed"] = as_sent(gr.Number(value=0, precision=0, label="Mask seed", min_width=90, scale=1))
                with gr.Column(scale=2, min_width=160):
                    with gr.Row():
                        ui["reroll"] = gr.Button("New random mask", size="sm")
                        ui["clear"] = gr.Button("Clear hole", size="sm")
                    with gr.Row():
                        ui["mask_upload"] = gr.UploadButton("Upload a mask (white = hole)", file_types=["image"],
                                                            type="filepath", size="sm", elem_id="compare-mask-upload")
                        ui["mask_download"] = gr.DownloadButton("Download this mask (PNG)", value=None, size="sm")
            ui |= _build_run(config)
    return ui


def _build_run(config: AppConfig) -> dict:
    """Seed, Poisson option, the study opt-in, Run and Stop (under the mask tools, above the fold)."""
    ui = {}
    with gr.Row(equal_height=True):
        ui["seed"] = as_sent(gr.Number(value=0, precision=0, label="Seed (methods)", min_width=90))
        ui["poisson"] = gr.Checkbox(value=False, label="Poisson-blend each result (Pérez et al. 2003)")
    ui["offer"] = gr.Checkbox(value=False, label="Offer this compare to the public voting study",
                              visible=config.vote_include_recent, elem_id="compare-offer")
    with gr.Row():
        ui["run"] = gr.Button("Run", variant="primary", elem_id="compare-run")
        ui["stop"] = gr.Button("Stop", variant="stop")
    return ui


def _build_methods(controls: Controls) -> dict:
    """The method pickers by family, each method's parameters, and the method cards."""
    groups = dict(method_groups())
    ui = {"families": [], "params": [], "blocks": []}
    with gr.Accordion("Methods, by family (the fast general-purpose ones are selected)", open=True):
        with gr.Row(elem_id="compare-methods"):
            for family, methods in groups.items():  # domain-trained models (faces) stay opt-in
                ui["families"].append(gr.CheckboxGroup(
                    [(m.title, m.name) for m in methods], label=family_title(family), min_width=160,
                    value=[m.name for m in methods if m.speed == "fast" and not m.trained_on]))
    methods = {m.name: m for ms in groups.values() for m in ms}
    selected = {n for g in ui["families"] for n in (g.value or [])}
    with gr.Accordion("Advanced: parameters of each selected method", open=False):
        for name in dict.fromkeys(n for n, _ in controls.params):
            with gr.Column(visible=name in selected) as block:
                gr.Markdown(f"**{methods[name].title}**")
                with gr.Row():
                    ui["params"] += [param_control(p) for m, p in controls.params if m == name]
            ui["blocks"].append(block)
    with gr.Accordion("Method cards: idea, formula, when it fails", open=False):
        first = next(iter(methods))
        ui["card_pick"] = gr.Dropdown([(m.title, m.name) for m in methods.values()], value=first, label="Method")
        ui["card"] = gr.Markdown(method_card(first), elem_id="compare-card")
    return ui


def _build_results() -> dict:
    ui = {"status": gr.Markdown("", elem_id="compare-status")}
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            ui["results"] = gr.Gallery(label="Results (click one to put it in the before/after slider)",
                                       columns=RESULT_COLUMNS, height="auto", format="png", object_fit="contain",
                                       elem_id="compare-results")
        with gr.Column(scale=2):
            with gr.Row():
                ui["slider_method"] = gr.Dropdown(choices=[], label="Result in the slider")
                ui["slider_before"] = gr.Radio(["Original", "Input with hole"], value="Original", label="Before")
            ui["slider"] = gr.ImageSlider(label="Before / after (drag)", format="png", elem_id="compare-slider")
    ui["table"] = gr.Dataframe(label="Metrics (PSNR in dB on data range 255, SSIM of Wang et al. 2004, VIF of Sheikh "
                               "and Bovik 2006), whole image and hole", interactive=False, wrap=True,
                               elem_id="compare-table")
    with gr.Row(equal_height=False):
        ui["chart"] = gr.Plot(label="Scores and time per method")
        ui["zip"] = gr.File(label="Everything as one zip: PNG per method, mask, original, metrics.csv")
    gr.Markdown(f"Finished compares are kept on the server (the last {KEEP_RECENT}); the voting study shows only "
                "those you offer to it, where this server allows that.")
    ui["state"] = gr.State(None)
    return ui


def _build_teaching() -> dict:
    ui = {}
    with gr.Accordion("Step-through for teaching", open=False):
        gr.Markdown("How the patch-based methods work, on the current image and hole (each runs the method).")
        with gr.Row():
            for kind, (label, _) in TEACHING_VIEWS.items():
                ui[f"teach_{kind}"] = gr.Button(label)
        ui["teaching"] = gr.Gallery(columns=4, height="auto", format="png", label="Steps")
    return ui


def example_thumbnails() -> list[tuple[np.ndarray, str]]:
    import cv2

    thumbs = []
    for name, (title, _) in EXAMPLES.items():
        img = load_example(name)
        scale = 160 / max(img.shape[:2])
        thumbs.append((cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)),
                                  interpolation=cv2.INTER_AREA), title))
    return thumbs


def build_compare_tab(service: CompareService, config: AppConfig) -> None:
    """Lay out the Compare tab inside the caller's ``gr.Tab`` and wire its events."""
    from .compare_events import wire_compare

    controls = Controls.from_registry()
    gr.HTML(f"<style>{CSS}</style>", padding=False)
    ui = _build_input(service, config)
    ui |= _build_results()  # right under the image: Run works at once and its results are in view
    ui |= _build_methods(controls) | _build_teaching()
    wire_compare(service, controls, ui)
