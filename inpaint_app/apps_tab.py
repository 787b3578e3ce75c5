"""The Applications tab: photo repair, de-watermarking and object removal, detect -> edit -> fill.

Layout and adapters only: :class:`inpaint_core.services.apps.AppsService` builds the examples, detects
the damage or the marks, fills with the chosen methods, scores and exports. As in Compare, the image
editor holds the mask as a brush layer whose ``alpha > 0`` pixels are removed; the current case (photo,
and for an example its clean photo, truth and mark) lives in a ``gr.State``. Object removal has a
second editor for the guide curves (its brush layer, ``alpha > 0`` = on a curve), drawn over the photo
with the object tinted; proposed guides are listed and can be unticked. Every event has an
``api_name`` starting with ``apps_``.
"""

from __future__ import annotations

from functools import partial

import gradio as gr
import numpy as np

from inpaint_core.apps.remove import MAX_GROW, PROPOSAL_WIDTH, grow
from inpaint_core.errors import InpaintInputError
from inpaint_core.imageio import tint_hole
from inpaint_core.registry import all_methods
from inpaint_core.restoration import all_restorations
from inpaint_core.services.apps import (BLOCKS, BLUR_SIZES, EXAMPLES, NO_PHOTO, REMOVE_EXAMPLES, STRENGTHS, UNBLEND,
                                        AppCase, AppsService)
from inpaint_core.structure import draw_guides

from .adapt import handler
from .compare_tab import DEFAULT_BRUSH, HOLE_COLOUR, HOLE_OPACITY, HOLE_RGBA, editor_image, editor_mask, editor_value, seed_of

DEFAULT_METHODS = {"repair": ("telea", "harmonic"), "dewatermark": ("telea", "harmonic"),
                   "deblur": ("deblur_unsharp", "deblur_wiener", "deblur_richardson_lucy", "deblurgan"),
                   "derain": ("derain_none", "derain_guided_median", "did_mdn"),
                   "remove": ("patchmatch",),
                   "demosaic": ("mosaic_nearest", "mosaic_bicubic", "mosaic_face_resnet", "mosaic_face_gan",
                                "mosaic_scene_resnet")}
FIRST = {"repair": ("astronaut", "medium"), "dewatermark": ("coffee", None), "remove": ("scene", None),
         "demosaic": ("astronaut", 8)}
GUIDE_COLOUR = "#ffd400"
GUIDE_RGBA = (255, 212, 0, 255)
CSS = ("#apps-repair-results .caption-label, #apps-dewatermark-results .caption-label, "
       "#apps-remove-results .caption-label, #apps-demosaic-results .caption-label, "
       "#apps-deblur-results .caption-label, #apps-derain-results .caption-label "
       "{ white-space: normal; overflow: visible; text-overflow: clip; max-width: 100%; }")
INTRO = {
    "repair": "Old-photo repair: scratches, cracks, creases, dust, a date stamp and torn corners are found on their "
              "own (top-hat + Hessian ridges, compact spots, high-chroma strokes, flat corners), then filled.",
    "dewatermark": "De-watermarking: the mark is found by SIFT features, FLANN matching and a RANSAC homography "
                   "(scaled, rotated, tiled copies too), then inpainted; *Un-blend* inverts a semi-transparent mark "
                   "and inpaints only where that is unreliable (it uses the marks it finds, not the edited mask).",
    "remove": "Object removal with structure guides (Sun et al. 2005): brush the object on the left (grow the mask "
              "for its shadow), draw guide curves on the right where contours must go on through it, or press "
              "*Propose guides* to link the edges that enter and leave it. The curves are filled first, by patches "
              "chosen along them with dynamic programming; the rest by each method, with that structure fixed.",
    "demosaic": "De-mosaicing: a pixelated region is found on its own (cells that are constant inside and differ "
                "from their neighbours, on a grid whose block size and offset are detected), then its block means "
                "are restored: upsampled back (the baselines of Dahl et al. 2017), or by a residual network trained "
                "here on faces (L2, and fine-tuned adversarially: sharper, not truer) or on scenes.",
    "deblur": "De-blurring: an example is blurred by a random camera-shake kernel (Boracchi and Foi 2012); Wiener "
              "and Richardson-Lucy deconvolution are given that true kernel (non-blind: examples only), unsharp "
              "masking is blind, and so is DeblurGAN (Kupyn et al. 2018), trained here on synthetic camera shake.",
    "derain": "De-raining: an example gets synthetic rain streaks (light, medium, heavy); the classical baseline "
              "splits the photo with a guided filter and takes a median across the streaks' direction in the detail "
              "layer; DID-MDN (Zhang and Patel 2018), trained here, estimates the density, then the rain layer.",
}
RESTORE_STRENGTHS = {"deblur": list(BLUR_SIZES), "derain": ["light", "medium", "heavy"]}


