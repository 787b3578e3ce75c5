"""The Vote tab: the human-preference study ("Real or inpainted?" and "Which fill is better?").

Integrity in the page: before a vote the browser gets two images and a random one-time token, and
nothing else about the pair. Images are lossless PNGs served under a fresh random file name per
showing (:class:`PairImageFiles`), so no URL can be linked to the method or to an earlier reveal.
Method names arrive only with the reveal.

Every study action is an API endpoint whose name contains ``vote``; a script takes part with
``gradio_client``: ``vote_next_pair`` -> (left, right, token, ...), then
``client.predict(token, "left", api_name="/vote_submit")``.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict, deque
from pathlib import Path

import gradio as gr
import numpy as np
import plotly.graph_objects as go
from PIL import Image

from inpaint_app.config import AppConfig
from inpaint_core.study.pairs import PairPool
from inpaint_core.study.results import StudyResults
from inpaint_core.study.service import StudyService, method_title
from inpaint_core.study.store import PUBLIC_CODE, StudyInfo, VoteRejected, VoteStore

MODE_LABELS = {"Real or inpainted?": "real", "Which fill is better?": "duel"}
MODE_NAMES = {v: k for k, v in MODE_LABELS.items()}
PROMPTS = {
    "real": "### Which image came from a camera?\nOne is an untouched photo, the other had a hole filled by an algorithm.",
    "duel": "### Which fill is better?\nBoth images had the same hole filled by two different methods.",
}
_SERVICES: dict[tuple, StudyService] = {}
_CSV_DIR = Path(tempfile.gettempdir()) / "inpaint-lab-votes"
_IMAGE_DIR = _CSV_DIR / "pairs"
_PAIR_FILES_LOCK = threading.Lock()


def get_service(config: AppConfig) -> StudyService:
    """One service (store + pair pool) per database URL and case folders, shared by all sessions."""
    key = (config.database_url, str(config.gallery_dir), str(config.recent_dir))
    if key not in _SERVICES:
        roots = {"gallery": config.gallery_dir}
        if config.vote_include_recent:
            roots["recent"] = config.recent_dir
        store = VoteStore(
            config.database_url,
            min_response_ms=config.vote_min_response_ms,
            rate_limit=config.vote_rate_limit,
        )
        _SERVICES[key] = StudyService(store, PairPool(roots))
    return _SERVICES[key]


def _session_id(request: gr.Request | None) -> str:
    """An anonymous rater id: a salted hash of Gradio's per-page-load session hash."""
    raw = getattr(request, "session_hash", None) or "anonymous"
    return hashlib.sha256(f"inpaint-lab-vote:{raw}".encode()).hexdigest()[:20]


class PairImageFiles:
    """Image files for the pairs: one PNG per distinct image, shown under a fresh random name each time.

    A showing is a hard link with a random name in a folder that Gradio serves as static files
    (``gr.set_static_paths``), so Gradio neither hashes nor copies it per request, and its URL can
    be linked neither to the method nor to an earlier showing (or reveal) of the same image.
    Showings older than ``ttl_s`` are unlinked as new ones are made; the distinct PNGs are an LRU of
    ``keep`` files. Everything lives in a per-process folder removed at exit.
    """

    def __init__(self, root: Path, ttl_s: float = 1800.0, keep: int = 1024):
        root.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="pairs-", dir=root))
        self.showings = self.folder / "shown"
        self.encoded = self.folder / "encoded"
        self.showings.mkdir()
        self.encoded.mkdir()
        self.ttl_s, self.keep = ttl_s, keep
        self._by_content: OrderedDict[str, Path] = OrderedDict()
        self._shown: deque[tuple[float, Path]] = deque()
        self._lock = threading.Lock()
        gr.set_static_paths([self.showings])
        atexit.register(shutil.rmtree, self.folder, ignore_errors=True)

    def show(self, image: np.ndarray) -> str:
        """The path of a new showing of ``image`` (uint8 RGB)."""
        key = hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest() + "x".join(map(str, image.shape))
        with self._lock:
            source = self._by_content.get(key)
            if source is not None:
                self._by_content.move_to_end(key)
        if source is None:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="PNG", compress_level=1)  # lossless; fast over small
            partial = self.encoded / f"{key}.{secrets.token_hex(4)}.part"
            partial.write_bytes(buffer.getvalue())
            source = self.encoded / f"{key}.png"
            os.replace(partial, source)
        shown = self.showings / f"{secrets.token_hex(12)}.png"
        now = time.monotonic()
        with self._lock:
            try:
                os.link(source, shown)
            except OSError:  # a file system without hard links
                shutil.copyfile(source, shown)
            self._by_content[key] = source
            self._by_content.move_to_end(key)
            while len(self._by_content) > self.keep:
                _, old = self._by_content.popitem(last=False)
                old.unlink(missing_ok=True)  # its showings are links: they stay readable
            self._shown.append((now, shown))
            while self._shown and now - self._shown[0][0] > self.ttl_s:
                self._shown.popleft()[1].unlink(missing_ok=True)
        return str(shown)


