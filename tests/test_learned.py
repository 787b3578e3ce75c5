"""Learned methods: training (loss falls, resume, config reproduces), weights (checksums, missing
files), each shipped model's raw output (before any blending) on cases that blending cannot solve,
GLCIC's post-processing, and the networks' inputs (no hole value reaches a pixel seen as known)."""

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
from inpaint_core.networks import weights
from inpaint_core.trace import Trace

torch = pytest.importorskip("torch")
from inpaint_core.networks.train import DEFAULTS, TRAINERS, random_hole, train  # noqa: E402

LEARNED = ["context_encoder", "context_encoder_faces", "glcic", "glcic_faces", "semantic_dcgan", "neural_patch_synthesis",
           "lama"]


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
               exclude_names_from=None, time_limit_minutes=None, model=model)
    cfg.update(extra)
    if model == "context_encoder":
        cfg["overlap"] = 1
    if model == "lama":
        cfg.update(width=8, blocks=2, scales=[40, 56], mask_bank=40)
    cfg["networks"] = TRAINERS[model].network_specs(cfg)
    return cfg


def _states(folder: Path) -> dict:
    return torch.load(folder / weights.MODEL_FILE, weights_only=True)


def _same(a: dict, b: dict) -> bool:
    return all(torch.equal(a[n][k], b[n][k]) for n in a for k in a[n])


@pytest.mark.parametrize("model,column", [("glcic", "rec"), ("context_encoder", "rec"), ("lama", "rec")])
def test_training_loss_falls(tiny_images, tmp_path, model, column):
    cfg = train(_config(model, tiny_images, 60, lr=2e-3), tmp_path / "out", quiet=True)
    with open(tmp_path / "out" / "loss.csv") as fh:
        values = [float(r[column]) for r in csv.DictReader(fh) if r[column]]
    assert cfg["steps_done"] == 60
    assert np.mean(values[-10:]) < 0.7 * np.mean(values[:10])
    for name in ("model.pt", "config.json", "manifest.json", "loss.csv", "eval.csv", "loss.png"):
        assert (tmp_path / "out" / name).exists()


def test_lama_recipe_exports_the_best_held_back_average_and_resumes_exactly(tiny_images, tmp_path, monkeypatch):
    """The CPU recipe: the exported network is the weight average (EMA) of the best held-back
    evaluation, not the last; the critic joins in the last third; a resumed run ends where a
    straight one does."""
    cfg = _config("lama", tiny_images, 24, eval_every=6, checkpoint_every=6)
    scripted = iter([12.0, 15.0, 14.0, 13.0, 11.0])  # the held-back PSNR peaks at the second evaluation (step 12)
    trainer_cls = TRAINERS["lama"]
    at_12 = {}
    original_eval = trainer_cls.evaluate

    def evaluate(self, val):
        original_eval(self, val)
        if getattr(self, "_evals", 0) == 1:  # the second evaluation: step 12
            at_12.update({k: v.clone() for k, v in self.nets["generator_ema"].state_dict().items()})
        self._evals = getattr(self, "_evals", 0) + 1
        return {"hole_psnr": next(scripted)}

    with monkeypatch.context() as patch:
        patch.setattr(trainer_cls, "evaluate", evaluate)
        done = train(dict(cfg), tmp_path / "a", quiet=True)
    assert done["steps_done"] == 12 and done["final_eval"]["hole_psnr"] == 15.0
    assert done["selected_by"].startswith("held-back")
    shipped = _states(tmp_path / "a")
    assert set(shipped) == {"generator_ema"}
    assert all(torch.equal(shipped["generator_ema"][k], v.half()) for k, v in at_12.items())
    with open(tmp_path / "a" / "loss.csv") as fh:
        phases = [r["phase"] for r in csv.DictReader(fh)]
    assert phases[:16] == ["rec"] * 16 and set(phases[16:]) == {"adv"}
    train(dict(cfg), tmp_path / "b", quiet=True)
    train(dict(cfg), tmp_path / "c", stop_after=12, quiet=True)
    train(dict(cfg), tmp_path / "c", resume=True, quiet=True)
    ckpt_b, ckpt_c = (torch.load(tmp_path / d / "checkpoint.pt", weights_only=False) for d in "bc")
    assert ckpt_b["step"] == ckpt_c["step"] == 24
    for net in ("generator", "generator_ema", "critic"):
        assert all(torch.equal(ckpt_b["nets"][net][k], ckpt_c["nets"][net][k]) for k in ckpt_b["nets"][net])
    start = TRAINERS["lama"](dict(cfg), torch.device("cpu")).nets["generator"].state_dict()
    average = ckpt_b["nets"]["generator_ema"]
    assert not all(torch.equal(average[k], start[k]) for k in start)  # the average follows the training
    assert not all(torch.equal(average[k], ckpt_b["nets"]["generator"][k]) for k in start)  # and is not the last weights


