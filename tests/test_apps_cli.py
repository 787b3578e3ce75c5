"""``python -m inpaint_core apps repair|dewatermark|remove``: files written, one JSON line; bad input exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inpaint_core.apps.dewatermark import draw_mark, stamp_marks
from inpaint_core.apps.remove import place_object
from inpaint_core.apps.repair import damage
from inpaint_core.samples import drawn_scene
from inpaint_core.imageio import load_image, save_image

from tests.apps_samples import photo

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inpaint_core", "apps", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("apps")
    damaged, _ = damage(photo("chelsea", 256), "medium", seed=0)
    save_image(folder / "damaged.png", damaged)
    mark = draw_mark(120)
    marked, _ = stamp_marks(photo("coffee"), mark, [(250, 170, 1.0, 10)], opacity=0.7)
    save_image(folder / "marked.png", marked)
    save_image(folder / "mark.png", mark)
    save_image(folder / "plain.png", photo("astronaut", 384))
    ball_photo, ball, _ = place_object(drawn_scene(256), 0, centre=(0.27, 0.3), size=0.1)
    save_image(folder / "ball.png", ball_photo)
    save_image(folder / "ball_mask.png", ball)
    save_image(folder / "small_mask.png", ball[:100, :100])
    save_image(folder / "empty_mask.png", np.zeros_like(ball))
    return folder


def test_repair_writes_both_files_and_one_json_line(files):
    proc = _run("repair", "--image", str(files / "damaged.png"), "--out", str(files / "r.png"),
                "--mask-out", str(files / "rm.png"), "--method", "harmonic")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["application"] == "repair" and 0 < summary["damage_percent"] < 30
    assert load_image(files / "r.png").shape == (170, 256, 3)
    assert load_image(files / "rm.png").max() == 255


@pytest.mark.parametrize("unblend", [False, True])
def test_dewatermark_writes_both_files_and_one_json_line(files, unblend):
    proc = _run("dewatermark", "--image", str(files / "marked.png"), "--template", str(files / "mark.png"),
                "--out", str(files / "w.png"), "--mask-out", str(files / "wm.png"), *(["--unblend"] if unblend else []))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["marks"] == 1 and summary["found"][0]["matches"] >= 10 and len(summary["found"][0]["box"]) == 4
    assert ("opacity" in summary) == unblend
    assert (files / "w.png").exists() and (files / "wm.png").exists()


@pytest.mark.parametrize("guides", ["auto", "drawn", None])
def test_remove_writes_its_files_and_one_json_line(files, tmp_path, guides):
    args = ["remove", "--image", str(files / "ball.png"), "--mask", str(files / "ball_mask.png"), "--grow", "5",
            "--out", str(tmp_path / "o.png"), "--mask-out", str(tmp_path / "m.png"),
            "--guides-out", str(tmp_path / "g.png")]
    if guides == "drawn":
        proc = _run(*args[:-2], "--guides", "auto", "--guides-out", str(tmp_path / "auto.png"))
        assert proc.returncode == 0, proc.stderr
        args += ["--guides", str(tmp_path / "auto.png")]  # the proposed curves, drawn, read back
    elif guides:
        args += ["--guides", guides]
    proc = _run(*args)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["application"] == "remove" and summary["method"] == "patchmatch"
    assert (summary["guides"] >= 1) == (guides is not None) and (summary["structure_px"] > 0) == (guides is not None)
    image, out, used = load_image(files / "ball.png"), load_image(tmp_path / "o.png"), load_image(tmp_path / "m.png") > 0
    ball = load_image(files / "ball_mask.png") > 0
    assert used.sum() > ball.sum() and not (ball & ~used).any()  # grown by 5 px
    np.testing.assert_array_equal(out[~used], image[~used])
    assert (load_image(tmp_path / "g.png") > 0).any() == (guides is not None)


@pytest.mark.parametrize("args, words", [
    (["remove", "--image", "{ball}", "--mask", "{small}", "--out", "o.png"], "must match"),
    (["remove", "--image", "{ball}", "--mask", "{empty}", "--out", "o.png"], "empty"),
    (["remove", "--image", "{ball}", "--mask", "{ball_mask}", "--guides", "{small}", "--out", "o.png"], "guide drawing"),
    (["remove", "--image", "{ball}", "--mask", "{ball_mask}", "--grow", "-1", "--out", "o.png"], "--grow"),
    (["remove", "--image", "{ball}", "--mask", "{ball_mask}", "--method", "nope", "--out", "o.png"], "nope"),
    (["repair", "--image", "missing.png", "--out", "o.png", "--mask-out", "m.png"], "missing.png"),
    (["repair", "--image", "{img}", "--out", "o.xyz", "--mask-out", "m.png"], "extension"),
    (["repair", "--image", "{img}", "--out", "o.png", "--mask-out", "m.png", "--method", "nope"], "nope"),
    (["repair", "--image", "{img}", "--out", "o.png", "--mask-out", "o.png"], "same file"),
    (["dewatermark", "--image", "{plain}", "--template", "{mark}", "--out", "o.png", "--mask-out", "m.png"],
     "not found"),
    (["dewatermark", "--image", "{img}", "--out", "o.png", "--mask-out", "m.png"], "--template"),
])
def test_bad_input_exits_2_with_one_line(files, tmp_path, args, words):
    args = [a.format(img=files / "damaged.png", plain=files / "plain.png", mark=files / "mark.png",
                     ball=files / "ball.png", ball_mask=files / "ball_mask.png", small=files / "small_mask.png",
                     empty=files / "empty_mask.png") for a in args]
    args = [str(tmp_path / a) if a in ("o.png", "m.png", "o.xyz") else a for a in args]
    proc = _run(*args)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and words in err[0], proc.stderr
    assert not (tmp_path / "o.png").exists()
