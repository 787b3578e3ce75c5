"""The Applications tab: photo repair and de-watermarking, detect -> edit the mask -> fill.

Layout and adapters only: :class:`inpaint_core.services.apps.AppsService` builds the examples, detects
the damage or the marks, fills with the chosen methods, scores and exports. As in Compare, the image
editor holds the mask as a brush layer whose ``alpha > 0`` pixels are removed; the current case (photo,
and for an example its clean photo, truth and mark) lives in a ``gr.State``. Every event has an
``api_name`` starting with ``apps_``.
"""

from __future__ import annotations

from functools import partial

import gradio as gr
import numpy as np

from inpaint_core.errors import InpaintInputError
from inpaint_core.registry import all_methods
from inpaint_core.services.apps import EXAMPLES, NO_PHOTO, STRENGTHS, UNBLEND, AppCase, AppsService

from .adapt import handler
from .compare_tab import DEFAULT_BRUSH, HOLE_COLOUR, HOLE_OPACITY, editor_image, editor_mask, editor_value, seed_of

DEFAULT_METHODS = ("telea", "harmonic")
FIRST = {"repair": ("astronaut", "medium"), "dewatermark": ("coffee", None)}
CSS = ("#apps-repair-results .caption-label, #apps-dewatermark-results .caption-label "
       "{ white-space: normal; overflow: visible; text-overflow: clip; max-width: 100%; }")
INTRO = {
    "repair": "Old-photo repair: scratches, cracks, creases, dust, a date stamp and torn corners are found on their "
              "own (top-hat + Hessian ridges, compact spots, high-chroma strokes, flat corners), then filled.",
    "dewatermark": "De-watermarking: the mark is found by SIFT features, FLANN matching and a RANSAC homography "
                   "(scaled, rotated, tiled copies too), then inpainted; *Un-blend* inverts a semi-transparent mark "
                   "and inpaints only where that is unreliable (it uses the marks it finds, not the edited mask).",
}


def method_choices(app: str) -> list[tuple[str, str]]:
    """Fast, general methods first (domain-trained ones stay out), and un-blending for marks."""
    methods = [(m.title, m.name) for m in all_methods() if m.speed != "slow" and not m.trained_on]
    return ([("Un-blend (+ Telea)", UNBLEND)] if app == "dewatermark" else []) + methods


# ----------------------------------------------------------------------------- adapters
def _loaded(case: AppCase, notice: str = ""):
    return editor_value(case.photo), case, case.describe() + (f" {notice}" if notice else "")


def load_repair(service: AppsService, name, strength, seed):
    """An example with seeded damage: (editor, case, line)."""
    return _loaded(service.repair_example(name, strength, seed_of(seed, "The damage seed")))


def load_mark(service: AppsService, name, scale, angle, opacity, tiled):
    """An example stamped with the project's mark: (editor, template, case, line)."""
    case = service.mark_example(name, scale=float(scale), angle=float(angle), opacity=float(opacity),
                                tiled=bool(tiled))
    editor, case, line = _loaded(case)
    return editor, case.template, case, line


def upload_photo(service: AppsService, app: str, value, case, template):
    """The user's own photo (dropped in the editor): a new case without a clean photo."""
    image = editor_image(value)
    if image is None or (case is not None and image.shape[:2] == case.photo.shape[:2]
                         and np.array_equal(image[..., :3], case.photo)):
        return gr.skip(), gr.skip(), gr.skip()  # the editor also fires "upload" when a handler sets it
    own, notice = service.own_case(app, image, template if app == "dewatermark" else None)
    if notice:
        gr.Warning(notice)
    return _loaded(own, notice)


def upload_template(case, template):
    """A new mark template for the current photo (the example's truth no longer applies)."""
    if case is None or template is None:
        return gr.skip()
    return AppCase(case.app, case.photo, case.clean, None, np.asarray(template), case.title)


def empty(case):
    """Empty the editor first: Gradio 6.31 draws a server-sent layer in place only on an emptied editor."""
    if case is None:
        raise InpaintInputError(NO_PHOTO)
    return None


def detect(service: AppsService, case):
    """The detected mask over the photo, editable: (editor, line)."""
    mask, line = service.detect(case)
    return editor_value(case.photo, mask), line


def fill(service: AppsService, value, case, methods, seed):
    """(results gallery, scores table, zip, status) for the editor's mask."""
    if case is None:
        raise InpaintInputError(NO_PHOTO)
    mask = editor_mask(value, case.photo.shape[:2])
    run = service.fill(case, mask, methods or [], seed_of(seed))
    return run.tiles, run.table, run.zip_path, run.status


# ----------------------------------------------------------------------------- layout
def _example_controls(app: str) -> dict:
    ui = {"example": gr.Dropdown([(t, k) for k, t in EXAMPLES.items()], value=FIRST[app][0],
                                 label="Example (scikit-image sample)")}
    if app == "repair":
        with gr.Row():
            ui["strength"] = gr.Radio(list(STRENGTHS), value=FIRST[app][1], label="Damage strength", scale=3)
            ui["seed"] = gr.Number(0, precision=0, label="Damage seed", min_width=90, scale=1)
    else:
        with gr.Row():
            ui["scale"] = gr.Slider(0.5, 2.0, value=1.0, step=0.1, label="Mark scale")
            ui["angle"] = gr.Slider(-45, 45, value=0, step=5, label="Rotation (°)")
        with gr.Row():
            ui["opacity"] = gr.Slider(0.2, 1.0, value=0.6, step=0.05, label="Opacity")
            ui["tiled"] = gr.Checkbox(False, label="Tiled (4 copies)")
    ui["load"] = gr.Button("Load example", size="sm")
    return ui