@pytest.mark.parametrize("model,net", [("context_encoder", "generator"), ("glcic", "completion"), ("dcgan", "generator")])
def test_paper_networks_under_the_recipe_ship_their_weight_average(tiny_images, tmp_path, model, net):
    """``recipe``: a paper's network trained with the CPU recipe ships the weight average (with the
    batch-norm statistics of the trained network) under the network's own name, follows the warm-up
    + cosine schedule, and still learns."""
    from inpaint_core.networks.trainer_base import recipe_learning_rate

    cfg = _config(model, tiny_images, 60, lr=2e-3, recipe=True, ema=0.9)
    train(dict(cfg), tmp_path / "out", quiet=True)
    shipped = _states(tmp_path / "out")[net]
    ckpt = torch.load(tmp_path / "out" / "checkpoint.pt", weights_only=False)
    average, raw = ckpt["nets"][net + "_ema"], ckpt["nets"][net]
    assert set(_states(tmp_path / "out")) == ({"generator", "discriminator"} if model == "dcgan" else {net})
    assert all(torch.equal(shipped[k], v.half() if v.is_floating_point() else v) for k, v in average.items())
    weights_ = [k for k, v in raw.items() if k.endswith("weight") and v.dim() == 4]
    assert not all(torch.equal(shipped[k], raw[k].half()) for k in weights_)  # not the last weights
    stats = [k for k in raw if k.endswith("running_mean")]
    assert stats and all(torch.equal(shipped[k], raw[k].half()) for k in stats)
    group = ckpt["opts"][net]["param_groups"][0]
    assert group["lr"] == pytest.approx(recipe_learning_rate(cfg, 59)) and "weight_decay" in group
    if model != "dcgan":  # (a GAN's losses need not fall)
        with open(tmp_path / "out" / "loss.csv") as fh:
            values = [float(r["rec"]) for r in csv.DictReader(fh) if r["rec"]]
        assert np.mean(values[-10:]) < 0.7 * np.mean(values[:10])


def test_lama_network_sees_the_whole_image():
    """Fast Fourier convolutions give a global receptive field: one pixel in a corner changes the
    output in the opposite corner of a 128 px image, which the network's convolutions alone (about
    40 px of reach) cannot do."""
    from inpaint_core.networks.nets import LamaNet

    torch.manual_seed(0)
    net = LamaNet(width=8, blocks=1).eval()
    x = torch.rand(1, 4, 128, 128)
    y = x.clone()
    y[0, :3, :4, :4] += 0.5
    with torch.no_grad():
        change = (net(x) - net(y))[0, :, -16:, -16:].abs().max().item()
    assert change > 1e-5, change


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_upsampling_convolution_is_upsample_then_convolve(padding_mode):
    """The decoders' four-phase 2x2 convolutions on the small map equal torch's nearest upsampling
    followed by the 3x3 convolution, values and gradients, at odd sizes and every padding mode."""
    from inpaint_core.networks.blocks import upsample_conv

    torch.manual_seed(0)
    conv = torch.nn.Conv2d(5, 3, 3, 1, 1, padding_mode=padding_mode)
    x = torch.randn(2, 5, 7, 10, requires_grad=True)
    direct = conv(torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest"))
    fast = upsample_conv(x, conv)
    assert fast.shape == direct.shape == (2, 3, 14, 20)
    assert torch.allclose(fast, direct, atol=1e-5)
    g = torch.randn_like(direct)
    grads = [torch.autograd.grad((y * g).sum(), [x, conv.weight, conv.bias]) for y in (direct, fast)]
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-4)
    with pytest.raises(ValueError, match="3x3"):
        upsample_conv(x, torch.nn.Conv2d(5, 3, 5, 1, 2))