_PAIR_FILES: PairImageFiles | None = None


def _pair_files() -> PairImageFiles:
    global _PAIR_FILES
    with _PAIR_FILES_LOCK:
        if _PAIR_FILES is None:
            _PAIR_FILES = PairImageFiles(_IMAGE_DIR)
    return _PAIR_FILES


def _anonymous_png(image: np.ndarray) -> str:
    """A new showing of ``image``: a PNG under a random name (see :class:`PairImageFiles`)."""
    return _pair_files().show(image)


def _buttons(mode: str, enabled: bool) -> list:
    return [
        gr.Button(interactive=enabled),
        gr.Button(interactive=enabled),
        gr.Button(interactive=enabled, visible=mode == "duel"),
        gr.Button(interactive=enabled, visible=mode == "duel"),
    ]


def _no_pair(message: str, mode: str) -> list:
    return [None, None, "", message, *_buttons(mode, False), gr.Timer(active=False)]


# ----------------------------------------------------------------------------- rating handlers
def vote_next_pair(
    config: AppConfig, mode_label: str, code: str, exposure_s: float | None, request: gr.Request = None
) -> list:
    """Hand the rater a new pair: (left image, right image, token, prompt, 4 buttons, exposure timer)."""
    mode = MODE_LABELS.get(mode_label, mode_label)
    if mode not in MODE_NAMES:
        raise gr.Error(f"Unknown mode {mode_label!r}; choose one of {', '.join(MODE_LABELS)}.")
    try:
        offer = get_service(config).next_pair(_session_id(request), code, mode)
    except VoteRejected as exc:
        if exc.reason in ("quota", "empty"):
            return _no_pair(f"### {exc}", mode)
        raise gr.Error(str(exc)) from exc
    exposure = offer.exposure_s or float(exposure_s or 0)
    progress = f"\n\nPair {offer.done + 1} of {offer.quota}." if offer.quota else ""
    limit = f"\n\nThe images disappear after {exposure:g} s." if exposure > 0 else ""
    return [
        _anonymous_png(offer.left), _anonymous_png(offer.right), offer.token, PROMPTS[mode] + progress + limit,
        *_buttons(mode, True), gr.Timer(value=exposure if exposure > 0 else 1.0, active=exposure > 0),
    ]


def vote_lock_buttons() -> list:
    """Disable the choice buttons the moment one is clicked (the server refuses a second vote anyway)
    and stop the exposure timer, so that the next pair's exposure starts from zero."""
    return [*(gr.Button(interactive=False) for _ in range(4)), gr.Timer(active=False)]


def vote_hide_pair() -> list:
    """The exposure time is over: hide the images (the rater still answers)."""
    return [None, None, gr.Timer(active=False)]


def _submit(config: AppConfig, choice: str, token: str, mode_label: str, code: str, exposure_s, request) -> list:
    try:
        vote = get_service(config).vote(_session_id(request), token, choice)
        reveal = vote["reveal"]
    except VoteRejected as exc:
        if exc.reason != "replayed":
            raise gr.Error(str(exc)) from exc
        reveal = str(exc)
    return [reveal, *vote_next_pair(config, mode_label, code, exposure_s, request)]


