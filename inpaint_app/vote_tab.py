"""The Vote tab: the human-preference study ("Real or inpainted?", "Which fill is better?" and
"Real or de-mosaiced?", the survey's study of Dahl et al. 2017).

Layout and adapters only: :class:`inpaint_core.study.service.StudyService` (built by
:func:`make_study_service`, passed to :func:`build_vote_tab`) samples pairs, records votes and skips
and computes the results as data; this module turns that data into Markdown, tables and figures.

Integrity in the page: before a vote the browser gets two images and a random one-time token, and
nothing else about the pair: each showing of an image is a lossless PNG under a fresh random name
(:class:`inpaint_app.pair_images.PairImageFiles`). Method names arrive only with the reveal.

Every study action is an API endpoint whose name contains ``vote``; a script takes part with
``gradio_client``: ``vote_next_pair`` -> (left, right, token, ...), then
``client.predict(token, "left", api_name="/vote_submit")``. Asking for a new pair before voting skips
the open one, as does ``client.predict(token, api_name="/vote_skip")``; skips are shown as skip rates.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pandas as pd

from inpaint_app.adapt import handler
from inpaint_app.config import AppConfig
from inpaint_app.pair_images import PairImageFiles
from inpaint_app.vote_figures import bt_figure, fooled_figure
from inpaint_core.study.pairs import PairPool
from inpaint_core.study.results import BT_COLUMNS, FOOLED_COLUMNS, PAIR_COLUMNS
from inpaint_core.study.service import ResultsView, Reveal, StudyService
from inpaint_core.study.stats import MIN_BOOTSTRAP_RATERS
from inpaint_core.study.store import PUBLIC_CODE, StudyInfo, VoteRejected, VoteStore

MODE_LABELS = {"Real or inpainted?": "real", "Which fill is better?": "duel", "Real or de-mosaiced?": "demosaic"}
MODE_NAMES = {v: k for k, v in MODE_LABELS.items()}
PROMPTS = {
    "real": "### Which image came from a camera?\nOne is an untouched photo, the other had a hole filled by an algorithm.",
    "duel": "### Which fill is better?\nBoth images had the same hole filled by two different methods.",
    "demosaic": "### Which image came from a camera?\nOne is an untouched photo; in the other, a region was pixelated "
                "(a mosaic of blocks) and restored by an algorithm.",
}
PICKED = {"left": "the left fill", "right": "the right fill", "tie": "a tie", "both_bad": "both bad"}
CHOICE_BUTTONS = ("left", "right", "tie", "both_bad")  # the order of the four buttons in every output list
RATING = dict(concurrency_limit=8, concurrency_id="vote_rating")
# the pair fills its box in the browser, nearest-neighbour: a 32 or 64 px face (the de-mosaicing study) is seen,
# and no interpolation mixes pixels; both sides are scaled alike, the files sent stay the exact images
CSS = ("#vote-left-image img, #vote-right-image img { width: 100%; height: 100%; object-fit: contain; "
       "image-rendering: pixelated; }")


def make_study_service(config: AppConfig) -> StudyService:
    """The study service (vote store + pair pool) for ``config``, shared by every session of one app."""
    roots = {"gallery": config.gallery_dir}
    if config.vote_include_recent:
        roots["recent"] = config.recent_dir
    store = VoteStore(config.database_url, min_response_ms=config.vote_min_response_ms,
                      rate_limit=config.vote_rate_limit)
    # a recent compare counts only if its user offered it to the study (see inpaint_core.study.pairs)
    return StudyService(store, PairPool(roots, opt_in=("recent",)))


def _session_id(request: gr.Request | None) -> str:
    """An anonymous rater id: a salted hash of Gradio's per-page-load session hash."""
    raw = getattr(request, "session_hash", None) or "anonymous"
    return hashlib.sha256(f"inpaint-lab-vote:{raw}".encode()).hexdigest()[:20]


# ----------------------------------------------------------------------------- page text
def _describe(study: StudyInfo) -> str:
    if study.code == PUBLIC_CODE:
        return "You are in the **public study**: every method, every image. Press *Start* for a pair."
    quota = f"{study.pairs_per_rater} pairs" if study.pairs_per_rater else "as many pairs as you like"
    exposure = f"; each pair is shown for {study.exposure_s:g} s" if study.exposure_s else ""
    title = f" *{study.title}*" if study.title else ""
    return f"You joined study **{study.code}**{title}: {quota}{exposure}. Press *Start* for a pair."