def test_fast_fourier_convolution_sums_its_four_paths():
    """One convolution over the whole input stands for the local-to-local and global-to-local paths:
    the output is [l2l(x_l) + g2l(x_g), l2g(x_l) + g2g(x_g)] computed path by path."""
    from inpaint_core.networks.nets import FFC

    torch.manual_seed(0)
    ffc = FFC(16, 0.75)
    x = torch.randn(2, 16, 12, 9)
    xl, xg = x[:, : ffc.cl], x[:, ffc.cl :]
    with torch.no_grad():
        paths = torch.cat([ffc.l2l(xl) + ffc.g2l(xg), ffc.l2g(xl) + ffc.g2g(xg)], 1)
        assert torch.allclose(ffc(x), paths, atol=1e-5)


def test_dcgan_trains_and_exports_generator_and_discriminator(tiny_images, tmp_path):
    train(_config("dcgan", tiny_images, 6), tmp_path / "out", quiet=True)
    assert set(_states(tmp_path / "out")) == {"generator", "discriminator"}


def test_resume_continues_and_saved_config_reproduces(tiny_images, tmp_path):
    straight = train(_config("glcic", tiny_images, 16), tmp_path / "a", quiet=True)
    # interrupted at step 7 (after the C phase began), then resumed from the checkpoint
    stopped = train(_config("glcic", tiny_images, 16), tmp_path / "b", stop_after=7, quiet=True)
    assert _states(tmp_path / "b") and not _same(_states(tmp_path / "a"), _states(tmp_path / "b"))
    assert stopped["stopped_by"] == "--stop-after 7" and straight["stopped_by"] is None  # what the card says
    resumed = train(_config("glcic", tiny_images, 16), tmp_path / "b", resume=True, quiet=True)
    assert resumed["steps_done"] == straight["steps_done"] == 16 and resumed["stopped_by"] is None
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


def test_set_overrides_a_resumed_run_and_refuses_unknown_keys(tiny_images, tmp_path):
    """``--set`` changes a resumed run's recipe (here: no adversarial phase), recorded in the saved
    configs; an unknown key stops the command before anything is trained."""
    import json

    from inpaint_core.networks.train import main

    small = ["lama", "--data", str(tiny_images), "--out", str(tmp_path / "out"), "--work", str(tmp_path / "work"),
             "--size", "32", "--batch", "2", "--width", "8", "--eval-every", "0", "--checkpoint-every", "1",
             "--max-side", "40", "--val-fraction", "0.25"]
    main(small + ["--steps", "2", "--set", "blocks=1", "scales=[40]", "mask_bank=8"])
    assert json.loads((tmp_path / "work" / "config.json").read_text())["adv_from"] == pytest.approx(2 / 3)
    main(small + ["--steps", "6", "--resume", "--set", "adv_from=1.0", "--stop-after", "3"])
    saved = json.loads((tmp_path / "work" / "config.json").read_text())  # what a further --resume reads
    assert saved["adv_from"] == 1.0 and saved["blocks"] == 1 and saved["steps"] == 6
    shipped = json.loads((tmp_path / "out" / "config.json").read_text())  # the best evaluation's, and how far the run went
    assert (shipped["steps_trained"], shipped["steps_planned"], shipped["stopped_by"]) == (3, 6, "--stop-after 3")
    with pytest.raises(SystemExit, match="unknown config key 'adv_weigth'"):
        main(small + ["--steps", "4", "--resume", "--set", "adv_weigth=0"])