def vote_submit(config: AppConfig, token: str, choice: str, request: gr.Request = None) -> dict:
    """Script endpoint: vote on the pair ``token`` ("left", "right", "tie", "both_bad"); returns the reveal."""
    try:
        vote = get_service(config).vote(_session_id(request), token, choice)
    except VoteRejected as exc:
        return {"accepted": False, "reason": exc.reason, "message": str(exc)}
    keep = ("id", "mode", "item_id", "left_method", "right_method", "choice", "response_ms", "too_fast", "correct")
    return {"accepted": True, **{k: vote[k] for k in keep}, "message": vote["reveal"]}


def vote_join(config: AppConfig, code: str) -> list:
    """Join a study by its code (empty = the public study): returns a description and the allowed modes."""
    try:
        study = get_service(config).study(code)
    except VoteRejected as exc:
        raise gr.Error(str(exc)) from exc
    labels = [MODE_NAMES[m] for m in study.modes]
    return [_describe(study), gr.Radio(choices=labels, value=labels[0]), study.code]


def _describe(study: StudyInfo) -> str:
    if study.code == PUBLIC_CODE:
        return "You are in the **public study**: every method, every image. Press *Start* for a pair."
    quota = f"{study.pairs_per_rater} pairs" if study.pairs_per_rater else "as many pairs as you like"
    exposure = f"; each pair is shown for {study.exposure_s:g} s" if study.exposure_s else ""
    title = f" *{study.title}*" if study.title else ""
    return f"You joined study **{study.code}**{title}: {quota}{exposure}. Press *Start* for a pair."


# ----------------------------------------------------------------------------- results handlers
def _fooled_figure(rows: list[dict]) -> go.Figure:
    fig = go.Figure()
    if rows:
        fig.add_bar(
            x=[r["method"] for r in rows], y=[100 * r["rate"] for r in rows],
            error_y=dict(
                type="data", symmetric=False,
                array=[100 * (r["high"] - r["rate"]) for r in rows],
                arrayminus=[100 * (r["rate"] - r["low"]) for r in rows],
            ),
            text=[f"{r['k']}/{r['n']}" for r in rows], textposition="inside",
        )
    fig.add_hline(y=50, line_dash="dash", annotation_text="50 % = indistinguishable from a photo")
    fig.update_layout(
        title="Fooled rate (picked over the real photo), Wilson 95 % CI", yaxis_title="%", yaxis_range=[0, 100],
        height=360, margin=dict(l=40, r=20, t=50, b=40), template="simple_white",
    )
    return fig


def _bt_figure(rows: list[dict]) -> go.Figure:
    fig = go.Figure()
    if rows:
        fig.add_scatter(
            x=[r["theta"] for r in rows], y=[r["method"] for r in rows], mode="markers",
            error_x=dict(
                type="data", symmetric=False,
                array=[r["high"] - r["theta"] for r in rows], arrayminus=[r["theta"] - r["low"] for r in rows],
            ),
            marker=dict(size=10),
        )
    fig.update_layout(
        title="Bradley-Terry log-strength, bootstrap 95 % CI", xaxis_title="log-strength (0 = average)",
        yaxis=dict(autorange="reversed"), height=360, margin=dict(l=40, r=20, t=50, b=40), template="simple_white",
    )
    return fig


def _gallery(service: StudyService, results: StudyResults) -> list:
    items = []
    for method, picks in sorted(results.best_worst.items()):
        for which in ("best", "worst"):
            item, k, n = picks[which]
            try:
                thumb = service.pool.thumbnail(item, method)
            except (KeyError, OSError):
                continue  # the case folder was removed since the vote
            items.append((thumb, f"{method} · {which} · {item.split('/', 1)[-1]} · {k}/{n} = {100 * k / n:.0f} %"))
    return items


