"""The Compare tab in headless Chromium: pick an example, draw a hole with the mouse, Run.

Needs Debian's chromium (/usr/bin/chromium) and the playwright Python package (never
``playwright install``). Saves docs/screenshot.png, the screenshot the README shows.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).exists():
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
            for caption in results:
                assert ("PSNR" in caption and "SSIM" in caption) or re.search(r": (error|timeout|unavailable)",
                                                                               caption), caption
            table_text = page.locator("#compare-table").inner_text()
            for caption in results:  # one table row per method, with its numbers
                assert caption.split(" | ")[0].split(": ")[0] in table_text
            numbers = re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", table_text)
            ok = sum("PSNR" in c for c in results)
            assert len(numbers) >= 5 * ok  # psnr, ssim, psnr_hole, ssim_hole, seconds per finished method

            page.wait_for_function(  # every result image has loaded before the screenshot
                "[...document.querySelectorAll('#compare-results img')].every(i => i.complete && i.naturalWidth > 0)",
                timeout=30_000)
            page.wait_for_timeout(1000)
            shot = ROOT / "docs" / "screenshot.png"
            shot.parent.mkdir(exist_ok=True)
            tmp = shot.with_suffix(".tmp.png")
            page.screenshot(path=str(tmp), full_page=True)
            shutil.move(tmp, shot)
        finally:
            browser.close()