def test_training_holes_cover_5_to_60_percent():
    rng = np.random.default_rng(0)
    shares = [random_hole((64, 64), rng).mean() for _ in range(200)]
    assert min(shares) >= 0.05 and max(shares) <= 0.60 and np.std(shares) > 0.05


def test_excluded_files_are_counted_not_names(tiny_images, tmp_path):
    """The card's "excluded by name" count is the number of training files actually left out: a name in
    the exclusion folder that matches no training image (a licence file, another image) counts for nothing."""
    from inpaint_core.networks.card import excluded_files
    from inpaint_core.networks.train import prepare_data

    names = tmp_path / "benchmark"
    names.mkdir()
    for name in ("im1.png", "im2.jpg", "LICENSE.txt", "other.png"):
        (names / name).write_bytes(b"")
    cfg = dict(_config("glcic", tiny_images, 1), exclude_names_from=str(names))
    _, _, info = prepare_data(cfg)
    assert info["excluded_names"] == 4 and info["excluded_files"] == 2 and info["n_train"] + info["n_val"] == 6
    # a run that recorded only the names is recounted from its recorded folders
    recorded = dict(cfg, data_info={k: v for k, v in info.items() if k != "excluded_files"})
    count, how = excluded_files(recorded)
    assert count == 2 and "recounted" in how


def test_model_card_states_what_config_and_benchmark_show(tiny_images, tmp_path, monkeypatch):
    """The card is generated: the scale of the training images comes from the config (``max_side``),
    the scores and gains from the benchmark's CSVs; nothing else."""
    import json

    from inpaint_core.networks.card import write_model_card

    folder = tmp_path / "glcic_scenes"
    train(_config("glcic", tiny_images, 2), folder, quiet=True)
    bench = tmp_path / "bench"
    bench.mkdir()
    rows = ["dataset,image,mask,hole_pct,method,psnr_hole,ssim_hole,seconds"]
    for image, base in (("a.png", 18.0), ("b.png", 16.0)):
        for method, gain in (("biharmonic", 0.0), ("harmonic", 0.5), ("glcic", 1.25)):
            rows.append(f"kodak24,{image},nvidia 10-20%,15.0,{method},{base + gain},0.5,0.1")
    (bench / "scenes.csv").write_text("\n".join(rows) + "\n")
    (bench / "timing.csv").write_text("method,size,mask,seconds,progress_calls\nglcic,512x512,centre 25%,0.5,3\n"
                                      "glcic,512x512,medium strokes,0.75,3\n")
    (bench / "meta.json").write_text(json.dumps({
        "command": "python bench/learned.py --per-set 1", "date": "2026-01-02", "machine": "x86_64", "cpu_count": 2,
        "torch_threads": 1, "ssim_variant": "v", "load_average_start": [0.5], "load_average_end": [0.7], "per_set": 1,
        "nps_per_set": 1, "faces_n": 1, "minutes": 1.0}))
    card = write_model_card(folder, bench).read_text()
    assert "scaled to 40 px (`max_side` 40)" in card  # _config: size 32, max_side 40
    assert "- Steps: 2 of 2 planned, batch 4 (8 crops)" in card and "Retrain (same config): `" in card
    assert "| nvidia 10-20% | 17.00 / 0.500 (2) | 17.50 / 0.500 (2) | 18.25 / 0.500 (2) |" in card
    assert "glcic over biharmonic: +1.25 dB (nvidia 10-20%); over harmonic: +0.75 dB (nvidia 10-20%)" in card
    assert "`python bench/learned.py --per-set 1` (2026-01-02" in card and "256 px crops" not in card
    assert "Excluded by name: nothing" in card
    assert "by hole: centre 25%: glcic 0.50 s; medium strokes: glcic 0.75 s." in card
    # a staged run (resumed with new --steps): the last stage's plan, and the one-run retrain said to differ
    cfg = json.loads((folder / "config.json").read_text())
    cfg.update(steps_trained=5, steps_planned=9, stopped_by="--stop-after 5")
    (folder / "config.json").write_text(json.dumps(cfg))
    monkeypatch.setitem(weights.TRAIN_COMMANDS, "glcic_scenes", "python -m inpaint_core.train glcic ..., then --resume")
    card = write_model_card(folder, bench).read_text()
    assert "- Steps: 5 of 9 planned (stopped by --stop-after 5), batch 4 (20 crops)" in card
    assert "Retrain in one run with the shipped config (the shipped weights come from the staged run" in card