def vote_results(config: AppConfig, code: str, teacher_key: str, include_too_fast: bool) -> list:
    """Results of a study: summary, fooled table and chart, BT table and chart, best/worst images."""
    service = get_service(config)
    try:
        study, results = service.results(code, teacher_key, include_too_fast=bool(include_too_fast))
    except VoteRejected as exc:
        raise gr.Error(str(exc)) from exc
    excluded = "included" if include_too_fast else "excluded"
    summary = (
        f"**Study {study.code}**: {results.n_votes} votes from {results.n_raters} raters "
        f"({results.n_too_fast} too-fast votes, {excluded}). Updated {time.strftime('%H:%M:%S')}."
    )
    fooled = [
        {"rank": r["rank"], "method": r["method"], "title": method_title(r["method"]), "fooled": f"{r['k']}/{r['n']}",
         "rate %": round(100 * r["rate"], 1), "95 % CI": f"{100 * r['low']:.0f}-{100 * r['high']:.0f} %"}
        for r in results.fooled
    ]
    bt = [
        {"rank": r["rank"], "method": r["method"], "title": method_title(r["method"]), "log-strength": round(r["theta"], 3),
         "95 % CI": f"{r['low']:.2f} .. {r['high']:.2f}", "duels": r["duels"],
         "P(beats average)": round(r["p_beat_average"], 3), "both bad": results.both_bad.get(r["method"], 0)}
        for r in results.bt_rows
    ]
    import pandas as pd

    return [
        summary, pd.DataFrame(fooled, columns=["rank", "method", "title", "fooled", "rate %", "95 % CI"]),
        _fooled_figure(results.fooled),
        pd.DataFrame(bt, columns=["rank", "method", "title", "log-strength", "95 % CI", "duels", "P(beats average)", "both bad"]),
        _bt_figure(results.bt_rows), _gallery(service, results),
    ]


def vote_export_csv(config: AppConfig, code: str, teacher_key: str) -> str:
    """All votes of a study (flagged ones included, with the flag) as a CSV file."""
    try:
        study, text = get_service(config).export_csv(code, teacher_key)
    except VoteRejected as exc:
        raise gr.Error(str(exc)) from exc
    _CSV_DIR.mkdir(parents=True, exist_ok=True)
    path = _CSV_DIR / f"votes-{study.code}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.csv"
    path.write_text(text)
    return str(path)


# ----------------------------------------------------------------------------- classroom handlers
def vote_study_options(config: AppConfig) -> list:
    """Methods and images a teacher may pick (loaded only when the teacher opens the panel)."""
    pool = get_service(config).pool
    methods = pool.methods()
    items = sorted(pool.cases())
    return [gr.CheckboxGroup(choices=methods, value=methods), gr.CheckboxGroup(choices=items, value=items)]


def vote_create_study(
    config: AppConfig, title: str, mode_labels: list[str], methods: list[str], items: list[str],
    pairs_per_rater: float, exposure_s: float,
) -> list:
    """Create a classroom study; returns its code and the teacher key (shown once)."""
    if not methods or not items:
        raise gr.Error("Open the list and pick at least one method and one image for the study.")
    try:
        study, key = get_service(config).create_study(
            title=title or "", modes=[MODE_LABELS[m] for m in mode_labels or []], methods=methods, items=items,
            pairs_per_rater=int(pairs_per_rater or 0), exposure_s=float(exposure_s or 0),
        )
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    message = (
        f"## Study code: `{study.code}`\nStudents type this code above and press *Join*.\n\n"
        f"Teacher key (keep it; shown once): `{key}` — enter it with the code under *Results* to see live "
        "results and export the votes."
    )
    return [message, study.code, key]