def guides_value(case: AppCase, hole: np.ndarray | None, drawing: np.ndarray | None = None) -> dict:
    """The guide editor's value: the photo with the object tinted, ``drawing`` (bool) as its layer."""
    background = case.photo if hole is None else tint_hole(case.photo, hole, HOLE_RGBA[:3])
    layers = []
    if drawing is not None and drawing.any():
        layer = np.zeros((*drawing.shape, 4), np.uint8)
        layer[drawing] = GUIDE_RGBA
        layers = [layer]
    return {"background": background, "layers": layers, "composite": None}


def _names(guides: list) -> list[str]:
    return [f"Guide {i + 1} (link cost {g.score:.3f})" for i, g in enumerate(guides)]


def _proposal_pixels(guides: list, shape) -> list[np.ndarray]:
    return [draw_guides([g], shape, PROPOSAL_WIDTH) for g in guides]  # as drawn_and_proposed() expects them


def method_choices(app: str) -> list[tuple[str, str]]:
    """Fast, general methods first (domain-trained ones stay out), and un-blending for marks; for
    de-mosaicing, the restoration registry's methods."""
    if app in ("demosaic", "deblur", "derain"):
        return [(m.title, m.name) for m in all_restorations(app)]
    methods = [(m.title, m.name) for m in all_methods() if m.speed != "slow" and not m.trained_on
               and not (app == "remove" and m.name == "structure_propagation")]  # the structure step is built in
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


def load_mosaic(service: AppsService, name, block, seed):
    """An example with a mosaicked rectangle: (editor, case, line)."""
    return _loaded(service.mosaic_example(name, int(block), seed_of(seed, "The example seed")))


def load_remove(service: AppsService, name, seed):
    """An example with a ball and its shadow: (editor, guide editor, grow, case, line, proposals)."""
    case = service.remove_example(name, seed_of(seed, "The example seed"))
    editor, case, line = _loaded(case)
    editor = editor_value(case.photo, case.brushed)
    return (editor, guides_value(case, grow(case.brushed, case.grow)), case.grow, case, line,
            gr.update(choices=[], value=[]), [])


def propose(service: AppsService, value, guide_value, case, grow_px):
    """Proposed guides drawn in the guide editor (with what the user drew), listed, all ticked."""
    if case is None:
        raise InpaintInputError(NO_PHOTO)
    mask = editor_mask(value, case.photo.shape[:2])
    guides, hole, line = service.propose_guides(case, mask, int(grow_px))
    drawn = editor_mask(guide_value, case.photo.shape[:2])
    pixels = _proposal_pixels(guides, hole.shape)
    for p in pixels:
        drawn |= p
    names = _names(guides)
    return guides_value(case, hole, drawn), gr.update(choices=names, value=names), guides, line


def toggle_guides(guide_value, case, chosen, guides, grow_px, value):
    """Unticked proposals leave the guide layer; ticked ones (and the user's own curves) stay."""
    if case is None or not guides:
        return gr.skip()
    shape = case.photo.shape[:2]
    drawn = editor_mask(guide_value, shape)
    pixels = _proposal_pixels(guides, shape)
    for p in pixels:
        drawn &= ~p
    names = _names(guides)
    for name, p in zip(names, pixels):
        if name in (chosen or []):
            drawn |= p
    hole = grow(editor_mask(value, shape), int(grow_px))
    return guides_value(case, hole if hole.any() else None, drawn)