def test_training_minutes_count_the_whole_run():
    """A run that went on past its shipped step (resumed, then stopped) reports its whole training
    time, not only the time up to the weights it shipped."""
    from inpaint_core.networks.card import _training_minutes

    configs = {"a": {"train_seconds": 600.0}, "b": {"train_seconds": 600.0, "train_seconds_total": 1800.0}}
    assert _training_minutes(configs) == [10.0, 30.0]


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


# --- raw network output, before any blending, on cases blending cannot solve --------------------------


def _sample(name: str, top: int, left: int, side: int, out: int | None = None) -> np.ndarray:
    """A square crop of one of scikit-image's bundled sample images (RGB uint8)."""
    import skimage.data

    image = getattr(skimage.data, name)()
    image = np.dstack([image] * 3) if image.ndim == 2 else image
    crop = image[top : top + side, left : left + side]
    return np.ascontiguousarray(crop if out is None else cv2.resize(crop, (out, out), interpolation=cv2.INTER_AREA))


def _square_hole(n: int, top: int, side: int) -> np.ndarray:
    hole = np.zeros((n, n), bool)
    hole[top : top + side, top : top + side] = True
    return hole


def _eye_case():
    """The edge of the cat's iris in scikit-image's chelsea (128 px): green iris, dark rim and fur cross
    the 24 px hole, which is no smooth interpolation of its boundary."""
    return _sample("chelsea", 60, 150, 128), _square_hole(128, 52, 24)


def _face_case():
    """The astronaut's face (scikit-image), cropped like the 64 px training faces; the hole covers the nose."""
    return _sample("astronaut", 86, 184, 80, out=64), _square_hole(64, 20, 24)


def _hole_mae(a: np.ndarray, b: np.ndarray, hole: np.ndarray) -> float:
    return float(np.abs(a[hole].astype(float) - b[hole].astype(float)).mean())