def _build_app(service: AppsService, app: str) -> dict:
    first = (service.repair_example(FIRST[app][0], FIRST[app][1]) if app == "repair"
             else service.mark_example(FIRST[app][0], opacity=0.6))
    brush = gr.Brush(default_size=DEFAULT_BRUSH // 2, colors=[(HOLE_COLOUR, HOLE_OPACITY)], color_mode="fixed")
    gr.Markdown(INTRO[app])
    ui = {"case": gr.State(first)}
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            ui["editor"] = gr.ImageEditor(
                editor_value(first.photo), label="Photo: red = to remove (Detect, then brush to add, eraser to "
                "remove; drop your own photo here)", type="numpy", image_mode="RGBA", brush=brush,
                eraser=gr.Eraser(DEFAULT_BRUSH // 2), format="png", layers=False, transforms=(),
                sources=("upload", "clipboard"), height=460, canvas_size=(64, 64), elem_id=f"apps-{app}-editor")
            ui["line"] = gr.Markdown(first.describe(), elem_id=f"apps-{app}-line")
        with gr.Column(scale=2, min_width=320):
            ui |= _example_controls(app)
            if app == "dewatermark":
                ui["template"] = gr.Image(first.template, type="numpy", image_mode="RGBA", format="png", height=120,
                                          label="Mark template (RGBA, or on a plain background): upload your own",
                                          sources=("upload", "clipboard"), elem_id="apps-dewatermark-template")
            ui["methods"] = gr.CheckboxGroup(method_choices(app), label="Inpainting methods",
                                             value=([UNBLEND] if app == "dewatermark" else []) + list(DEFAULT_METHODS))
            ui["fill_seed"] = gr.Number(0, precision=0, label="Seed (methods)", min_width=90)
            with gr.Row():
                ui["detect"] = gr.Button("Detect", variant="secondary", elem_id=f"apps-{app}-detect")
                ui["fill"] = gr.Button("Fill", variant="primary", elem_id=f"apps-{app}-fill")
    ui["status"] = gr.Markdown("", elem_id=f"apps-{app}-status")
    ui["results"] = gr.Gallery(label="Results, side by side", columns=4, height="auto", format="png",
                               object_fit="contain", preview=False, elem_id=f"apps-{app}-results")
    with gr.Row(equal_height=False):
        ui["table"] = gr.Dataframe(label="Scores against the clean photo (PSNR dB, SSIM, VIF; whole photo and the "
                                   "removed region)", interactive=False, wrap=True, scale=3)
        ui["zip"] = gr.File(label="Download: input, mask, results (PNG), scores.csv", scale=1)
    return ui


def _wire_app(service: AppsService, app: str, ui: dict) -> None:
    editor, case, line = ui["editor"], ui["case"], ui["line"]
    if app == "repair":
        ui["load"].click(handler(partial(load_repair, service)), [ui["example"], ui["strength"], ui["seed"]],
                         [editor, case, line], api_name="apps_repair_example")
    else:
        ui["load"].click(handler(partial(load_mark, service)),
                         [ui["example"], ui["scale"], ui["angle"], ui["opacity"], ui["tiled"]],
                         [editor, ui["template"], case, line], api_name="apps_dewatermark_example")
        ui["template"].upload(handler(upload_template), [case, ui["template"]], case,
                              api_name="apps_dewatermark_template")
    template = ui.get("template", gr.State(None))
    editor.upload(handler(partial(upload_photo, service, app)), [editor, case, template], [editor, case, line],
                  api_name=f"apps_{app}_upload", show_progress="hidden")
    detect_fn = handler(partial(detect, service))
    gr.Button(visible=False).click(detect_fn, case, [editor, line], api_name=f"apps_{app}_detect")
    ui["detect"].click(handler(empty), case, editor, api_name=f"apps_{app}_detect_ui", show_progress="hidden",
                       api_visibility="undocumented").then(
        detect_fn, case, [editor, line], api_name=f"apps_{app}_detect_ui_apply", api_visibility="undocumented")
    ui["fill"].click(handler(partial(fill, service)), [editor, case, ui["methods"], ui["fill_seed"]],
                     [ui["results"], ui["table"], ui["zip"], ui["status"]], api_name=f"apps_{app}_fill",
                     show_progress_on=[ui["status"]])


def build_apps_tab(service: AppsService) -> None:
    """Lay out the Applications tab (one sub-tab per application) inside the caller's ``gr.Tab``."""
    gr.HTML(f"<style>{CSS}</style>", padding=False)
    with gr.Tabs():
        for app, title in (("repair", "Photo repair"), ("dewatermark", "De-watermarking")):
            with gr.Tab(title, id=f"apps-{app}"):
                _wire_app(service, app, _build_app(service, app))
