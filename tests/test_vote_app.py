"""The Vote tab, driven as a rater would: through gradio_client and through a real browser."""

from __future__ import annotations

import csv
import dataclasses
import os
import time
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

from inpaint_app.config import AppConfig
from inpaint_app.vote_tab import build_vote_tab, make_study_service
from inpaint_core.study.store import VoteRejected
from inpaint_core.cases import list_cases, write_case
from tests.netutil import free_port

METHODS = ("zebrafill", "quuxpaint", "blurbotron")  # unusual names: any occurrence in the page is a leak
DEMOSAICER = "unblockulator"  # the one de-mosaicing "method" of the fixture's mosaic case
CHROMIUM = Path("/usr/bin/chromium")



@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("vote")
    rng = np.random.default_rng(0)
    for i in range(3):
        image = rng.random((48, 64, 3)).astype(np.float32)
        mask = np.zeros((48, 64), bool)
        mask[12:30, 20:44] = True
        outputs = {m: np.where(mask[..., None], (k + 1) / 4, image).astype(np.float32) for k, m in enumerate(METHODS)}
        write_case(root / "gallery", image, mask, outputs, case_id=f"case{i}")
    mosaic = np.zeros((48, 64), bool)
    mosaic[8:40, 16:48] = True
    write_case(root / "gallery", image, mosaic, {DEMOSAICER: np.where(mosaic[..., None], 0.3, image).astype(np.float32)},
               case_id="mosaic0", task="demosaic", block=8, offset=[0, 0])
    config = AppConfig(gallery_dir=root / "gallery", recent_dir=root / "recent", database_url=f"sqlite:///{root}/votes.db")
    with gr.Blocks() as demo:
        with gr.Tab("Vote"):
            build_vote_tab(make_study_service(config), config)
    port = free_port()
    demo.queue(default_concurrency_limit=4).launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
    )
    yield {"url": f"http://127.0.0.1:{port}/", "root": root}
    demo.close()


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_api_names_all_mention_vote(app):
    endpoints = Client(app["url"], verbose=False).view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/vote_next_pair", "/vote_submit", "/vote_results", "/vote_export_csv", "/vote_create_study"} <= set(endpoints)
    assert all("vote" in name for name in endpoints)


def test_full_vote_round_trip_and_results(app):
    rater = Client(app["url"], verbose=False)
    left, right, token, prompt, _timer = rater.predict("Real or inpainted?", "", 0, api_name="/vote_next_pair")
    assert "camera" in prompt and len(token) == 32
    for path in (left, right):  # nothing in the served file names reveals the method
        assert not any(m in Path(path).as_posix() for m in METHODS + ("original", "__photo__"))
    photos = [_pixels(p) for p in (left, right)]
    originals = [_pixels(p) for p in sorted((app["root"] / "gallery").glob("case*/original.png"))]
    real_side = [any(np.array_equal(img, o) for o in originals) for img in photos]
    assert sum(real_side) == 1  # exactly one side is the untouched photo
    time.sleep(0.35)
    reveal = rater.predict(token, "Real or inpainted?", "", 0, api_name="/vote_submit_left")[0]
    assert ("came from a camera" in reveal) and any(m in reveal for m in METHODS)
    assert ("You spotted it" in reveal) == real_side[0]
    method = next(m for m in METHODS if f"`{m}`" in reveal)

    replay = rater.predict(token, "left", api_name="/vote_submit")
    assert replay["accepted"] is False and replay["reason"] == "replayed"
    stranger = Client(app["url"], verbose=False).predict(token, "left", api_name="/vote_submit")
    assert stranger["accepted"] is False and stranger["reason"] == "unknown"

    _, _, token2, _, _ = rater.predict("Which fill is better?", "", 0, api_name="/vote_next_pair")
    time.sleep(0.35)
    duel = rater.predict(token2, "both_bad", api_name="/vote_submit")
    assert duel["accepted"] and duel["mode"] == "duel" and {duel["left_method"], duel["right_method"]} <= set(METHODS)

    summary, fooled, _plot, bt, _bt_plot, gallery, _pairs, *_demosaic = rater.predict("", "", False,
                                                                                     api_name="/vote_results")
    rows = {r[1]: dict(zip(fooled["headers"], r)) for r in fooled["data"]}
    assert rows[method]["fooled"] == ("0/1" if real_side[0] else "1/1")
    # every interval stands beside its raters and images; one rater's votes give no interval
    assert rows[method]["raters"] >= 1 and rows[method]["images"] >= 1
    if rows[method]["raters"] == 1:
        assert rows[method]["95 % CI (raters)"].startswith("n/a")
    assert {"raters", "images", "skipped"} <= set(bt["headers"])
    assert {r[1] for r in bt["data"]} == {duel["left_method"], duel["right_method"]}
    assert any(method in item["caption"] for item in gallery)
    exported = list(csv.DictReader(open(rater.predict("", "", api_name="/vote_export_csv"))))
    assert [(r["mode"], r["choice"]) for r in exported[-2:]] == [("real", "left"), ("duel", "both_bad")]