def remove(service: AppsService, value, guide_value, case, methods, grow_px, baseline, seed, proposed):
    """(results gallery, scores table, zip, status) for the object and the guide layer."""
    if case is None:
        raise InpaintInputError(NO_PHOTO)
    shape = case.photo.shape[:2]
    run = service.remove(case, editor_mask(value, shape), editor_mask(guide_value, shape), methods or [],
                         grow_px=int(grow_px), seed=seed_of(seed), baseline=bool(baseline), proposed=proposed or [])
    return run.tiles, run.table, run.zip_path, run.status


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
    examples = REMOVE_EXAMPLES if app == "remove" else EXAMPLES
    ui = {"example": gr.Dropdown([(t, k) for k, t in examples.items()], value=FIRST[app][0],
                                 label="Example (drawn here, or a scikit-image sample)" if app == "remove"
                                 else "Example (scikit-image sample)")}
    if app == "remove":
        ui["seed"] = gr.Number(0, precision=0, label="Example seed (the ball's size and colour)", min_width=90)
    elif app == "demosaic":
        with gr.Row():
            ui["block"] = gr.Radio(list(BLOCKS), value=FIRST[app][1], label="Mosaic block size (px)", scale=3)
            ui["seed"] = gr.Number(0, precision=0, label="Place seed", min_width=90, scale=1)
    elif app == "repair":
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
    first = {"repair": lambda: service.repair_example(FIRST[app][0], FIRST[app][1]),
             "dewatermark": lambda: service.mark_example(FIRST[app][0], opacity=0.6),
             "remove": lambda: service.remove_example(FIRST[app][0]),
             "demosaic": lambda: service.mosaic_example(FIRST[app][0], FIRST[app][1])}[app]()
    brush = gr.Brush(default_size=DEFAULT_BRUSH // 2, colors=[(HOLE_COLOUR, HOLE_OPACITY)], color_mode="fixed")
    gr.Markdown(INTRO[app])
    ui = {"case": gr.State(first)}
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            ui["editor"] = gr.ImageEditor(
                editor_value(first.photo, first.brushed), label=(
                    "Photo: red = the object to remove (brush it; eraser to undo; drop your own photo here)"
                    if app == "remove" else "Photo: red = the mosaicked region (Detect, then brush or erase; drop "
                    "your own photo here, at its own size)" if app == "demosaic" else "Photo: red = to remove "
                    "(Detect, then brush to add, eraser to remove; drop your own photo here)"), type="numpy", image_mode="RGBA", brush=brush,
                eraser=gr.Eraser(DEFAULT_BRUSH // 2), format="png", layers=False, transforms=(),
                sources=("upload", "clipboard"), height=460, canvas_size=(64, 64), elem_id=f"apps-{app}-editor")
            ui["line"] = gr.Markdown(first.describe(), elem_id=f"apps-{app}-line")
        if app == "remove":
            with gr.Column(scale=3, min_width=420):
                ui["guides"] = gr.ImageEditor(
                    guides_value(first, grow(first.brushed, first.grow)), label="Guide curves: draw where contours "
                    "must go on through the object (yellow), or Propose guides", type="numpy", image_mode="RGBA",
                    brush=gr.Brush(default_size=PROPOSAL_WIDTH, colors=[(GUIDE_COLOUR, 1.0)], color_mode="fixed"),
                    eraser=gr.Eraser(DEFAULT_BRUSH // 2), format="png", layers=False, transforms=(),
                    sources=(), height=460, canvas_size=(64, 64), elem_id="apps-remove-guides")
        with gr.Column(scale=2, min_width=320):
            ui |= _example_controls(app)
            if app == "dewatermark":
                ui["template"] = gr.Image(first.template, type="numpy", image_mode="RGBA", format="png", height=120,
                                          label="Mark template (RGBA, or on a plain background): upload your own",
                                          sources=("upload", "clipboard"), elem_id="apps-dewatermark-template")
            if app == "remove":
                ui["grow"] = gr.Slider(0, MAX_GROW, value=first.grow, step=1, label="Grow the mask (px): shadows, "
                                       "halos", elem_id="apps-remove-grow")
                ui["proposals"] = gr.CheckboxGroup([], label="Proposed guides (untick to delete)",
                                                   elem_id="apps-remove-proposals")
                ui["proposed"] = gr.State([])
            ui["methods"] = gr.CheckboxGroup(method_choices(app), label=(
                "Restoration methods" if app == "demosaic" else "Inpainting methods") + (
                " (for the rest of the hole)" if app == "remove" else ""),
                value=([UNBLEND] if app == "dewatermark" else []) + list(DEFAULT_METHODS[app]))
            if app == "remove":
                ui["baseline"] = gr.Checkbox(True, label="Also fill without the guides (to compare)")
            ui["fill_seed"] = gr.Number(0, precision=0, label="Seed (methods)", min_width=90)
            with gr.Row():
                ui["detect"] = gr.Button("Propose guides" if app == "remove" else "Detect", variant="secondary",
                                         elem_id=f"apps-{app}-detect")
                ui["fill"] = gr.Button({"remove": "Remove", "demosaic": "Restore"}.get(app, "Fill"), variant="primary",
                                       elem_id=f"apps-{app}-fill")
    ui["status"] = gr.Markdown("", elem_id=f"apps-{app}-status")
    ui["results"] = gr.Gallery(label="Results, side by side", columns=4, height="auto", format="png",
                               object_fit="contain", preview=False, elem_id=f"apps-{app}-results")
    with gr.Row(equal_height=False):
        ui["table"] = gr.Dataframe(label="Scores against the clean photo (PSNR dB, SSIM, VIF; whole photo and the "
                                   "removed region)", interactive=False, wrap=True, scale=3)
        ui["zip"] = gr.File(label="Download: input, mask, results (PNG), scores.csv", scale=1)
    return ui


def _empty_editor():
    return None


def _shown(value):
    return gr.skip() if value is None else value


def _wire_remove(service: AppsService, ui: dict) -> None:
    editor, guides, case, line = ui["editor"], ui["guides"], ui["case"], ui["line"]
    load_fn = handler(partial(load_remove, service))
    load_outputs = [editor, guides, ui["grow"], case, line, ui["proposals"], ui["proposed"]]
    gr.Button(visible=False).click(load_fn, [ui["example"], ui["seed"]], load_outputs, api_name="apps_remove_example")
    ui["load"].click(lambda: (None, None), None, [editor, guides], api_name="apps_remove_example_ui",
                     api_visibility="undocumented", show_progress="hidden").then(
        load_fn, [ui["example"], ui["seed"]], load_outputs, api_visibility="undocumented")
    # Gradio 6.31 draws a server-sent layer only on an emptied editor: compute, empty, then set
    pending = gr.State(None)
    editor.upload(handler(partial(upload_photo, service, "remove")), [editor, case, gr.State(None)],
                  [editor, case, line], api_name="apps_remove_upload", show_progress="hidden").then(
        lambda c: guides_value(c, None) if c is not None else gr.skip(), case, guides, api_visibility="undocumented")
    propose_fn = handler(partial(propose, service))
    gr.Button(visible=False).click(propose_fn, [editor, guides, case, ui["grow"]],
                                   [guides, ui["proposals"], ui["proposed"], line], api_name="apps_remove_propose")
    ui["detect"].click(propose_fn, [editor, guides, case, ui["grow"]], [pending, ui["proposals"], ui["proposed"], line],
                       api_name="apps_remove_propose_ui", api_visibility="undocumented").then(
        _empty_editor, None, guides, api_visibility="undocumented", show_progress="hidden").then(
        _shown, pending, guides, api_visibility="undocumented", show_progress="hidden")
    toggle_fn = handler(toggle_guides)
    gr.Button(visible=False).click(toggle_fn, [guides, case, ui["proposals"], ui["proposed"], ui["grow"], editor],
                                   guides, api_name="apps_remove_toggle")
    ui["proposals"].input(toggle_fn, [guides, case, ui["proposals"], ui["proposed"], ui["grow"], editor], pending,
                          api_name="apps_remove_toggle_ui", api_visibility="undocumented", show_progress="hidden").then(
        _empty_editor, None, guides, api_visibility="undocumented", show_progress="hidden").then(
        _shown, pending, guides, api_visibility="undocumented", show_progress="hidden")
    ui["fill"].click(handler(partial(remove, service)),
                     [editor, guides, case, ui["methods"], ui["grow"], ui["baseline"], ui["fill_seed"], ui["proposed"]],
                     [ui["results"], ui["table"], ui["zip"], ui["status"]], api_name="apps_remove_fill",
                     show_progress_on=[ui["status"]])


def _wire_app(service: AppsService, app: str, ui: dict) -> None:
    if app == "remove":
        return _wire_remove(service, ui)
    editor, case, line = ui["editor"], ui["case"], ui["line"]
    if app == "repair":
        ui["load"].click(handler(partial(load_repair, service)), [ui["example"], ui["strength"], ui["seed"]],
                         [editor, case, line], api_name="apps_repair_example")
    elif app == "demosaic":
        ui["load"].click(handler(partial(load_mosaic, service)), [ui["example"], ui["block"], ui["seed"]],
                         [editor, case, line], api_name="apps_demosaic_example")
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


# ----------------------------------------------------------------------------- whole-photo restoration
def load_restore_example(service: AppsService, app: str, name, strength, seed):
    """An example degraded from a clean photo: (photo, case, line)."""
    make = service.blur_example if app == "deblur" else service.rain_example
    case = make(name, strength, seed_of(seed, "The example seed"))
    return case.photo, case, case.describe()


def upload_restore(service: AppsService, app: str, image, case):
    """The user's own photo: a new case without a clean photo (so no scores)."""
    if image is None or (case is not None and image.shape[:2] == case.photo.shape[:2]
                         and np.array_equal(np.asarray(image)[..., :3], case.photo)):
        return gr.skip(), gr.skip()
    own, notice = service.own_case(app, image)
    if notice:
        gr.Warning(notice)
    return own, own.describe() + (f" {notice}" if notice else "")


def restore_photo(service: AppsService, case, methods, seed):
    if case is None:
        raise InpaintInputError(NO_PHOTO)
    run = service.fill(case, None, methods or [], seed_of(seed))
    return run.tiles, run.table, run.zip_path, run.status


def _build_restore(service: AppsService, app: str) -> None:
    first = (service.blur_example if app == "deblur" else service.rain_example)("astronaut", "medium")
    gr.Markdown(INTRO[app])
    case = gr.State(first)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            photo = gr.Image(first.photo, type="numpy", image_mode="RGB", format="png", height=460,
                             label="Photo (drop your own here)", sources=("upload", "clipboard"), elem_id=f"apps-{app}-photo")
            line = gr.Markdown(first.describe(), elem_id=f"apps-{app}-line")
        with gr.Column(scale=2, min_width=320):
            example = gr.Dropdown([(t, k) for k, t in EXAMPLES.items()], value="astronaut",
                                  label="Example (scikit-image sample)")
            with gr.Row():
                strength = gr.Radio(RESTORE_STRENGTHS[app], value="medium",
                                    label="Blur strength" if app == "deblur" else "Rain density", scale=3)
                seed = gr.Number(0, precision=0, label="Example seed", min_width=90, scale=1)
            load = gr.Button("Load example", size="sm")
            methods = gr.CheckboxGroup(method_choices(app), value=list(DEFAULT_METHODS[app]), label="Restoration methods")
            fill_seed = gr.Number(0, precision=0, label="Seed (methods)", min_width=90)
            go = gr.Button("Restore", variant="primary", elem_id=f"apps-{app}-fill")
    status = gr.Markdown("", elem_id=f"apps-{app}-status")
    results = gr.Gallery(label="Results, side by side", columns=4, height="auto", format="png", object_fit="contain",
                         preview=False, elem_id=f"apps-{app}-results")
    with gr.Row(equal_height=False):
        table = gr.Dataframe(label="Scores against the clean photo (PSNR dB, SSIM, VIF)", interactive=False, wrap=True,
                             scale=3)
        zip_file = gr.File(label="Download: input, results (PNG), scores.csv", scale=1)
    load.click(handler(partial(load_restore_example, service, app)), [example, strength, seed], [photo, case, line],
               api_name=f"apps_{app}_example")
    photo.upload(handler(partial(upload_restore, service, app)), [photo, case], [case, line],
                 api_name=f"apps_{app}_upload", show_progress="hidden")
    go.click(handler(partial(restore_photo, service)), [case, methods, fill_seed], [results, table, zip_file, status],
             api_name=f"apps_{app}_fill", show_progress_on=[status])


def build_apps_tab(service: AppsService) -> None:
    """Lay out the Applications tab (one sub-tab per application) inside the caller's ``gr.Tab``."""
    gr.HTML(f"<style>{CSS}</style>", padding=False)
    with gr.Tabs():
        for app, title in (("repair", "Photo repair"), ("dewatermark", "De-watermarking"),
                           ("remove", "Object removal"), ("demosaic", "De-mosaicing")):
            with gr.Tab(title, id=f"apps-{app}"):
                _wire_app(service, app, _build_app(service, app))
        for app, title in (("deblur", "De-blurring"), ("derain", "De-raining")):
            with gr.Tab(title, id=f"apps-{app}"):
                _build_restore(service, app)