# ----------------------------------------------------------------------------- layout
def build_vote_tab(config: AppConfig) -> None:
    """Lay out the Vote tab inside the current gr.Tab and wire its events (all api_names contain 'vote')."""
    _pair_files()  # registers the static folder of the pair images before the app starts
    h = _Handlers(config)
    gr.Markdown(
        "Take part in the human-preference study. **Real or inpainted?** shows an untouched photo and an "
        "inpainted version of it: pick the one from a camera. **Which fill is better?** shows two methods' fills "
        "of the same hole. Method names stay hidden until you vote."
    )
    with gr.Row():
        mode = gr.Radio(list(MODE_LABELS), value="Real or inpainted?", label="Mode", scale=2)
        code = gr.Textbox(label="Study code", placeholder="empty = public study", max_lines=1, scale=1)
        join = gr.Button("Join", scale=0, min_width=80)
        exposure = gr.Number(value=0, minimum=0, maximum=30, step=0.5, label="Show each pair for (s, 0 = no limit)", scale=1,
                             elem_id="vote-exposure")
    study_info = gr.Markdown(_describe_public())
    start = gr.Button("Start / new pair", variant="primary")
    prompt = gr.Markdown("")
    with gr.Row(equal_height=True):
        left = gr.Image(label="Left", format="png", interactive=False, height=420, buttons=["fullscreen"], elem_id="vote-left-image")
        right = gr.Image(label="Right", format="png", interactive=False, height=420, buttons=["fullscreen"], elem_id="vote-right-image")
    with gr.Row():
        b_left = gr.Button("◀ Left", interactive=False, variant="primary", elem_id="vote-left")
        b_tie = gr.Button("Tie", interactive=False, visible=False, elem_id="vote-tie")
        b_bad = gr.Button("Both bad", interactive=False, visible=False, elem_id="vote-both-bad")
        b_right = gr.Button("Right ▶", interactive=False, variant="primary", elem_id="vote-right")
    reveal = gr.Markdown("", elem_id="vote-reveal")
    token = gr.Textbox(visible="hidden", elem_id="vote-token")
    timer = gr.Timer(1.0, active=False)
    buttons = [b_left, b_right, b_tie, b_bad]
    pair_outputs = [left, right, token, prompt, *buttons, timer]
    pair_inputs = [mode, code, exposure]
    rating = dict(concurrency_limit=8, concurrency_id="vote_rating")

    with gr.Accordion("Results", open=False):
        with gr.Row():
            r_code = gr.Textbox(label="Study code", placeholder="empty = public study", max_lines=1)
            r_key = gr.Textbox(label="Teacher key (classroom studies)", type="password", max_lines=1)
            r_fast = gr.Checkbox(False, label="Include too-fast votes")
        with gr.Row():
            r_refresh = gr.Button("Show / refresh results")
            r_export = gr.Button("Export all votes (CSV)")
        r_live = gr.Checkbox(False, label="Live (refresh every 5 s)")
        r_timer = gr.Timer(5.0, active=False)
        r_summary = gr.Markdown("")
        with gr.Row():
            r_fooled = gr.Dataframe(label="Real or inpainted? — fooled rate per method", interactive=False)
            r_fooled_plot = gr.Plot(label="Fooled rate")
        with gr.Row():
            r_bt = gr.Dataframe(label="Which fill is better? — Bradley-Terry ranking", interactive=False)
            r_bt_plot = gr.Plot(label="Bradley-Terry scores")
        r_gallery = gr.Gallery(label="Best and worst rated images per method (k/n = picked over the photo)", columns=4, height=320)
        r_file = gr.File(label="Votes (CSV)")

    with gr.Accordion("Classroom: create a study", open=False) as classroom:
        gr.Markdown("Pick methods and images; students join with the code you get. Studies are isolated.")
        with gr.Row():
            c_title = gr.Textbox(label="Title", max_lines=1)
            c_modes = gr.CheckboxGroup(list(MODE_LABELS), value=list(MODE_LABELS), label="Modes")
            c_pairs = gr.Number(20, minimum=0, precision=0, label="Pairs per rater (0 = unlimited)")
            c_exposure = gr.Number(0, minimum=0, maximum=30, label="Exposure limit (s, 0 = none)")
        c_methods = gr.CheckboxGroup([], label="Methods")
        c_items = gr.CheckboxGroup([], label="Images")
        c_create = gr.Button("Create study", variant="primary")
        c_out = gr.Markdown("")

    results_outputs = [r_summary, r_fooled, r_fooled_plot, r_bt, r_bt_plot, r_gallery]
    results_inputs = [r_code, r_key, r_fast]

    join.click(h.vote_join, [code], [study_info, mode, code], api_name="vote_join")
    code.submit(h.vote_join, [code], [study_info, mode, code], api_name="vote_join_submit")
    start.click(vote_lock_buttons, None, [*buttons, timer], queue=False, api_name="vote_lock_start").then(
        h.vote_next_pair, pair_inputs, pair_outputs, api_name="vote_next_pair", **rating,
    )
    timer.tick(vote_hide_pair, None, [left, right, timer], api_name="vote_hide_pair", queue=False)
    for button, handler in (
        (b_left, h.vote_submit_left), (b_right, h.vote_submit_right), (b_tie, h.vote_submit_tie),
        (b_bad, h.vote_submit_both_bad),
    ):
        button.click(vote_lock_buttons, None, [*buttons, timer], queue=False, api_name=f"vote_lock_{handler.__name__[12:]}").then(
            handler, [token, *pair_inputs], [reveal, *pair_outputs], api_name=handler.__name__, **rating,
        )
    gr.api(h.vote_submit, api_name="vote_submit", concurrency_limit=8, concurrency_id="vote_rating")

    r_refresh.click(h.vote_results, results_inputs, results_outputs, api_name="vote_results")
    r_live.change(_live_toggle, r_live, r_timer, api_name="vote_results_live", queue=False)
    r_timer.tick(h.vote_results, results_inputs, results_outputs, api_name="vote_results_tick")
    r_export.click(h.vote_export_csv, [r_code, r_key], r_file, api_name="vote_export_csv")
    classroom.expand(h.vote_study_options, None, [c_methods, c_items], api_name="vote_study_options")
    c_create.click(
        h.vote_create_study, [c_title, c_modes, c_methods, c_items, c_pairs, c_exposure],
        [c_out, r_code, r_key], api_name="vote_create_study",
    )