def test_classroom_study_is_isolated_and_needs_the_teacher_key(app):
    teacher = Client(app["url"], verbose=False)
    public_before = len(list(csv.DictReader(open(teacher.predict("", "", api_name="/vote_export_csv")))))
    teacher.predict(api_name="/vote_study_options")
    message, code, key = teacher.predict(
        "Lab 3", ["Which fill is better?"], ["zebrafill", "quuxpaint"], ["gallery/case1"], 2, 0,
        api_name="/vote_create_study",
    )
    assert code in message and len(code) == 6
    student = Client(app["url"], verbose=False)
    info, _mode, joined = student.predict(code.lower(), api_name="/vote_join")
    assert joined == code and "2 pairs" in info
    with pytest.raises(AppError):
        student.predict("Real or inpainted?", code, 0, api_name="/vote_next_pair")  # this study has duels only
    for _ in range(2):
        _, _, token, _, _ = student.predict("Which fill is better?", code, 0, api_name="/vote_next_pair")
        time.sleep(0.32)
        vote = student.predict(token, "left", api_name="/vote_submit")
        assert vote["item_id"] == "gallery/case1" and {vote["left_method"], vote["right_method"]} == {"zebrafill", "quuxpaint"}
    left, right, token, prompt, _ = student.predict("Which fill is better?", code, 0, api_name="/vote_next_pair")
    assert left is None and token == "" and "Thank you" in prompt  # quota reached
    with pytest.raises(AppError):
        student.predict(code, "wrong key", False, api_name="/vote_results")
    summary = teacher.predict(code, key, False, api_name="/vote_results")[0]
    assert "2 votes from 1 raters on 1 images" in summary and "0 of 2 pairs skipped" in summary
    exported = list(csv.DictReader(open(teacher.predict(code, key, api_name="/vote_export_csv"))))
    assert len(exported) == 2 and {r["study_code"] for r in exported} == {code}
    public_after = len(list(csv.DictReader(open(teacher.predict("", "", api_name="/vote_export_csv")))))
    assert public_after == public_before


def test_new_pair_without_a_vote_is_a_recorded_skip(app):
    """"Start / new pair" (the endpoint vote_next_pair) on an unvoted pair skips it: the skip is stored,
    the skipped pair takes no vote, and the results show the skip rate beside the fooled rate."""
    teacher = Client(app["url"], verbose=False)
    teacher.predict(api_name="/vote_study_options")
    _, code, key = teacher.predict("Skips", ["Real or inpainted?"], list(METHODS), ["gallery/case0"], 0, 0,
                                   api_name="/vote_create_study")
    student = Client(app["url"], verbose=False)
    first = student.predict("Real or inpainted?", code, 0, api_name="/vote_next_pair")[2]
    second = student.predict("Real or inpainted?", code, 0, api_name="/vote_next_pair")[2]  # replaces the first
    refused = student.predict(first, "left", api_name="/vote_submit")
    assert refused["accepted"] is False and refused["reason"] == "skipped"
    time.sleep(0.35)
    assert student.predict(second, "left", api_name="/vote_submit")["accepted"]
    third = student.predict("Real or inpainted?", code, 0, api_name="/vote_next_pair")[2]
    assert student.predict(third, api_name="/vote_skip")["accepted"]  # an explicit skip
    assert "already" in student.predict(third, api_name="/vote_skip")["message"]
    assert student.predict(third, "left", api_name="/vote_submit")["reason"] == "skipped"
    summary, fooled, *_ = teacher.predict(code, key, False, api_name="/vote_results")
    assert "1 votes from 1 raters" in summary and "2 of 3 pairs skipped" in summary
    rows = [dict(zip(fooled["headers"], r)) for r in fooled["data"]]
    assert sorted(r["skipped"] for r in rows) == ["0/1 = 0 %", "1/1 = 100 %", "1/1 = 100 %"]  # one method each
    assert sorted(r["fooled"] for r in rows)[0] == "0/0"  # a method only ever skipped is listed, not hidden
    table = list(csv.DictReader(open(teacher.predict(code, key, False, api_name="/vote_results_csv"))))
    assert sum(int(r["skipped"]) for r in table if r["table"] == "fooled") == 2
    assert {r["raters"] for r in table if r["table"] == "fooled"} == {"0", "1"}


