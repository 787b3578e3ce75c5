"""Learned methods: training (loss falls, resume, config reproduces), weights (checksums, missing
files), and an easy case every shipped model must get nearly right."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from inpaint_core import MethodUnavailable, get_method, inpaint
from inpaint_core.learned import weights

torch = pytest.importorskip("torch")
from inpaint_core.learned.train import DEFAULTS, TRAINERS, export, random_hole, train  # noqa: E402

LEARNED = ["context_encoder", "context_encoder_faces", "glcic", "glcic_faces", "semantic_dcgan", "neural_patch_synthesis"]


@pytest.fixture(scope="module")
def tiny_images(tmp_path_factory) -> Path:
    """Eight smooth 40x40 colour images (gradients and slow waves): easy to learn to fill."""
    folder = tmp_path_factory.mktemp("tiny_images")
    y, x = np.mgrid[0:40, 0:40].astype(np.float64)
    for i in range(8):
        img = np.stack([120 + 90 * np.sin(x / (6 + i) + i), 110 + 80 * np.cos(y / (5 + i)), 30 + 25 * i + 0 * x], 2)
        cv2.imwrite(str(folder / f"im{i}.png"), np.clip(img, 0, 255).astype(np.uint8))
    return folder


def _config(model: str, data: Path, steps: int, **extra) -> dict:
    cfg = dict(DEFAULTS[model], size=32, batch=4, steps=steps, width=8, seed=3, faces=False, data=[str(data)],
               val_fraction=0.25, eval_every=0, checkpoint_every=0, max_images=None, max_side=40, threads=1,
               exclude_names_from=None, time_limit_minutes=None, model=model, **extra)
    if model == "context_encoder":
        cfg["overlap"] = 1
    cfg["networks"] = TRAINERS[model].network_specs(cfg)
    return cfg


def _states(folder: Path) -> dict:
    return torch.load(folder / weights.MODEL_FILE, weights_only=True)


def _same(a: dict, b: dict) -> bool:
    return all(torch.equal(a[n][k], b[n][k]) for n in a for k in a[n])


@pytest.mark.parametrize("model,column", [("glcic", "rec"), ("context_encoder", "rec")])
def test_training_loss_falls(tiny_images, tmp_path, model, column):
    cfg = train(_config(model, tiny_images, 60, lr=2e-3), tmp_path / "out", quiet=True)
    with open(tmp_path / "out" / "loss.csv") as fh:
        values = [float(r[column]) for r in csv.DictReader(fh) if r[column]]
    assert cfg["steps_done"] == 60
    assert np.mean(values[-10:]) < 0.7 * np.mean(values[:10])
    for name in ("model.pt", "config.json", "manifest.json", "loss.csv", "eval.csv", "loss.png"):
        assert (tmp_path / "out" / name).exists()


def test_dcgan_trains_and_exports_generator_and_discriminator(tiny_images, tmp_path):
    train(_config("dcgan", tiny_images, 6), tmp_path / "out", quiet=True)
    assert set(_states(tmp_path / "out")) == {"generator", "discriminator"}


def test_resume_continues_and_saved_config_reproduces(tiny_images, tmp_path):
    straight = train(_config("glcic", tiny_images, 16), tmp_path / "a", quiet=True)
    # interrupted at step 7 (after the C phase began), then resumed from the checkpoint
    train(_config("glcic", tiny_images, 16), tmp_path / "b", stop_after=7, quiet=True)
    assert _states(tmp_path / "b") and not _same(_states(tmp_path / "a"), _states(tmp_path / "b"))
    resumed = train(_config("glcic", tiny_images, 16), tmp_path / "b", resume=True, quiet=True)
    assert resumed["steps_done"] == straight["steps_done"] == 16
    assert _same(_states(tmp_path / "a"), _states(tmp_path / "b"))
    with open(tmp_path / "b" / "loss.csv") as fh:
        assert [int(r["step"]) for r in csv.DictReader(fh)] == list(range(16))
    # the config saved beside the weights rebuilds and retrains the same model
    import json

    saved = json.loads((tmp_path / "a" / "config.json").read_text())
    for key in ("steps_done", "train_seconds", "final_eval", "parameters", "device", "torch_version", "data_info",
                "mean_pixel"):
        saved.pop(key, None)
    train(saved, tmp_path / "c", quiet=True)
    assert _same(_states(tmp_path / "a"), _states(tmp_path / "c"))


def test_training_holes_cover_5_to_60_percent():
    rng = np.random.default_rng(0)
    shares = [random_hole((64, 64), rng).mean() for _ in range(200)]
    assert min(shares) >= 0.05 and max(shares) <= 0.60 and np.std(shares) > 0.05


def test_corrupted_or_missing_weights_are_refused(tiny_images, tmp_path, monkeypatch):
    train(_config("glcic", tiny_images, 4), tmp_path / "w" / "glcic_scenes", quiet=True)
    monkeypatch.setenv("INPAINT_WEIGHTS_DIR", str(tmp_path / "w"))
    assert weights.check("glcic_scenes") == (True, "")
    image = np.full((24, 24, 3), 120, np.uint8)
    hole = np.zeros((24, 24), bool)
    hole[10:14, 10:14] = True
    inpaint(image, hole, "glcic")  # runs with the valid tiny model
    blob = bytearray((tmp_path / "w" / "glcic_scenes" / "model.pt").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (tmp_path / "w" / "glcic_scenes" / "model.pt").write_bytes(bytes(blob))
    ok, why = get_method("glcic").availability()
    assert not ok and "SHA-256" in why
    with pytest.raises(MethodUnavailable, match="SHA-256"):
        weights.load("glcic_scenes")
    with pytest.raises(MethodUnavailable):
        inpaint(image, hole, "glcic")
    shutil.rmtree(tmp_path / "w" / "glcic_scenes")
    ok, why = get_method("glcic").availability()
    assert not ok and why.startswith("weights missing") and "python -m inpaint_core.train glcic" in why


def test_listing_methods_does_not_import_torch():
    code = ("import sys, inpaint_core; from inpaint_core import all_methods; "
            "[m.availability() for m in all_methods()]; assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


def _smooth_case():
    y, x = np.mgrid[0:64, 0:64].astype(np.float64)
    image = np.stack([60 + 2.0 * x, 90 + 1.5 * y, 160 - x - 0.5 * y], 2).clip(0, 255).astype(np.uint8)
    hole = np.zeros((64, 64), bool)
    hole[28:36, 26:34] = True
    return image, hole


FAST = {"semantic_dcgan": {"iterations": 60, "restarts": 4}, "neural_patch_synthesis": {"iterations": 10}}


@pytest.mark.parametrize("method", LEARNED)
def test_shipped_model_gets_an_easy_case_nearly_right(method):
    impl = get_method(method)
    ok, why = impl.availability()
    assert ok, why
    image, hole = _smooth_case()
    out = inpaint(image, hole, method, FAST.get(method), seed=1)
    err = np.abs(out[hole].astype(float) - image[hole]).mean()
    masked_err = np.abs(image[hole].astype(float)).mean()  # the masked input has zeros in the hole
    assert err < masked_err / 5, f"{method}: hole error {err:.1f} vs masked input {masked_err:.1f}"


@pytest.mark.parametrize("method,raw", [("glcic", {"postprocess": False}), ("context_encoder", {"blend": False}),
                                        ("context_encoder_faces", {"blend": False})])
def test_raw_network_output_is_close_on_the_easy_case(method, raw):
    """Without Poisson blending the network alone must still be far better than the masked input."""
    image, hole = _smooth_case()
    out = inpaint(image, hole, method, raw, seed=1)
    err = np.abs(out[hole].astype(float) - image[hole]).mean()
    assert err < np.abs(image[hole].astype(float)).mean() / 5


def test_dcgan_samples_grid_comes_from_the_shipped_generator(tmp_path):
    """The card's samples.png: 16 draws of the shipped DCGAN in a 2x8 grid of 64 px faces, varied and
    reproducible (seeded)."""
    from inpaint_core.learned.card import write_samples

    folder = tmp_path / "dcgan_faces"
    folder.mkdir()
    for name in (weights.MODEL_FILE, weights.CONFIG_FILE):
        (folder / name).write_bytes((weights.model_dir("dcgan_faces") / name).read_bytes())
    grid = cv2.imread(str(write_samples(folder)))
    assert grid.shape == (128, 512, 3)
    tiles = [grid[r : r + 64, c : c + 64].astype(float) for r in (0, 64) for c in range(0, 512, 64)]
    assert min(np.abs(a - b).mean() for i, a in enumerate(tiles) for b in tiles[i + 1 :]) > 3  # all different
    assert np.array_equal(cv2.imread(str(write_samples(folder))), grid)