def reveal_markdown(reveal: Reveal) -> str:
    """The sentence shown after a vote: which side was the photo, or which methods dueled."""
    if reveal.real_side is not None:
        other = "right" if reveal.real_side == "left" else "left"
        done = "de-mosaiced" if reveal.mode == "demosaic" else "filled"
        text = (f"**Previous pair:** the **{reveal.real_side}** image came from a camera; the **{other}** one was "
                f"{done} by **{reveal.filled_title}** (`{reveal.filled}`). "
                + ("You spotted it." if reveal.correct else "It fooled you."))
    else:
        text = (f"**Previous pair:** left was **{reveal.left_title}** (`{reveal.left}`), right was "
                f"**{reveal.right_title}** (`{reveal.right}`). You chose {PICKED[reveal.choice]}.")
    if reveal.too_fast:
        text += (f" (That vote came {reveal.response_ms} ms after the pair appeared: it is kept but flagged as too "
                 "fast and left out of the results.)")
    return text


def _summary(view: ResultsView) -> str:
    r = view.results
    skipped = (f"{r.n_skipped} of {r.n_resolved} pairs skipped without a vote "
               f"({100 * r.n_skipped / r.n_resolved:.0f} %)" if r.n_resolved else "no pairs skipped")
    return (
        f"**Study {view.study.code}**: {r.n_votes} votes from {r.n_raters} raters on {r.n_images} images "
        f"({r.n_too_fast} too-fast votes, {'included' if view.include_too_fast else 'excluded'}); {skipped}. "
        f"Updated {time.strftime('%H:%M:%S')}.\n\n"
        "Intervals count raters, not votes: one rater's many votes are one opinion. The fooled rate's honest "
        "interval is the Wilson interval over the effective number of raters' votes; the plain Wilson interval "
        f"treats every vote as independent. Bradley-Terry intervals resample raters and need {MIN_BOOTSTRAP_RATERS}."
    )


# ----------------------------------------------------------------------------- small outputs
def _buttons(mode: str, enabled: bool) -> list:
    duel = mode == "duel"
    return [gr.Button(interactive=enabled), gr.Button(interactive=enabled),
            gr.Button(interactive=enabled, visible=duel), gr.Button(interactive=enabled, visible=duel)]


def vote_lock_buttons() -> list:
    """Disable the choice buttons the moment one is clicked (the server refuses a second vote anyway)
    and stop the exposure timer, so that the next pair's exposure starts from zero."""
    return [*(gr.Button(interactive=False) for _ in range(4)), gr.Timer(active=False)]


def vote_hide_pair() -> list:
    """The exposure time is over: hide the images (the rater still answers)."""
    return [None, None, gr.Timer(active=False)]


def _live_toggle(live: bool):
    return gr.Timer(active=bool(live))