def test_recent_compares_enter_the_study_only_when_their_user_offers_them(tmp_path, monkeypatch):
    from inpaint_app import compare_events, compare_tab
    from inpaint_core.services.compare import CompareService

    assert AppConfig().vote_include_recent is False
    monkeypatch.delenv("INPAINT_LAB_VOTE_INCLUDE_RECENT", raising=False)
    assert AppConfig.from_env().vote_include_recent is False
    monkeypatch.setenv("INPAINT_LAB_VOTE_INCLUDE_RECENT", "1")
    assert AppConfig.from_env().vote_include_recent is True
    default = AppConfig(gallery_dir=tmp_path / "no-gallery", recent_dir=tmp_path / "recent",
                        database_url=f"sqlite:///{tmp_path / 'default.db'}")
    enabled = dataclasses.replace(default, vote_include_recent=True, database_url=f"sqlite:///{tmp_path / 'on.db'}")

    controls = compare_tab.Controls.from_registry()
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (32, 40, 3), dtype=np.uint8)
    hole = np.zeros((32, 40), bool)
    hole[10:20, 12:26] = True
    service = CompareService(max_side=enabled.max_side, time_limit=enabled.time_limit, recent_dir=enabled.recent_dir)

    def compare(offer: bool) -> str:
        """What the Run button calls: every family box, every parameter control, then the opt-in box."""
        families = [["telea"] if family == "diffusion" else [] for family, _ in controls.families]
        params = [param.default for _, param in controls.params]
        *_, last = compare_events.compare_run(service, controls, compare_tab.editor_value(image, hole), 0, False,
                                              *families, *params, offer, progress=lambda *a, **k: None)
        status = last[3]
        assert status.startswith("Done") and ("offered to the voting study" in status) == offer
        return status.split("saved as recent case `", 1)[1].split("`", 1)[0]

    private, offered = compare(False), compare(True)
    assert {c.case_id for c in list_cases(tmp_path / "recent")} == {private, offered}  # both saved, as before
    # the operator left recent compares out (the default): no compare is a vote pair, offered or not
    with pytest.raises(VoteRejected) as exc:
        make_study_service(default).next_pair("rater", "", "real")
    assert exc.value.reason == "empty"
    # the operator lets them in: only the offered one is a vote pair
    service = make_study_service(enabled)
    assert set(service.pool.cases()) == {f"recent/{offered}"}
    tokens = [service.next_pair(f"rater{i}", "", "real").token for i in range(3)]
    assert {service.store.shown_pair(t, f"rater{i}")["item_id"] for i, t in enumerate(tokens)} == {f"recent/{offered}"}


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),  # in CI a missing browser fails
                    reason="Debian chromium (/usr/bin/chromium) is not installed")
def test_browser_rater_sees_no_method_name_then_the_reveal(app):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(app["url"])
            page.get_by_role("button", name="Start / new pair").click()
            images = page.locator("#vote-left-image img, #vote-right-image img")
            expect(images).to_have_count(2, timeout=20_000)
            expect(page.locator("#vote-left")).to_be_enabled()
            html = page.content()
            sources = " ".join(images.nth(i).get_attribute("src") for i in range(2))
            for name in METHODS + ("__photo__", "original.png"):
                assert name not in html and name not in sources
            page.wait_for_timeout(400)
            page.locator("#vote-left").click()
            reveal = page.locator("#vote-reveal")
            expect(reveal).to_contain_text("came from a camera", timeout=20_000)
            assert any(m in reveal.inner_text() for m in METHODS)
            expect(images).to_have_count(2, timeout=20_000)  # the next pair is there at once
            page.screenshot(path="/tmp/vote_tab_browser.png", full_page=True)
        finally:
            browser.close()


def test_pair_image_files_give_every_showing_a_fresh_name(tmp_path):
    from inpaint_app.pair_images import PairImageFiles

    files = PairImageFiles(tmp_path, ttl_s=3600, keep=1)
    rng = np.random.default_rng(1)
    a, b = (rng.integers(0, 256, (20, 30, 3), dtype=np.uint8) for _ in range(2))
    first, second = files.show(a), files.show(a)
    assert first != second and Path(first).parent == Path(second).parent == files.showings
    assert np.array_equal(_pixels(first), a) and np.array_equal(_pixels(second), a)  # lossless
    third = files.show(b)  # keep=1 evicts a's encoded PNG: its showings stay readable
    assert len(list(files.encoded.iterdir())) == 1
    assert np.array_equal(_pixels(first), a) and np.array_equal(_pixels(third), b)
    files.ttl_s = 0.0
    files.show(b)  # showings older than the time to live are removed as new ones are made
    assert not Path(first).exists() and not Path(third).exists()


