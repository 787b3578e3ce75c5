"""The Gallery tab: every method on the shipped cases, a leaderboard and charts.

Layout and adapters only; :class:`inpaint_core.services.gallery.GalleryService` reads the tables,
builds each case's view, the leaderboard and the charts.
"""

from __future__ import annotations

from functools import partial

import gradio as gr

from inpaint_core.metrics import METRICS
from inpaint_core.services.gallery import GROUPINGS, GalleryService

from .adapt import handler

ALL = "All hole types"


def _case_outputs(view):
    """A :class:`CaseView` as the values of (grid, slider method, slider, table, title)."""
    first = view.methods[0][1] if view.methods else None
    return view.tiles, gr.update(choices=view.methods, value=first), view.slider, view.table, view.title


def _build_case_view(service: GalleryService) -> dict:
    """Filters, the case picker, every method's output, the before/after slider and the case's table."""
    families, cases = service.families(), service.case_choices()
    first = service.case_view(cases[0][1], families) if cases else None
    gr.Markdown(
        "Every method on a fixed set of images and holes, precomputed (`python -m gallery build`). "
        "Pick a case to see all completions side by side. Scores are measured against the intact original, and "
        "every image shown is the very output that was scored, stored losslessly (outside the hole, bit for bit "
        "the original)."
        + ("" if cases else "\n\n**The gallery is not built yet.** Run `python -m gallery build`, then press Refresh.")
    )
    ui = {}
    with gr.Row():
        ui["holes"] = gr.Dropdown([ALL] + service.hole_types(), value=[ALL], multiselect=True, label="Hole types",
                                  scale=2)
        ui["families"] = gr.CheckboxGroup(families, value=families, label="Method families", scale=3)
        ui["refresh"] = gr.Button("Refresh", scale=0, min_width=90)
    with gr.Row():
        ui["case"] = gr.Dropdown(cases, value=cases[0][1] if cases else None, label="Case", scale=3)
        ui["zoom"] = gr.Checkbox(False, label="Zoom on the hole", scale=1)
    ui["title"] = gr.Markdown(first.title if first else "")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            ui["grid"] = gr.Gallery(first.tiles if first else [], label="Every method on this case (click one to see "
                                    "it in the before/after slider)", columns=4, height=None, object_fit="contain",
                                    format="png", allow_preview=True, elem_id="gallery-grid")
        with gr.Column(scale=2):
            methods = first.methods if first else []
            ui["method"] = gr.Dropdown(methods, value=methods[0][1] if methods else None, label="Before / after: method")
            ui["slider"] = gr.ImageSlider(first.slider if first else None, label="Before / after (drag)", type="numpy",
                                          elem_id="gallery-slider")
    ui["table"] = gr.Dataframe(first.table if first else None, label="Scores on this case", interactive=False)
    return ui


def _build_summaries(service: GalleryService) -> dict:
    """The leaderboard and the charts."""
    gr.Markdown("### Leaderboard\nMean score over the gallery's cases (successful runs only). Only methods that "
                "completed every case are ranked; the others show how many cases their means cover.")
    ui = {}
    with gr.Row():
        ui["group_by"] = gr.Radio(list(GROUPINGS), value="hole type", label="Group by")
        ui["metric"] = gr.Radio([(m.label, name) for name, m in METRICS.items()], value="psnr_hole", label="Score")
    ui["board"] = gr.Dataframe(service.leaderboard(), label="Leaderboard", interactive=False)
    score_fig, time_fig = service.charts()
    with gr.Row():
        ui["scores"] = gr.Plot(score_fig, label="Score by hole type")
        ui["times"] = gr.Plot(time_fig, label="Time against image size")
    return ui


def show_case(service: GalleryService, case_id, families, zoomed):
    return _case_outputs(service.case_view(case_id, families, zoomed))


def pick_tile(service: GalleryService, case_id, families, zoomed, evt: gr.SelectData):
    """A click on a method's tile shows that method in the before/after slider."""
    if not case_id or evt is None or evt.index is None:
        return gr.update(), gr.update()
    index = (evt.index[0] if isinstance(evt.index, (list, tuple)) else int(evt.index)) - 2  # original, input
    methods = service.tile_methods(case_id, families)
    if not 0 <= index < len(methods):
        return gr.update(), gr.update()
    return gr.update(value=methods[index]), service.slider(case_id, methods[index], zoomed)


def filter_cases(service: GalleryService, kinds):
    choices = service.case_choices(kinds)
    return gr.update(choices=choices, value=choices[0][1] if choices else None)


def refresh(service: GalleryService, kinds):
    """Re-read the gallery folder (after a rebuild) and update the filters and the case list."""
    service.refresh()
    families = service.families()
    return (gr.update(choices=[ALL] + service.hole_types()), gr.update(choices=families, value=families),
            filter_cases(service, kinds))


def build_gallery_tab(service: GalleryService) -> None:
    """The Gallery tab's layout and wiring (call inside a ``gr.Tab``)."""
    ui = _build_case_view(service) | _build_summaries(service)
    case_inputs = [ui["case"], ui["families"], ui["zoom"]]
    case_outputs = [ui["grid"], ui["method"], ui["slider"], ui["table"], ui["title"]]
    board_inputs = [ui["group_by"], ui["metric"], ui["families"]]
    ui["holes"].change(partial(filter_cases, service), [ui["holes"]], [ui["case"]], api_name="gallery_filter")
    shown = handler(partial(show_case, service))
    for event, name in ((ui["case"].change, ""), (ui["families"].change, "_families"), (ui["zoom"].change, "_zoom")):
        event(shown, case_inputs, case_outputs, api_name=f"gallery_case{name}")
    ui["grid"].select(handler(partial(pick_tile, service)), case_inputs, [ui["method"], ui["slider"]],
                      api_name="gallery_pick")
    ui["method"].input(handler(service.slider), [ui["case"], ui["method"], ui["zoom"]], [ui["slider"]],
                       api_name="gallery_slider")
    for event, name in ((ui["group_by"].change, ""), (ui["metric"].change, "_metric"),
                        (ui["families"].change, "_families")):
        event(handler(service.leaderboard), board_inputs, [ui["board"]], api_name=f"gallery_leaderboard{name}")
    for event, name in ((ui["metric"].change, ""), (ui["families"].change, "_families")):
        event(handler(service.charts), [ui["metric"], ui["families"]], [ui["scores"], ui["times"]],
              api_name=f"gallery_charts{name}")
    ui["refresh"].click(partial(refresh, service), [ui["holes"]], [ui["holes"], ui["families"], ui["case"]],
                        api_name="gallery_refresh")
