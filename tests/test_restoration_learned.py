"""Learned restorers (issue 14): each shipped network's raw output, on images it never trained on
(scikit-image's samples), beats its simplest baseline by a stated margin (a network that returns its
input, or the bicubic upsampling, fails); a few training steps on tiny data lower each trainer's
loss; the untrained networks start exactly at their baseline; the tiled runner covers an image
exactly."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio as psnr

from inpaint_core.base import RunContext
from inpaint_core.restoration import restore
from inpaint_core.restoration.deblur import blur, shake_kernel
from inpaint_core.restoration.demosaic import Mosaic, mosaic
from inpaint_core.restoration.derain import add_rain

from tests.apps_samples import photo

torch = pytest.importorskip("torch")
from inpaint_core.networks.restoration_nets import NETWORKS  # noqa: E402
from inpaint_core.networks.train import DEFAULTS, TRAINERS, prepare_data, train  # noqa: E402
from inpaint_core.restoration.learned import tiled  # noqa: E402

# held-back images: scikit-image's samples are in none of the training folders
SCENES = ("coffee", "chelsea", "rocket", "astronaut")


def _faces() -> list[np.ndarray]:
    """The astronaut's face at 64 px (the gallery's crop) and two shifted crops, and their mirrors."""
    import skimage.data

    full = skimage.data.astronaut()
    out = []
    for left, top, side in ((174, 78, 100), (170, 74, 104), (178, 82, 96)):
        face = cv2.resize(full[top : top + side, left : left + side], (64, 64), interpolation=cv2.INTER_AREA)
        out += [face, np.ascontiguousarray(face[:, ::-1])]
    return out


def _mean_gain(images, degrade, method, baseline, **extra) -> float:
    """Mean PSNR gain (dB) of ``method`` over ``baseline`` on ``images`` degraded by ``degrade``."""
    gains = []
    for i, clean in enumerate(images):
        degraded, kwargs = degrade(clean, i)
        ours = restore(degraded, method, **kwargs, **extra)
        base = degraded if baseline is None else restore(degraded, baseline, **kwargs, **extra)
        gains.append(psnr(clean, ours) - psnr(clean, base))
    return float(np.mean(gains))


def _mosaicked(block):
    def degrade(clean, i):
        grid = Mosaic(np.ones(clean.shape[:2], bool), block, (i % block, (2 * i) % block))
        return mosaic(clean, block, None, grid.offset), {"region": grid.mask, "block": grid}

    return degrade


# (method, images, degradation, baseline (None: the degraded input), the stated margin in dB)
CASES = {
    "mosaic_face_resnet block 4": ("mosaic_face_resnet", _faces, _mosaicked(4), "mosaic_bicubic", 0.7),
    "mosaic_face_resnet block 8": ("mosaic_face_resnet", _faces, _mosaicked(8), "mosaic_bicubic", 0.7),
    "mosaic_face_gan block 4": ("mosaic_face_gan", _faces, _mosaicked(4), "mosaic_bicubic", 0.6),
    "mosaic_scene_resnet block 4": ("mosaic_scene_resnet", lambda: [photo(n, 128) for n in SCENES], _mosaicked(4),
                                    "mosaic_bicubic", 0.25),
    "deblurgan": ("deblurgan", lambda: [photo(n, 192) for n in SCENES],
                  lambda clean, i: (blur(clean, shake_kernel(17, seed=1000 + i)), {}), None, 0.8),
    "did_mdn": ("did_mdn", lambda: [photo(n, 192) for n in SCENES],
                lambda clean, i: (add_rain(clean, ("light", "medium", "heavy")[i % 3], seed=50 + i)[0], {}), None, 1.0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_shipped_network_beats_its_simplest_baseline(case, require_available):
    method, images, degrade, baseline, margin = CASES[case]
    require_available(method)
    gain = _mean_gain(images(), degrade, method, baseline)
    assert gain > margin, f"{case}: {gain:+.2f} dB over {baseline or 'the degraded input'} (needs > {margin} dB)"


def test_density_classifier_reads_the_rain_density(require_available):
    """At the photo sizes it trained on (here 512 px): light, medium and heavy rain told apart (chance: 1 in 3)."""
    impl = require_available("did_mdn")
    right = 0
    for i, name in enumerate(SCENES):
        for density in ("light", "medium", "heavy"):
            rainy = add_rain(photo(name, 512), density, seed=70 + i)[0].astype(np.float32) / 255
            right += impl.classify(rainy)[0] == density
    assert right >= 9, f"{right} of 12 densities right"


@pytest.fixture(scope="module")
def tiny_photos(tmp_path_factory):
    """Eight 160 px photos cut from scikit-image's samples (enough for blur margins and rain windows)."""
    folder = tmp_path_factory.mktemp("tiny_photos")
    for i, name in enumerate(SCENES * 2):
        img = photo(name, 256)[(i % 2) * 64 :][:160, :160]
        cv2.imwrite(str(folder / f"p{i}.png"), cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2BGR))
    return folder