def test_browser_exposure_limit_restarts_with_every_pair(app):
    """With a 3 s exposure, a pair voted on after 1.5 s must not inherit the old countdown: the next
    pair is still visible 2.2 s after it arrived, and hidden after its own 3 s."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(app["url"])
            page.locator("#vote-exposure input").fill("3")
            page.locator("#vote-exposure input").blur()
            page.get_by_role("button", name="Start / new pair").click()
            images = page.locator("#vote-left-image img, #vote-right-image img")
            expect(images).to_have_count(2, timeout=20_000)
            expect(page.locator("#vote-left")).to_be_enabled()
            page.wait_for_timeout(1500)
            token = page.locator("#vote-token textarea, #vote-token input").first.input_value()
            page.locator("#vote-left").click()
            expect(page.locator("#vote-reveal")).to_contain_text("Previous pair", timeout=20_000)
            page.wait_for_function(
                "t => { const e = document.querySelector('#vote-token textarea, #vote-token input'); return e && e.value && e.value !== t; }",
                arg=token, timeout=20_000,
            )
            expect(images).to_have_count(2, timeout=5_000)
            page.wait_for_timeout(2200)
            expect(images).to_have_count(2, timeout=100)  # the old countdown would have hidden them by now
            expect(images).to_have_count(0, timeout=5_000)  # its own countdown does
        finally:
            browser.close()


def test_reveal_markdown_names_the_photo_side_or_both_methods():
    """The tab's sentence after a vote, from the service's structured reveal (bench/vote_load.py
    counts a vote through the buttons as accepted when it starts with "**Previous pair:**")."""
    from inpaint_app.vote_tab import reveal_markdown
    from inpaint_core.study.service import Reveal

    real = Reveal(mode="real", choice="right", left="zebrafill", right="__photo__", left_title="Zebra fill",
                  right_title="the camera photo", real_side="right", correct=True, too_fast=False, response_ms=900)
    text = reveal_markdown(real)
    assert text.startswith("**Previous pair:** the **right** image came from a camera; the **left** one")
    assert "**Zebra fill** (`zebrafill`)" in text and text.endswith("You spotted it.")
    fooled = reveal_markdown(dataclasses.replace(real, choice="left", correct=False, too_fast=True, response_ms=120))
    assert "It fooled you." in fooled and "came 120 ms after the pair appeared" in fooled
    duel = Reveal(mode="duel", choice="tie", left="quuxpaint", right="blurbotron", left_title="Quux",
                  right_title="Blur", real_side=None, correct=None, too_fast=False, response_ms=900)
    assert reveal_markdown(duel) == ("**Previous pair:** left was **Quux** (`quuxpaint`), right was **Blur** "
                                     "(`blurbotron`). You chose a tie.")


def test_real_or_demosaiced_through_the_client(app):
    """The survey's study as a mode: the photo against a restored mosaic, only from de-mosaicing cases, reported
    in its own table (k/n) with its best and worst images."""
    rater = Client(app["url"], verbose=False)
    left, right, token, prompt, _timer = rater.predict("Real or de-mosaiced?", "", 0, api_name="/vote_next_pair")
    assert "pixelated" in prompt
    original = _pixels(app["root"] / "gallery" / "mosaic0" / "original.png")
    real_side = [np.array_equal(_pixels(p), original) for p in (left, right)]
    assert sum(real_side) == 1  # one side is the mosaic case's photo, the other its restoration
    time.sleep(0.35)
    reveal = rater.predict(token, "Real or de-mosaiced?", "", 0, api_name="/vote_submit_right")[0]
    assert "de-mosaiced by" in reveal and DEMOSAICER in reveal
    outputs = rater.predict("", "", False, api_name="/vote_results")
    demosaiced, extremes = outputs[7], outputs[9]
    rows = {r[1]: dict(zip(demosaiced["headers"], r)) for r in demosaiced["data"]}
    assert set(rows) == {DEMOSAICER}
    assert rows[DEMOSAICER]["fooled"].endswith("/1") and rows[DEMOSAICER]["fooled"] == ("0/1" if real_side[1] else "1/1")
    assert all(DEMOSAICER not in r[1] for r in outputs[1]["data"])  # not in the "Real or inpainted?" table
    assert len(extremes) == 2 and all(DEMOSAICER in e["caption"] for e in extremes)
