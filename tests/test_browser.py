"""The Compare tab in headless Chromium: pick an example, draw a hole with the mouse, Run.

Needs Debian's chromium (/usr/bin/chromium) and the playwright Python package (never
``playwright install``). With ``INPAINT_LAB_SCREENSHOT=1`` it also writes docs/screenshot.png,
the screenshot the README shows (never otherwise: a test run leaves the tracked file alone).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):  # .ci/run installs it: a missing browser must not pass unseen
        raise RuntimeError(f"{CHROMIUM} is missing in CI (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
HOLE_LINE = re.compile(r"Image (\d+)x(\d+) px · hole (\d+\.\d+) %")


def _hole_line(page) -> str:
    return page.locator("#compare-mask-info").inner_text()


def _draw_stroke(page, canvas_box: dict, row: float) -> None:
    x0 = canvas_box["x"] + canvas_box["width"] * 0.3
    y0 = canvas_box["y"] + canvas_box["height"] * row
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 15):
        page.mouse.move(x0 + i * canvas_box["width"] * 0.03, y0 + i * canvas_box["height"] * 0.01, steps=3)
    page.mouse.up()


def test_draw_a_hole_run_and_see_every_result(app_server):
    url, _ = app_server
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.goto(url)
            page.locator("#compare-examples button.thumbnail-item").first.click()  # Astronaut, 512x512
            page.wait_for_function(
                "document.querySelector('#compare-mask-info').innerText.includes('Astronaut')", timeout=30_000)
            page.wait_for_timeout(3000)  # let the editor finish loading the image into its canvas

            # Draw with the mouse; the editor's change event reports the hole that came back.
            # The very first drag after a load is sometimes taken as a text selection, so retry.
            box = page.locator("#compare-editor canvas").first.bounding_box()
            for attempt in range(4):
                _draw_stroke(page, box, 0.40 + 0.05 * attempt)
                try:
                    page.wait_for_function(
                        "/hole (?!0\\.00 )\\d+\\.\\d+ %/.test(document.querySelector('#compare-mask-info').innerText)",
                        timeout=15_000)
                    break
                except sync_api.TimeoutError:
                    continue
            line = _hole_line(page)
            match = HOLE_LINE.search(line)
            assert match, line
            width, height, percent = int(match[1]), int(match[2]), float(match[3])
            assert (width, height) == (512, 512)
            assert 0.5 < percent < 40, line  # a stroke, not nothing and not the whole image
            assert "resized" not in line  # the brush layer came back at the image's size

            selected = page.locator("#compare-methods input[type=checkbox]:checked").count()
            assert selected >= 3
            page.click("#compare-run")
            page.wait_for_function(
                "document.querySelector('#compare-status').innerText.startsWith('Done')", timeout=120_000)
            status = page.locator("#compare-status").inner_text()
            assert f"hole {percent:.2f} %" in status and "512x512" in status

            captions = page.locator("#compare-results .caption-label").all_inner_texts()
            assert captions[0].startswith("Input")
            results = captions[1:]
            assert len(results) == selected
            for caption in results:  # the default selection is fast methods: every one must finish
                assert "PSNR" in caption and "SSIM" in caption, caption
            table_text = page.locator("#compare-table").inner_text()
            for caption in results:  # one table row per method, with its numbers
                assert caption.split(" · ")[0].split(": ")[0] in table_text
            numbers = re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", table_text)
            assert len(numbers) >= 5 * len(results)  # psnr, ssim, psnr_hole, ssim_hole, seconds per method

            page.wait_for_function(  # every result image has loaded before the screenshot
                "[...document.querySelectorAll('#compare-results img')].every(i => i.complete && i.naturalWidth > 0)",
                timeout=30_000)
            if not os.environ.get("INPAINT_LAB_SCREENSHOT"):
                return
            page.wait_for_timeout(1000)
            shot = ROOT / "docs" / "screenshot.png"
            shot.parent.mkdir(exist_ok=True)
            tmp = shot.with_suffix(".tmp.png")
            page.screenshot(path=str(tmp), full_page=True)
            shutil.move(tmp, shot)
        finally:
            browser.close()


def _launch(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def _slider_images(page, elem_id: str) -> list[dict]:
    """Each image of a before/after slider: its pixel size, its drawn size, and whether it lies
    wholly inside the slider (a zoomed crop would overflow it)."""
    return page.evaluate("""(id) => [...document.querySelectorAll('#' + id + ' img')].map(i => {
        const r = i.getBoundingClientRect(), c = i.closest('#' + id).getBoundingClientRect();
        return {natural: [i.naturalWidth, i.naturalHeight], box: [r.width, r.height],
                inside: r.left >= c.left - 1 && r.right <= c.right + 1 && r.top >= c.top - 1 && r.bottom <= c.bottom + 1};
    })""", elem_id)


def test_first_visit_run_works_at_once_with_results_in_view(app_server):
    """The tab opens on an example with a hole, so Run works without any other step; the results
    start right under the image (not below the method lists), their captions are not cut, and the
    before/after slider shows the whole image, not a zoomed crop."""
    url, _ = app_server
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector("#compare-run")
            assert "hole" in _hole_line(page) and "Astronaut" in _hole_line(page)
            page.wait_for_timeout(2000)
            run_box = page.locator("#compare-run").bounding_box()
            assert run_box["y"] + run_box["height"] < 1000 * 1.1, run_box  # Run is (about) in the first view
            page.click("#compare-run")
            page.wait_for_function(
                "document.querySelector('#compare-status').innerText.startsWith('Done')", timeout=120_000)
            status = page.locator("#compare-status").inner_text()
            assert "failed" not in status, status
            results_top = page.locator("#compare-results").bounding_box()["y"]
            methods_top = page.locator("#compare-methods").bounding_box()["y"]
            assert results_top < methods_top and results_top < 1.3 * 1000, (results_top, methods_top)
            cut = page.evaluate("[...document.querySelectorAll('#compare-results .caption-label')]"
                                ".filter(e => e.scrollWidth > e.clientWidth + 1).length")
            assert cut == 0
            page.wait_for_function("document.querySelectorAll('#compare-slider img').length >= 2", timeout=30_000)
            page.wait_for_timeout(500)
            shown = _slider_images(page, "compare-slider")
            for img in shown:
                assert img["natural"] == [512, 512], img
                assert img["inside"], img  # the whole picture is inside the slider, nothing cropped away
                assert abs(img["box"][0] / img["box"][1] - 1.0) < 0.02, img  # drawn with its own aspect
        finally:
            browser.close()


def test_gallery_slider_shows_the_whole_image(app_server):
    url, _ = app_server
    with sync_api.sync_playwright() as p:
        browser = _launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.get_by_role("tab", name="Gallery").click()
            page.wait_for_function("document.querySelectorAll('#gallery-slider img').length >= 2", timeout=30_000)
            page.wait_for_timeout(500)
            shown = _slider_images(page, "gallery-slider")
            for img in shown:
                assert img["natural"] == [256, 256], img
                assert img["inside"] and abs(img["box"][0] / img["box"][1] - 1.0) < 0.02, img
            cut = page.evaluate("[...document.querySelectorAll('#gallery-grid .caption-label')]"
                                ".filter(e => e.scrollWidth > e.clientWidth + 1).length")
            assert cut == 0
        finally:
            browser.close()