def _broken_fills(image: np.ndarray, hole: np.ndarray) -> dict[str, float]:
    """Hole errors of what a broken network gives: black (zero output, 0-1 scale), mid-grey (zero
    output of a tanh network, or any constant near it), and the mean colour of the known ring around
    the hole (the best flat fill from what the network sees)."""
    ring = cv2.dilate(hole.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & ~hole
    truth = image[hole].astype(float)
    return {"zero": float(truth.mean()), "grey": float(np.abs(truth - 127.5).mean()),
            "ring mean colour": float(np.abs(truth - image[ring].mean(0)).mean())}


RAW = {"context_encoder": {"blend": False}, "context_encoder_faces": {"blend": False},
       "glcic": {"postprocess": False}, "glcic_faces": {"postprocess": False}, "lama": {"blend": False}}


@pytest.mark.parametrize("method,case", [("context_encoder", _eye_case), ("glcic", _eye_case), ("lama", _eye_case),
                                         ("context_encoder_faces", _face_case), ("glcic_faces", _face_case)])
def test_raw_network_output_beats_broken_fills(method, case, require_available):
    """The network's own output in the hole, before any blending, must be clearly closer to the truth
    than a zero network, a constant one and the mean colour of the hole's surroundings."""
    require_available(method)
    image, hole = case()
    out = inpaint(image, hole, method, RAW[method], seed=1)
    err, broken = _hole_mae(out, image, hole), _broken_fills(image, hole)
    assert err < 0.85 * min(broken.values()), f"{method}: raw hole error {err:.1f}, broken fills {broken}"


@pytest.mark.parametrize("method,case,flips,axes", [("lama", _eye_case, 2, [1]), ("lama", _eye_case, 4, [0, 1]),
                                                    ("glcic", _eye_case, 2, [1]), ("context_encoder_faces", _face_case, 2, [1])])
def test_flip_ensemble_is_mirror_symmetric(method, case, flips, axes, require_available):
    """``flips``: with the hole symmetric, the fill of the mirrored image is the mirrored fill; a
    single network run is not mirror-symmetric, so this holds only if the mirrored runs are averaged."""
    require_available(method)
    image, hole = case()
    raw = dict(RAW[method])
    for axis in axes:
        assert np.array_equal(np.flip(hole, axis), hole)
        mirror = np.flip(image, axis).copy()
        out = inpaint(image, hole, method, {**raw, "flips": flips}).astype(int)
        assert np.abs(np.flip(out, axis) - inpaint(mirror, hole, method, {**raw, "flips": flips})).max() <= 1, axis
        plain = inpaint(image, hole, method, {**raw, "flips": 1}).astype(int)
        assert np.abs(np.flip(plain, axis) - inpaint(mirror, hole, method, {**raw, "flips": 1})).max() > 1, axis


def _dcgan_face(seed: int = 0) -> np.ndarray:
    """G(z0): a face the shipped generator can represent, so the search has a truth to find."""
    cfg, nets = weights.load("dcgan_faces")
    z0 = torch.rand(1, cfg["z_dim"], generator=torch.Generator().manual_seed(seed)) * 2 - 1
    with torch.no_grad():
        face = nets["generator"](z0)[0].numpy().transpose(1, 2, 0)
    return ((face + 1) * 127.5).round().clip(0, 255).astype(np.uint8)


def test_semantic_dcgan_search_finds_a_generated_face(require_available):
    """Yeh et al.'s latent search: the context loss falls far below that of the best random z, and the
    raw G(z) (before Poisson blending) fills the hole of a generated face far better than a flat fill."""
    require_available("semantic_dcgan")
    face = _dcgan_face()
    hole = _square_hole(64, 13, 38)  # a 38 px hole: the search window is the whole 64 px image
    trace = Trace()
    inpaint(face, hole, "semantic_dcgan", {"iterations": 100, "restarts": 4}, seed=1, trace=trace)
    found = trace.network
    assert found["window"] == (0, 0, 64)
    start, end = found["context_loss_start"], found["context_loss_end"]
    assert end < 0.25 * start, f"context loss {start:.1f} -> {end:.1f}"
    err, broken = _hole_mae(found["G(z)"] * 255, face, hole), _broken_fills(face, hole)
    assert err < 0.6 * min(broken.values()), f"raw G(z) hole error {err:.1f}, broken fills {broken}"


def _detail(image: np.ndarray, region: np.ndarray) -> float:
    """Mean |Laplacian| of the grey image over ``region``: the fine texture a smooth fill lacks."""
    grey = np.asarray(image, np.float32).mean(2)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[region].mean())