# ----------------------------------------------------------------------------- handlers
def _rating_handlers(service: StudyService, files: PairImageFiles) -> SimpleNamespace:
    """The rater's handlers, closures over one service and one pair-image folder."""

    def next_pair(mode_label: str, code: str, exposure_s: float | None, request: gr.Request) -> list:
        mode = MODE_LABELS.get(mode_label, mode_label)
        if mode not in MODE_NAMES:
            raise ValueError(f"Unknown mode {mode_label!r}; choose one of {', '.join(MODE_LABELS)}.")
        try:
            offer = service.next_pair(_session_id(request), code, mode)
        except VoteRejected as exc:
            if exc.reason not in ("quota", "empty"):
                raise
            return [None, None, "", f"### {exc}", *_buttons(mode, False), gr.Timer(active=False)]
        exposure = offer.exposure_s or float(exposure_s or 0)
        progress = f"\n\nPair {offer.done + 1} of {offer.quota}." if offer.quota else ""
        limit = f"\n\nThe images disappear after {exposure:g} s." if exposure > 0 else ""
        return [files.show(offer.left), files.show(offer.right), offer.token, PROMPTS[mode] + progress + limit,
                *_buttons(mode, True), gr.Timer(value=exposure if exposure > 0 else 1.0, active=exposure > 0)]

    def submitter(choice: str):
        @handler
        def submit(token: str, mode_label: str, code: str, exposure_s: float | None, request: gr.Request) -> list:
            """Vote, then hand the rater the next pair: (reveal, the pair's outputs)."""
            try:
                reveal = reveal_markdown(service.vote(_session_id(request), token, choice).reveal)
            except VoteRejected as exc:
                if exc.reason not in ("replayed", "skipped"):
                    raise
                reveal = str(exc)
            return [reveal, *next_pair(mode_label, code, exposure_s, request)]

        return submit

    def vote_submit(token: str, choice: str, request: gr.Request) -> dict:
        """Vote on the pair ``token`` with "left", "right", "tie" or "both_bad"; returns the reveal as a dict."""
        try:
            receipt = service.vote(_session_id(request), token, choice)
        except VoteRejected as exc:
            return {"accepted": False, "reason": exc.reason, "message": str(exc)}
        return {"accepted": True, **receipt.public(), "message": reveal_markdown(receipt.reveal)}

    def vote_skip(token: str, request: gr.Request) -> dict:
        """Skip the pair ``token`` without voting; returns {"accepted", "message"} (and "reason" if refused)."""
        try:
            fresh = service.skip(_session_id(request), token)
        except VoteRejected as exc:
            return {"accepted": False, "reason": exc.reason, "message": str(exc)}
        return {"accepted": True, "message": "Skipped." if fresh else "This pair was already skipped."}

    @handler
    def vote_join(code: str) -> list:
        """Join a study by its code (empty = the public study): a description and the allowed modes."""
        study = service.study(code)
        labels = [MODE_NAMES[m] for m in study.modes]
        return [_describe(study), gr.Radio(choices=labels, value=labels[0]), study.code]

    return SimpleNamespace(next_pair=handler(next_pair), submit={c: submitter(c) for c in CHOICE_BUTTONS},
                           vote_submit=vote_submit, vote_skip=vote_skip, vote_join=vote_join)


def _teacher_handlers(service: StudyService, exports: Path) -> SimpleNamespace:
    """Results, exports and classroom studies, closures over one service and one export folder."""

    @handler
    def vote_results(code: str, teacher_key: str, include_too_fast: bool) -> list:
        view = service.results_view(code, teacher_key, include_too_fast=include_too_fast)
        return [_summary(view), pd.DataFrame(view.fooled, columns=FOOLED_COLUMNS), fooled_figure(view.fooled_chart),
                pd.DataFrame(view.bradley_terry, columns=BT_COLUMNS), bt_figure(view.bt_chart), view.extremes,
                pd.DataFrame(view.pairs, columns=PAIR_COLUMNS), pd.DataFrame(view.demosaiced, columns=FOOLED_COLUMNS),
                fooled_figure(view.demosaic_chart), view.demosaic_extremes]

    @handler
    def vote_results_csv(code: str, teacher_key: str, include_too_fast: bool) -> str:
        return str(service.write_export("results", exports, code, teacher_key, include_too_fast=include_too_fast))

    @handler
    def vote_export_csv(code: str, teacher_key: str) -> str:
        return str(service.write_export("votes", exports, code, teacher_key))

    def vote_study_options() -> list:
        methods, items = service.study_options()
        return [gr.CheckboxGroup(choices=methods, value=methods), gr.CheckboxGroup(choices=items, value=items)]

    @handler
    def vote_create_study(title, mode_labels, methods, items, pairs_per_rater, exposure_s) -> list:
        study, key = service.create_study(
            title=title, modes=[MODE_LABELS.get(m, m) for m in mode_labels or []], methods=methods, items=items,
            pairs_per_rater=pairs_per_rater, exposure_s=exposure_s,
        )
        message = (
            f"## Study code: `{study.code}`\nStudents type this code above and press *Join*.\n\n"
            f"Teacher key (keep it; shown once): `{key}` — enter it with the code under *Results* to see live "
            "results and export the votes."
        )
        return [message, study.code, key]

    return SimpleNamespace(results=vote_results, results_csv=vote_results_csv, export_csv=vote_export_csv,
                           study_options=vote_study_options, create_study=vote_create_study)