def _config(model, data, steps, **extra):
    cfg = dict(DEFAULTS[model], batch=4, steps=steps, seed=2, faces=False, data=[str(data)], val_fraction=0.25,
               eval_every=0, checkpoint_every=0, max_images=None, max_side=160, threads=1, exclude_names_from=None,
               time_limit_minutes=None, model=model, keep_best=False, bf16=False, lr=2e-3, warmup=0.05)
    sizes = {"demosaic": dict(size=32, width=8, blocks=2, scales=[64], train_blocks=[2], block_weights=[1.0], lr=1e-2),
             "deblurgan": dict(size=32, width=8, blocks=2, kernel_bank=20, kernel_sizes=[9, 15], scales=[96],
                               adv_from=0.5),
             "did_mdn": dict(size=32, width=8, growth=4, layers=2, rain_bank=12, photo_sides=[96, 128], scales=[96], lr=1e-2)}
    cfg.update(sizes[model], **extra)
    cfg["networks"] = TRAINERS[model].network_specs(cfg)
    return cfg


@pytest.mark.parametrize("model", ["demosaic", "deblurgan", "did_mdn"])
def test_a_few_training_steps_lower_the_loss(model, tiny_photos, require_available):
    """Steps on one fixed batch of the tiny data (the same crops and degradations each time) lower its loss."""
    if model == "deblurgan":
        require_available("lama")  # its content loss reads the LaMa-style model's features
    cfg = _config(model, tiny_photos, 40, adv_weight=0.0)
    bank, _, _ = prepare_data(cfg)
    trainer = TRAINERS[model](cfg, torch.device("cpu"))
    losses = [trainer.step(t, np.random.default_rng(7), bank)["rec"] for t in range(40)]
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5]), losses


def test_the_training_command_evaluates_against_the_baseline(tiny_photos, tmp_path):
    """A short run through the loop: the export, the logs, and the held-back PSNR beside the baseline's."""
    cfg = train(_config("did_mdn", tiny_photos, 12, eval_every=6), tmp_path / "out", quiet=True)
    assert cfg["steps_done"] == 12 and {"psnr", "baseline_psnr", "gain", "density_accuracy"} <= set(cfg["final_eval"])
    with open(tmp_path / "out" / "eval.csv") as fh:
        metrics = {r["metric"] for r in csv.DictReader(fh)}
    assert {"psnr", "baseline_psnr", "gain"} <= metrics
    for name in ("model.pt", "config.json", "manifest.json", "loss.csv", "loss.png"):
        assert (tmp_path / "out" / name).exists()


def test_untrained_networks_return_their_baseline_exactly():
    """The last layer starts at zero: an untrained network is its baseline, so a trained one's gain is its own."""
    x = torch.rand(2, 3, 32, 32)
    nets = {k: NETWORKS[k]() for k in ("mosaic_resnet", "deblurgan_g", "did_mdn")}
    with torch.no_grad():
        torch.testing.assert_close(nets["mosaic_resnet"](x, torch.tensor([4.0, 8.0])), x, rtol=0, atol=0)
        torch.testing.assert_close(nets["deblurgan_g"](x), x, rtol=0, atol=0)
        torch.testing.assert_close(nets["did_mdn"](x, torch.tensor([0, 2])), x, rtol=0, atol=0)
        assert NETWORKS["rain_classifier"]()(x).shape == (2, 3)


@pytest.mark.parametrize("shape", [(150, 97, 3), (64, 64, 3), (1, 9, 3)])
def test_tiles_cover_the_image_exactly(shape):
    image = np.random.default_rng(0).random(shape).astype(np.float32)
    seen = []
    out = tiled(lambda x: (seen.append(tuple(x.shape[2:])), x + 0)[1], image, 4, RunContext(rng=np.random.default_rng()),
                tile=48, overlap=8)
    np.testing.assert_array_equal(out, image)
    assert all(h % 4 == 0 and w % 4 == 0 and h <= 48 + 4 and w <= 48 + 4 for h, w in seen)


def test_deblurgan_flip_ensemble_is_mirror_symmetric(require_available):
    """``flips``: the output for a mirrored image is the mirrored output (the network alone is not
    mirror-symmetric, so this holds only if the mirrored runs are averaged in)."""
    require_available("deblurgan")
    blurred = blur(photo(SCENES[0], 64), shake_kernel(17, seed=1000))[:40]  # sides the network needs no padding for
    for flips, axes in ((2, [1]), (4, [0, 1])):
        for axis in axes:
            out = restore(blurred, "deblurgan", {"flips": flips}).astype(int)
            mirrored = restore(np.flip(blurred, axis).copy(), "deblurgan", {"flips": flips}).astype(int)
            assert np.abs(np.flip(out, axis) - mirrored).max() <= 1, (flips, axis)
    plain = restore(blurred, "deblurgan", {"flips": 1}).astype(int)
    assert np.abs(np.flip(plain, 1) - restore(np.flip(blurred, 1).copy(), "deblurgan", {"flips": 1})).max() > 1