def _describe_public() -> str:
    return "You are in the **public study** unless you join one with a code. Press *Start* for a pair."


def _live_toggle(live: bool):
    return gr.Timer(active=bool(live))


class _Handlers:
    """The tab's event handlers bound to one config (bound methods keep the type hints Gradio reads)."""

    def __init__(self, config: AppConfig):
        self.config = config

    def vote_join(self, code: str) -> list:
        return vote_join(self.config, code)

    def vote_next_pair(self, mode_label: str, code: str, exposure_s: float | None, request: gr.Request) -> list:
        return vote_next_pair(self.config, mode_label, code, exposure_s, request)

    def vote_submit_left(self, token: str, mode_label: str, code: str, exposure_s: float | None, request: gr.Request):
        return _submit(self.config, "left", token, mode_label, code, exposure_s, request)

    def vote_submit_right(self, token: str, mode_label: str, code: str, exposure_s: float | None, request: gr.Request):
        return _submit(self.config, "right", token, mode_label, code, exposure_s, request)

    def vote_submit_tie(self, token: str, mode_label: str, code: str, exposure_s: float | None, request: gr.Request):
        return _submit(self.config, "tie", token, mode_label, code, exposure_s, request)

    def vote_submit_both_bad(self, token: str, mode_label: str, code: str, exposure_s: float | None, request: gr.Request):
        return _submit(self.config, "both_bad", token, mode_label, code, exposure_s, request)

    def vote_submit(self, token: str, choice: str, request: gr.Request) -> dict:
        """Vote on the pair ``token`` with "left", "right", "tie" or "both_bad"; returns the reveal as a dict."""
        return vote_submit(self.config, token, choice, request)

    def vote_results(self, code: str, teacher_key: str, include_too_fast: bool) -> list:
        return vote_results(self.config, code, teacher_key, include_too_fast)

    def vote_export_csv(self, code: str, teacher_key: str) -> str:
        return vote_export_csv(self.config, code, teacher_key)

    def vote_study_options(self) -> list:
        return vote_study_options(self.config)

    def vote_create_study(self, title, mode_labels, methods, items, pairs_per_rater, exposure_s) -> list:
        return vote_create_study(self.config, title, mode_labels, methods, items, pairs_per_rater, exposure_s)