# ----------------------------------------------------------------------------- layout
def _build_rating() -> SimpleNamespace:
    gr.Markdown(
        "Take part in the human-preference study. **Real or inpainted?** shows an untouched photo and an "
        "inpainted version of it: pick the one from a camera. **Which fill is better?** shows two methods' fills "
        "of the same hole. **Real or de-mosaiced?** is the survey's study (Dahl et al. 2017): a photo against "
        "the same photo pixelated and restored. Method names stay hidden until you vote."
    )
    with gr.Row():
        mode = gr.Radio(list(MODE_LABELS), value="Real or inpainted?", label="Mode", scale=2)
        code = gr.Textbox(label="Study code", placeholder="empty = public study", max_lines=1, scale=1)
        join = gr.Button("Join", scale=0, min_width=80)
        exposure = gr.Number(value=0, minimum=0, maximum=30, step=0.5, label="Show each pair for (s, 0 = no limit)",
                             scale=1, elem_id="vote-exposure")
    study_info = gr.Markdown("You are in the **public study** unless you join one with a code. "
                             "Press *Start* for a pair.")
    start = gr.Button("Start / new pair", variant="primary")
    gr.Markdown("A new pair before you vote skips the one on screen; skips are counted in the results.")
    prompt = gr.Markdown("")
    with gr.Row(equal_height=True):
        left, right = (gr.Image(label=side.title(), format="png", interactive=False, height=420, buttons=["fullscreen"],
                                elem_id=f"vote-{side}-image") for side in ("left", "right"))
    with gr.Row():
        b_left = gr.Button("◀ Left", interactive=False, variant="primary", elem_id="vote-left")
        b_tie = gr.Button("Tie", interactive=False, visible=False, elem_id="vote-tie")
        b_bad = gr.Button("Both bad", interactive=False, visible=False, elem_id="vote-both-bad")
        b_right = gr.Button("Right ▶", interactive=False, variant="primary", elem_id="vote-right")
    reveal = gr.Markdown("", elem_id="vote-reveal")
    token = gr.Textbox(visible="hidden", elem_id="vote-token")
    timer = gr.Timer(1.0, active=False)
    return SimpleNamespace(mode=mode, code=code, join=join, exposure=exposure, study_info=study_info, start=start,
                           prompt=prompt, left=left, right=right, reveal=reveal, token=token, timer=timer,
                           buttons=dict(zip(CHOICE_BUTTONS, (b_left, b_right, b_tie, b_bad))))


def _build_results() -> SimpleNamespace:
    with gr.Accordion("Results", open=False):
        with gr.Row():
            code = gr.Textbox(label="Study code", placeholder="empty = public study", max_lines=1)
            key = gr.Textbox(label="Teacher key (classroom studies)", type="password", max_lines=1)
            fast = gr.Checkbox(False, label="Include too-fast votes")
        with gr.Row():
            refresh = gr.Button("Show / refresh results")
            export = gr.Button("Export all votes (CSV)")
            export_results = gr.Button("Export results (CSV)")
        live = gr.Checkbox(False, label="Live (refresh every 5 s)")
        timer = gr.Timer(5.0, active=False)
        summary = gr.Markdown("")
        with gr.Row():
            fooled = gr.Dataframe(label="Real or inpainted? — fooled rate per method", interactive=False)
            fooled_plot = gr.Plot(label="Fooled rate")
        with gr.Row():
            bt = gr.Dataframe(label="Which fill is better? — Bradley-Terry ranking", interactive=False)
            bt_plot = gr.Plot(label="Bradley-Terry scores")
        pairs = gr.Dataframe(label="Which fill is better? — per pair of methods (skipped = pairs passed over unvoted)",
                             interactive=False)
        extremes = gr.Gallery(label="Best and worst rated images per method (k/n = picked over the photo)", columns=4,
                              height=320)
        with gr.Row():
            demosaiced = gr.Dataframe(label="Real or de-mosaiced? — how often the restored image was picked as the "
                                      "photo (k/n, as the survey reports Dahl et al.)", interactive=False)
            demosaic_plot = gr.Plot(label="Picked over the photo")
        demosaic_extremes = gr.Gallery(label="Real or de-mosaiced? — best and worst rated images per method (k/n)",
                                       columns=4, height=320)
        file = gr.File(label="Votes (CSV)")
    return SimpleNamespace(code=code, key=key, fast=fast, refresh=refresh, export=export, export_results=export_results,
                           live=live, timer=timer, file=file,
                           outputs=[summary, fooled, fooled_plot, bt, bt_plot, extremes, pairs, demosaiced,
                                    demosaic_plot, demosaic_extremes])


