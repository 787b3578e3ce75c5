"""The Compare tab's events: thin adapters from the editor and controls to the compare service.

Each adapter is a plain function whose first argument is the :class:`CompareService`; :func:`wire_compare`
binds it with ``functools.partial`` (the one way this app binds services to events) and wraps it
with :func:`inpaint_app.adapt.handler`, so the service's one-sentence errors reach the browser.
"""

from __future__ import annotations

from functools import partial

import gradio as gr
import numpy as np

from inpaint_core.errors import InpaintInputError
from inpaint_core.services.compare import (
    EXAMPLES, NO_IMAGE, TEACHING_VIEWS, CompareService, display_table, mask_summary, masked_view, method_card,
    results_chart,
)

from .adapt import handler, with_api_names
from .compare_tab import RESULT_COLUMNS, Controls, editor_image, editor_mask, editor_value, seed_of

RESULT_ROW_PX = 260


def _grid(tiles: list) -> gr.Gallery:
    """The results grid, tall enough for all its rows (Gradio's auto height stops at about 1000 px
    and scrolls, which hides results)."""
    rows = -(-len(tiles) // RESULT_COLUMNS)
    return gr.Gallery(value=tiles, rows=rows, height=max(rows, 1) * RESULT_ROW_PX)


def _image_of(value) -> np.ndarray:
    image = editor_image(value)
    if image is None:
        raise InpaintInputError(NO_IMAGE)
    return image


# ----------------------------------------------------------------------------- the editor
def example_pick(evt: gr.SelectData) -> str:
    """A click on an example's thumbnail -> its name (the next step loads it)."""
    return list(EXAMPLES)[evt.index]


def load(service: CompareService, name: str):
    """An example into the editor (no hole yet)."""
    image, notice = service.example(name)
    if notice:
        gr.Warning(notice)
    h, w = image.shape[:2]
    return editor_value(image), (f"Example **{EXAMPLES[name][0]}**, {w}x{h} px. Draw a hole with the brush, or pick "
                                 f"a mask preset.{' ' + notice if notice else ''}")


def on_upload(service: CompareService, value):
    """A user's own image: downscaled above the cap, with a notice."""
    image = editor_image(value)
    small, notice = service.cap(image) if image is not None else (None, "")
    if not notice:
        return gr.skip(), gr.skip()  # the editor's change event reports size and hole
    gr.Warning(notice)
    return editor_value(small), f"Your image, {small.shape[1]}x{small.shape[0]} px. {notice}"


def preset(service: CompareService, value, kind, seed):
    image = _image_of(value)
    mask, info = service.preset(image, kind, seed_of(seed, "The mask seed"))
    return editor_value(image, mask), info


def reroll(service: CompareService, value, kind, seed):
    """Next seed, same preset."""
    seed = seed_of(seed, "The mask seed") + 1
    return (*preset(service, value, kind, seed), seed)


def mask_file(service: CompareService, value, path):
    image = _image_of(value)
    mask, info, notice = service.mask_file(image, path)
    if notice:
        gr.Warning(notice)
    return editor_value(image, mask), info


def empty(service: CompareService, value):
    """Empty the editor, keeping its value: Gradio 6.31 draws a server-sent layer in place only on
    a freshly emptied editor."""
    _image_of(value)
    return None, value


def clear(service: CompareService, value):
    image = _image_of(value)
    return editor_value(image), mask_summary(image, np.zeros(image.shape[:2], bool), "cleared")


def info(service: CompareService, value):
    """The hole's share of the image and a downloadable mask PNG, for whatever the editor holds."""
    image = editor_image(value)
    if image is None:
        return "No image yet: pick an example on the right or upload your own.", None
    mask = editor_mask(value, image.shape[:2])
    if not mask.any():
        return mask_summary(image, mask, "no hole yet: draw one, pick a preset or upload a mask"), None
    return mask_summary(image, mask), service.mask_png(mask)


# ----------------------------------------------------------------------------- the run
def compare_run(service: CompareService, controls: Controls, value, seed, poisson, *rest, progress=gr.Progress()):
    """Prepare once, then stream (grid, table, chart, status, slider choice, slider, state, zip)."""
    *values, offer = rest
    image = editor_image(value)
    problem = service.prepare(image, editor_mask(value, image.shape[:2]) if image is not None else None)
    if problem.notice:
        gr.Warning(problem.notice)
    selected, params = controls.split(values)
    summary = mask_summary(problem.image, problem.hole) + (f" · {problem.notice}" if problem.notice else "")
    masked = masked_view(problem.image, problem.hole)
    tiles = [(masked, f"Input: hole {100 * problem.hole.mean():.1f} % of the image")]
    none = gr.update(choices=[], value=None)
    for run in service.run(problem, selected, params, seed=seed_of(seed), postprocess="poisson" if poisson else "none",
                           progress=lambda f, msg: progress(f, desc=msg)):
        if run.results:
            last = run.results[-1]
            tiles.append((last.output if last.status == "ok" else masked, last.caption()))
        if len(run.results) < len(run.methods):
            table = run.table() if run.results else None
            yield (_grid(tiles), table if table is None else display_table(table),
                   table if table is None else results_chart(table), run.status(summary), none, None, None, None)
    saved = ""
    if run.outputs:
        try:
            saved = f" · saved as recent case `{service.save_recent(run, offered=bool(offer))}`"
            saved += " (offered to the voting study)" if offer else ""
        except OSError as exc:
            saved = f" · could not save the recent case ({exc})"
    table, best, titles = run.table(), run.best(), {r.method: r.title for r in run.results}
    state = {"original": problem.image, "mask": problem.hole, "outputs": run.outputs, "titles": titles}
    yield (_grid(tiles), display_table(table), results_chart(table), run.status(summary) + saved,
           gr.update(choices=[(titles[m], m) for m in run.outputs], value=best),
           (problem.image, run.outputs[best]) if best else None, state, service.export_zip(run))


def slider(service: CompareService, state, method, before):
    """(before, after) for the before/after slider."""
    if not state or not method:
        return None
    if method not in state["outputs"]:
        raise InpaintInputError(f"No result for {method!r} in the last compare; pick one of: "
                                f"{', '.join(state['outputs'])}.")
    first = state["original"] if before == "Original" else masked_view(state["original"], state["mask"])
    return first, state["outputs"][method]


def pick(state, evt: gr.SelectData):
    """A click on a result puts it in the slider."""
    order = list((state or {}).get("titles", {}))
    if not state or not 0 < evt.index <= len(order) or order[evt.index - 1] not in state["outputs"]:
        return gr.skip()
    return order[evt.index - 1]


def teach(service: CompareService, kind: str, value, seed):
    """A step-through view (fill order, NNF, melding's transforms, planar guidance) on the editor's image and hole."""
    image = _image_of(value)
    return service.teaching_views(kind, service.prepare(image, editor_mask(value, image.shape[:2])), seed_of(seed))


def visibility(controls: Controls, *chosen):
    """Show each method's parameter block only while the method is selected."""
    picked = set().union(*[set(c or []) for c in chosen])
    return [gr.update(visible=name in picked) for name in dict.fromkeys(n for n, _ in controls.params)]


# ----------------------------------------------------------------------------- wiring
def _wire_editor(service: CompareService, ui: dict) -> None:
    editor, line, seed_box = ui["editor"], ui["mask_line"], ui["mask_seed"]
    hidden = dict(api_visibility="undocumented")
    ui["examples"].select(example_pick, None, ui["example_name"], api_name="compare_example_pick", **hidden).then(
        handler(partial(load, service)), ui["example_name"], [editor, line], api_name="compare_example")
    # the editor also fires "upload" when a handler sets its value; hide the spinner for those
    editor.upload(partial(on_upload, service), editor, [editor, line], api_name="compare_upload", show_progress="hidden")
    editor.change(partial(info, service), editor, [line, ui["mask_download"]], api_name="compare_mask_info",
                  trigger_mode="always_last", show_progress="hidden")
    # The UI empties the editor (keeping its value in `stash`), then sets image and layer; the API
    # endpoints (hidden buttons) take the editor's value directly.
    stash = gr.State(None)
    for api, fn, event, inputs, outputs in (
        ("compare_preset_mask", preset, ui["preset"].input, [ui["preset"], seed_box], [editor, line]),
        ("compare_preset_reroll", reroll, ui["reroll"].click, [ui["preset"], seed_box], [editor, line, seed_box]),
        ("compare_mask_upload", mask_file, ui["mask_upload"].upload, [ui["mask_upload"]], [editor, line]),
    ):
        bound = handler(partial(fn, service))
        gr.Button(visible=False).click(bound, [editor, *inputs], outputs, api_name=api)
        event(handler(partial(empty, service)), editor, [editor, stash], api_name=f"{api}_ui", show_progress="hidden",
              **hidden).then(bound, [stash, *inputs], outputs, api_name=f"{api}_ui_apply", **hidden)
    ui["clear"].click(handler(partial(clear, service)), editor, [editor, line], api_name="compare_clear_mask")


def wire_compare(service: CompareService, controls: Controls, ui: dict) -> None:
    """Bind every event of the Compare tab (each with an ``api_name``)."""
    _wire_editor(service, ui)
    hidden = dict(api_visibility="undocumented")
    ui["card_pick"].change(handler(method_card), ui["card_pick"], ui["card"], api_name="compare_card")
    gr.on([g.change for g in ui["families"]], partial(visibility, controls), ui["families"], ui["blocks"],
          api_name="compare_method_selection", show_progress="hidden", **hidden)
    run_fn = with_api_names(handler(partial(compare_run, service, controls)),
                            ["value", "seed", "poisson", *controls.names(), "offer_to_study"])
    outputs = [ui[k] for k in ("results", "table", "chart", "status", "slider_method", "slider", "state", "zip")]
    run = ui["run"].click(run_fn, [ui["editor"], ui["seed"], ui["poisson"], *ui["families"], *ui["params"], ui["offer"]],
                          outputs, api_name="compare_run", show_progress_on=[ui["status"]])
    ui["stop"].click(None, None, None, cancels=[run], api_name="compare_stop")
    show = handler(partial(slider, service))
    for source, name in ((ui["slider_method"], "compare_slider"), (ui["slider_before"], "compare_slider_before")):
        source.change(show, [ui["state"], ui["slider_method"], ui["slider_before"]], ui["slider"], api_name=name)
    ui["results"].select(pick, ui["state"], ui["slider_method"], api_name="compare_pick_result", **hidden)
    for kind in TEACHING_VIEWS:
        ui[f"teach_{kind}"].click(handler(partial(teach, service, kind)), [ui["editor"], ui["seed"]], ui["teaching"],
                                  api_name=f"compare_{kind}")