def test_neural_patch_synthesis_brings_back_texture(require_available):
    """Yang et al.'s texture term must move the fill away from the (smooth) content network's
    prediction towards the known texture: more fine detail inside the hole, never more than outside."""
    require_available("neural_patch_synthesis")
    image, hole = _sample("brick", 100, 100, 96), _square_hole(96, 32, 32)  # a brick wall; one scale (96 <= 128 px)
    trace = Trace()
    out = inpaint(image, hole, "neural_patch_synthesis", seed=1, trace=trace)
    content = np.round(trace.network["content_prediction"] * 255)
    inner = cv2.erode(hole.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    ring = cv2.dilate(hole.astype(np.uint8), np.ones((25, 25), np.uint8)).astype(bool) & ~hole
    moved = _hole_mae(out, content, hole)
    assert moved > 2, f"the fill moved {moved:.2f} levels from the content network's prediction"
    before, after, known = _detail(content, inner), _detail(out, inner), _detail(image, ring)
    assert 1.2 * before < after < known, f"fine detail: content {before:.2f}, result {after:.2f}, known {known:.2f}"


# --- GLCIC's post-processing ---------------------------------------------------------------------------


def test_fast_marching_matches_opencv_telea():
    """The 16-bit fast-marching fill agrees with OpenCV's 8-bit Telea up to the 8-bit rounding that
    accumulates along the march (OpenCV's float variant is off by up to the whole range on a 0-1 scale)."""
    from inpaint_core.methods.learned import fast_marching

    image, hole = _eye_case()
    ours = fast_marching(np.where(hole[..., None], 0, image / 255).astype(np.float32), hole) * 255
    theirs = cv2.inpaint(np.where(hole[..., None], 0, image).astype(np.uint8), hole.astype(np.uint8), 5, cv2.INPAINT_TELEA)
    diff = np.abs(ours[hole] - theirs[hole])
    assert diff.mean() < 2 and diff.max() < 12, f"mean {diff.mean():.2f}, max {diff.max():.2f} levels"
    assert np.array_equal(ours[~hole], image[~hole].astype(np.float32))


def test_glcic_postprocessing_uses_the_fast_marching_fill(monkeypatch, require_available):
    """Iizuka et al.'s post-processing changes the output, and its fast-marching fill reaches the result:
    replacing that fill by another one changes the output."""
    from inpaint_core.methods import learned

    require_available("glcic")
    image, hole = _eye_case()
    raw = inpaint(image, hole, "glcic", {"postprocess": False})
    post = inpaint(image, hole, "glcic")
    assert _hole_mae(post, raw, hole) > 2
    monkeypatch.setattr(learned, "fast_marching", lambda img, m, radius=5: np.where(m[..., None], 0.5, img).astype(np.float32))
    other = inpaint(image, hole, "glcic")
    assert _hole_mae(other, post, hole) > 2, "the fast-marching fill does not reach the result"


# --- no hole value reaches a pixel the network treats as known ----------------------------------------


NETWORK_OF = {"context_encoder": ("context_encoder_scenes", "generator"),
              "context_encoder_faces": ("context_encoder_faces", "generator"),
              "glcic": ("glcic_scenes", "completion"), "neural_patch_synthesis": ("glcic_scenes", "completion"),
              "lama": ("lama_scenes", "generator_ema")}


def _network_inputs(method: str, image: np.ndarray, hole: np.ndarray, monkeypatch):
    """What ``method``'s network first reads when ``fill`` gets ``image`` as is (the hole not zeroed):
    (RGB on a 0-1 scale, the pixels it treats as known, the window cut from the image or None)."""
    from inpaint_core.base import RunContext

    impl = get_method(method)
    params = impl.resolve_params({"iterations": 10, "restarts": 1} if method == "semantic_dcgan" else
                                 {"iterations": 0} if method == "neural_patch_synthesis" else None)
    ctx = RunContext(rng=np.random.default_rng(0), trace=Trace())
    if method == "semantic_dcgan":  # the known pixels enter the latent search's loss, not a network input
        impl.fill(image, hole, params, ctx)
        found = ctx.trace.network
        return found["network_input"], found["network_known"], found["window"]
    model, key = NETWORK_OF[method]
    net = weights.load(model)[1][key]
    seen = []
    forward = net.forward
    with monkeypatch.context() as patch:  # record the network's input, for this call only
        patch.setattr(net, "forward", lambda x: (seen.append(x.detach().clone()), forward(x))[1])
        impl.fill(image, hole, params, ctx)
    x = seen[0][0].numpy().transpose(1, 2, 0)
    rgb = (x[..., :3] + 1) / 2 if method.startswith("context_encoder") else x[..., :3]  # CE reads [-1, 1]
    return rgb, x[..., 3] == 0, ctx.trace.network.get("window")


@pytest.mark.parametrize("method,side", [("context_encoder", 96), ("context_encoder_faces", 64), ("semantic_dcgan", 64),
                                         ("glcic", 64), ("neural_patch_synthesis", 200), ("lama", 64), ("lama", 300)])
def test_hole_content_never_reaches_known_network_input(method, side, monkeypatch, require_available):
    """For a 4x4 hole the fixed-size networks enlarge their window: every pixel the network treats as
    known must be the plain resize of the image with any other value in the hole (a resize must not
    spread the hole, nor a pre-fill of it, into pixels seen as known)."""
    require_available(method)
    y, x = np.mgrid[0:side, 0:side]
    image = np.stack([0.5 + 0.3 * np.sin(x / 3.0), 0.5 + 0.3 * np.cos(y / 4.0), 0.2 + 0.6 * (x + y) / (2 * side)], 2)
    hole = np.zeros((side, side), bool)
    hole[side // 2 - 1 : side // 2 + 3, side // 2 - 1 : side // 2 + 3] = True  # odd offset: no resize grid aligns with it
    views = [_network_inputs(method, np.where(hole[..., None], v, image).astype(np.float32), hole, monkeypatch)
             for v in (0.0, 1.0)]
    (seen, known, box), (_, known_b, _) = views
    assert np.array_equal(known, known_b) and known.sum() > 0.5 * known.size
    other = np.where(hole[..., None], 0.5, image).astype(np.float32)
    if box is not None:
        top, left, w = box
        assert top >= 0 and left >= 0 and top + w <= side and left + w <= side
        other = other[top : top + w, left : left + w]
    n = seen.shape[0]
    if other.shape[0] != n:
        other = cv2.resize(other, (n, n), interpolation=cv2.INTER_AREA if n < other.shape[0] else cv2.INTER_CUBIC)
    for view, _, _ in views:
        leak = np.abs(view - other).max(axis=2) * known
        assert leak.max() < 1e-5, f"{int((leak >= 1e-5).sum())} known input pixels depend on the hole (up to {leak.max():.3f})"


def test_texture_candidates_never_see_the_hole():
    """Neural patch synthesis matches hole patches to candidates outside the footprint of the hole:
    no candidate feature patch may change with what the hole holds."""
    from inpaint_core.networks.nets import RandomTextureFeatures

    features = RandomTextureFeatures()
    rng = np.random.default_rng(0)
    for h, w in [(40, 52), (37, 53)]:
        image = torch.from_numpy(rng.random((1, 3, h, w), dtype=np.float32))
        hole = torch.zeros(1, 1, h, w)
        hole[..., 15:20, 20:24] = 1
        other = image * (1 - hole) + hole * torch.from_numpy(rng.random((1, 3, h, w), dtype=np.float32))
        with torch.no_grad():
            pa = torch.nn.functional.unfold(features(image), 3, padding=1)
            pb = torch.nn.functional.unfold(features(other), 3, padding=1)
        changed = ((pa - pb).abs().amax(1)[0] > 0).numpy()
        touch = RandomTextureFeatures.footprint(hole)[0, 0].numpy().ravel()
        assert changed.any() and not (changed & ~touch).any()


def test_dcgan_samples_grid_comes_from_the_shipped_generator(tmp_path, require_available):
    """The card's samples.png: 16 draws of the shipped DCGAN in a 2x8 grid of 64 px faces, varied and
    reproducible (seeded)."""
    from inpaint_core.networks.card import write_samples

    require_available("semantic_dcgan")

    folder = tmp_path / "dcgan_faces"
    folder.mkdir()
    for name in (weights.MODEL_FILE, weights.CONFIG_FILE):
        (folder / name).write_bytes((weights.model_dir("dcgan_faces") / name).read_bytes())
    grid = cv2.imread(str(write_samples(folder)))
    assert grid.shape == (128, 512, 3)
    tiles = [grid[r : r + 64, c : c + 64].astype(float) for r in (0, 64) for c in range(0, 512, 64)]
    assert min(np.abs(a - b).mean() for i, a in enumerate(tiles) for b in tiles[i + 1 :]) > 3  # all different
    assert np.array_equal(cv2.imread(str(write_samples(folder))), grid)