def _build_classroom() -> SimpleNamespace:
    with gr.Accordion("Classroom: create a study", open=False) as panel:
        gr.Markdown("Pick methods and images; students join with the code you get. Studies are isolated.")
        with gr.Row():
            title = gr.Textbox(label="Title", max_lines=1)
            modes = gr.CheckboxGroup(list(MODE_LABELS), value=list(MODE_LABELS)[:2], label="Modes")
            pairs = gr.Number(20, minimum=0, precision=0, label="Pairs per rater (0 = unlimited)")
            exposure = gr.Number(0, minimum=0, maximum=30, label="Exposure limit (s, 0 = none)")
        methods = gr.CheckboxGroup([], label="Methods")
        items = gr.CheckboxGroup([], label="Images")
        create = gr.Button("Create study", variant="primary")
        out = gr.Markdown("")
    return SimpleNamespace(panel=panel, create=create, out=out, methods=methods, items=items,
                           inputs=[title, modes, methods, items, pairs, exposure])


def _wire_rating(ui: SimpleNamespace, h: SimpleNamespace) -> None:
    buttons = list(ui.buttons.values())
    pair_inputs = [ui.mode, ui.code, ui.exposure]
    pair_outputs = [ui.left, ui.right, ui.token, ui.prompt, *buttons, ui.timer]
    ui.join.click(h.vote_join, [ui.code], [ui.study_info, ui.mode, ui.code], api_name="vote_join")
    ui.code.submit(h.vote_join, [ui.code], [ui.study_info, ui.mode, ui.code], api_name="vote_join_submit")
    ui.start.click(vote_lock_buttons, None, [*buttons, ui.timer], queue=False, api_name="vote_lock_start").then(
        h.next_pair, pair_inputs, pair_outputs, api_name="vote_next_pair", **RATING,
    )
    ui.timer.tick(vote_hide_pair, None, [ui.left, ui.right, ui.timer], api_name="vote_hide_pair", queue=False)
    for choice, button in ui.buttons.items():
        button.click(vote_lock_buttons, None, [*buttons, ui.timer], queue=False, api_name=f"vote_lock_{choice}").then(
            h.submit[choice], [ui.token, *pair_inputs], [ui.reveal, *pair_outputs], api_name=f"vote_submit_{choice}",
            **RATING,
        )
    gr.api(h.vote_submit, api_name="vote_submit", **RATING)
    gr.api(h.vote_skip, api_name="vote_skip", **RATING)


def _wire_teacher(results: SimpleNamespace, classroom: SimpleNamespace, h: SimpleNamespace) -> None:
    inputs = [results.code, results.key, results.fast]
    results.refresh.click(h.results, inputs, results.outputs, api_name="vote_results")
    results.live.change(_live_toggle, results.live, results.timer, api_name="vote_results_live", queue=False)
    results.timer.tick(h.results, inputs, results.outputs, api_name="vote_results_tick")
    results.export.click(h.export_csv, [results.code, results.key], results.file, api_name="vote_export_csv")
    results.export_results.click(h.results_csv, inputs, results.file, api_name="vote_results_csv")
    classroom.panel.expand(h.study_options, None, [classroom.methods, classroom.items], api_name="vote_study_options")
    classroom.create.click(h.create_study, classroom.inputs, [classroom.out, results.code, results.key],
                           api_name="vote_create_study")


def build_vote_tab(service: StudyService, config: AppConfig) -> None:
    """Lay out the Vote tab inside the current gr.Tab and wire its events (all api_names contain 'vote').

    ``service`` serves every session of this app (see :func:`make_study_service`); ``config`` is the
    app's (the study's settings are already in ``service``). The pair images and the CSV exports live
    in a folder of this app's own, removed at exit.
    """
    files = PairImageFiles()  # registers the static folder of the pair images before the app starts
    gr.HTML(f"<style>{CSS}</style>", padding=False)
    rating, results, classroom = _build_rating(), _build_results(), _build_classroom()
    _wire_rating(rating, _rating_handlers(service, files))
    _wire_teacher(results, classroom, _teacher_handlers(service, files.folder / "exports"))
