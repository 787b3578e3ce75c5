"""Trainers of the learned restoration methods, run by the same command as the inpainting ones:
``python -m inpaint_core.train demosaic|deblurgan|did_mdn --data DIR ... --out weights/NAME``.

All three degrade clean photos on the fly with the operators the app and the benchmark use
(:mod:`inpaint_core.restoration`), quantise the degraded input to 8 bits as a real photo is, and
train with the CPU recipe of the LaMa-style model (AdamW, warm-up + cosine decay, gradient clipping,
an exponential moving average of the weights that is evaluated and shipped, bfloat16 autocast and
channels-last memory on the CPU). The held-back PSNR picks the exported weights; its log also holds
the baseline's PSNR on the same crops, so the gain is in the curve.

- ``demosaic`` (Dahl, Norouzi, Shlens 2017): the mosaic operator at block sizes 2-16 and random grid
  offsets over the whole crop; the network reads the bicubic upsampling of the block means. L2 loss
  (their regression baseline); with ``adv_weight > 0`` (and ``init_from`` the L2 model) a hinge
  adversarial term against a spectral-norm PatchGAN that sees the bicubic input beside the candidate.
  With ``--faces``, a third of the steps are 32 px faces at blocks 2 and 4 (8x8 -> 32x32 as in their
  paper) and the rest 64 px (16x16 -> 64x64 at block 4, and 8x8 at block 8).
- ``deblurgan`` (Kupyn et al. 2018): camera-shake kernels (Boracchi and Foi 2012) of 9-31 px drawn
  from seeds no example or benchmark uses; content loss L1 on pixels plus L1 on the features of a
  frozen network (the stem and encoder of this project's LaMa-style scene model, ``weights/lama_scenes``:
  no pretrained VGG can be had here), and a conditional WGAN-GP critic in the last part of the run.
- ``did_mdn`` (Zhang and Patel 2018): rain at three densities, several angles and widths, drawn on
  layers the size of whole photos (256-560 px) and cropped; the per-pixel Euclidean (L2) loss between
  the derained crop and the clean one (as the paper; under L1 the identity is a stationary point, since
  streaks cover a minority of the pixels and the median residual is 0), plus the density classifier's
  cross-entropy. The network is conditioned on the true
  density while training and on the classifier's at evaluation and inference.
"""

from __future__ import annotations

import cv2
import numpy as np

from .trainer_base import Trainer, batch_tensor, recipe_learning_rate, sample_batch, update_ema
from .weights import MODEL_FILE, REPO_ROOT

RECIPE = dict(lr=5e-4, warmup=0.02, ema=0.999, clip=1.0, weight_decay=1e-4, bf16=True, keep_best=True)

RESTORATION_DEFAULTS = {
    "demosaic": dict(RECIPE, size=64, batch=32, steps=6000, width=24, blocks=6, downs=2,
                     train_blocks=[2, 4, 8, 16], block_weights=[0.15, 0.35, 0.35, 0.15], small_fraction=1 / 3,
                     small_blocks=[2, 4], eval_blocks=[4, 8], adv_weight=0.0, adv_from=0.0, init_from=None,
                     scales=None),
    "deblurgan": dict(RECIPE, size=112, batch=8, steps=6000, width=16, blocks=9, kernel_sizes=[9, 31],
                      kernel_bank=800, feature_net="lama_scenes", feature_weight=0.5, adv_weight=0.01,
                      adv_from=0.5, gp_weight=10.0, scales=[160, 256, 352]),
    "did_mdn": dict(RECIPE, size=96, batch=12, steps=6000, width=16, growth=12, layers=4, rain_bank=360,
                    photo_sides=[256, 560], cls_weight=0.1, scales=[160, 256, 352]),
}

KERNEL_SEED = 10**6  # training kernels; examples use seeds from 0, the benchmark from 1000
RAIN_SEED = 2 * 10**6  # training rain; examples and the benchmark use small seeds


def _quantise(x: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(x, 0, 1) * 255) / 255.0


def mean_psnr(truth, out) -> float:
    """Mean over the batch of each image's PSNR in dB (B3HW tensors in [0, 1], 8-bit peak)."""
    mse = ((truth.float() - out.float().clamp(0, 1)) ** 2).mean(dim=(1, 2, 3)).clamp_min(1e-10)
    return float((10 * (1 / mse).log10()).mean())


class RestorationTrainer(Trainer):
    """What the three share: a generator with its moving average, an optional critic, the recipe's
    optimiser and schedule, ``degrade`` (clean crops -> network inputs), and PSNR against the baseline."""

    loss_columns = ["rec", "adv_g", "d", "lr"]
    select_metric, select_label = "psnr", "PSNR"
    baseline = "the degraded input"

    def __init__(self, cfg, device):
        super().__init__(cfg, device)
        import torch

        if cfg.get("init_from"):  # start from another run's shipped generator (the GAN variant from the L2 one)
            states = torch.load(REPO_ROOT / cfg["init_from"] / MODEL_FILE, map_location="cpu", weights_only=True)
            self.nets["generator"].load_state_dict({k: v.float() for k, v in states["generator_ema"].items()})
        ema = self.nets["generator_ema"]
        ema.load_state_dict(self.nets["generator"].state_dict())
        ema.requires_grad_(False)
        if device.type == "cpu":
            for net in self.nets.values():
                net.to(memory_format=torch.channels_last)

    def make_optimisers(self):
        import torch

        wd = self.cfg["weight_decay"]
        trainable = [p for n, net in self.nets.items() if n not in ("generator_ema", "critic") for p in net.parameters()]
        opts = {"generator": torch.optim.AdamW(trainable, self.cfg["lr"], weight_decay=wd)}
        if "critic" in self.nets:
            opts["critic"] = torch.optim.AdamW(self.nets["critic"].parameters(), self.cfg["lr"], betas=(0.5, 0.999),
                                               weight_decay=wd)
        return opts

    def _autocast(self):
        import torch

        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bool(self.cfg["bf16"]))

    def _tensor(self, batch: np.ndarray):
        import torch

        t = batch_tensor(batch.astype(np.float32), self.device)
        return t.contiguous(memory_format=torch.channels_last) if self.device.type == "cpu" else t

    def set_learning_rate(self, t: int) -> float:
        lr = recipe_learning_rate(self.cfg, t)
        for opt in self.opts.values():
            for group in opt.param_groups:
                group["lr"] = lr
        return lr

    def adversarial(self, t: int) -> bool:
        return "critic" in self.nets and self.cfg["adv_weight"] > 0 and t >= int(self.cfg["adv_from"] * self.cfg["steps"])

    def finish_step(self, t: int, loss) -> None:
        import torch

        opt = self.opts["generator"]
        opt.zero_grad()
        loss.backward()
        params = [p for g in opt.param_groups for p in g["params"]]
        torch.nn.utils.clip_grad_norm_(params, self.cfg["clip"])
        opt.step()
        update_ema(self.nets["generator_ema"], self.nets["generator"], t, self.cfg["ema"])

    def critic_step(self, loss) -> float:
        import torch

        self.opts["critic"].zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.nets["critic"].parameters(), self.cfg["clip"])
        self.opts["critic"].step()
        return loss.item()


# --- de-mosaicing ----------------------------------------------------------------------------------------


def mosaic_batch(images: np.ndarray, blocks: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The bicubic upsampling of each image's block means (whole image, the given grid): the network's input."""
    from ..restoration.demosaic import upsample_means

    everywhere = np.ones(images.shape[1:3], bool)
    return np.stack([_quantise(upsample_means(img, everywhere, int(b), tuple(int(v) for v in o), cv2.INTER_CUBIC))
                     for img, b, o in zip(images, blocks, offsets)]).astype(np.float32)


class DemosaicTrainer(RestorationTrainer):
    """De-mosaicing ResNet (Dahl et al. 2017's regression baseline; optionally adversarial)."""

    kind = "demosaic"
    baseline = "bicubic upsampling of the block means"

    @classmethod
    def network_specs(cls, cfg):
        gen = {"kind": "mosaic_resnet", "sizes": {"width": cfg["width"], "blocks": cfg["blocks"], "downs": cfg["downs"]}}
        specs = {"generator": gen, "generator_ema": gen}
        if cfg["adv_weight"] > 0:
            specs["critic"] = {"kind": "sn_patch_critic", "sizes": {"width": 32, "in_channels": 6}}
        return specs

    def degrade(self, images: np.ndarray, rng, blocks=None):
        n = len(images)
        if blocks is None:
            blocks = rng.choice(self.cfg["train_blocks"], size=n, p=self.cfg["block_weights"])
        offsets = np.stack([rng.integers(0, b, 2) for b in blocks])
        return mosaic_batch(images, np.asarray(blocks), offsets), np.asarray(blocks)

    def step(self, t, rng, bank):
        import torch

        cfg = self.cfg
        images = sample_batch(bank, cfg["batch"], cfg["size"], rng)
        blocks = None
        if cfg["faces"] and rng.random() < cfg["small_fraction"]:  # 32 px faces: Dahl et al.'s 8x8 -> 32x32
            half = cfg["size"] // 2
            images = np.stack([cv2.resize(im, (half, half), interpolation=cv2.INTER_AREA) for im in images])
            blocks = rng.choice(cfg["small_blocks"], size=len(images))
        up, blocks = self.degrade(images, rng, blocks)
        x, inp = self._tensor(images), self._tensor(up)
        b = torch.from_numpy(blocks.astype(np.float32))
        G, row = self.nets["generator"], {"rec": "", "adv_g": "", "d": "", "lr": self.set_learning_rate(t)}
        with self._autocast():
            out = G(inp, b).float()
        rec = ((out - x) ** 2).mean()
        loss = rec
        if self.adversarial(t):  # hinge loss; the critic sees the bicubic input beside the candidate
            D = self.nets["critic"]
            with self._autocast():
                d_real = D(torch.cat([x, inp], 1)).float()
                d_fake = D(torch.cat([out.detach(), inp], 1)).float()
            row["d"] = self.critic_step(torch.relu(1 - d_real).mean() + torch.relu(1 + d_fake).mean())
            with self._autocast():
                g_adv = -D(torch.cat([out, inp], 1)).float().mean()
            loss = rec + cfg["adv_weight"] * g_adv
            row["adv_g"] = g_adv.item()
        self.finish_step(t, loss)
        row["rec"], row["phase"] = rec.item(), "adv" if self.adversarial(t) else "rec"
        return row

    def fixed_validation(self, bank):
        rng = np.random.default_rng(12345)
        images = sample_batch(bank, 64, self.cfg["size"], rng)
        blocks = np.resize(np.asarray(self.cfg["eval_blocks"]), len(images))
        up, blocks = self.degrade(images, rng, blocks)
        return {"images": images, "inputs": up, "blocks": blocks}

    def evaluate(self, val):
        import torch

        G = self.nets["generator_ema"]
        x, inp = self._tensor(val["images"]), self._tensor(val["inputs"])
        b = torch.from_numpy(val["blocks"].astype(np.float32))
        with torch.no_grad(), self._autocast():
            out = torch.cat([G(inp[i : i + 16], b[i : i + 16]).float() for i in range(0, len(x), 16)])
        scores = {"psnr": mean_psnr(x, out), "baseline_psnr": mean_psnr(x, inp)}
        for block in sorted(set(val["blocks"].tolist())):
            sel = torch.from_numpy(val["blocks"] == block)
            scores[f"psnr_block{block}"] = mean_psnr(x[sel], out[sel])
            scores[f"baseline_psnr_block{block}"] = mean_psnr(x[sel], inp[sel])
        scores["gain"] = scores["psnr"] - scores["baseline_psnr"]
        return scores


# --- de-blurring -----------------------------------------------------------------------------------------


def kernel_bank(n: int, sizes: tuple[int, int], seed: int = KERNEL_SEED) -> list[np.ndarray]:
    """``n`` camera-shake kernels of odd sizes in ``sizes`` and exposures 0.5-1, from seeds ``seed + i``."""
    from ..restoration.deblur import shake_kernel

    rng = np.random.default_rng(seed)
    lo, hi = sizes
    out = []
    for i in range(n):
        size = int(rng.integers(lo // 2, hi // 2 + 1)) * 2 + 1
        out.append(shake_kernel(size, seed=seed + i, exposure=float(rng.uniform(0.5, 1.0)), steps=500))
    return out


def blur_batch(images: np.ndarray, kernels: list[np.ndarray], margin: int) -> np.ndarray:
    """Each image blurred by its kernel, the ``margin`` border (where the blur read past the crop) cut."""
    out = []
    for img, k in zip(images, kernels):
        b = cv2.filter2D(img, -1, k[::-1, ::-1], borderType=cv2.BORDER_REFLECT)
        out.append(b[margin:-margin, margin:-margin] if margin else b)
    return _quantise(np.stack(out)).astype(np.float32)


def lama_features(lama, x):
    """The stem and encoder activations of the LaMa-style generator (no hole: a zero mask channel)."""
    import torch

    y = torch.nn.functional.elu(lama.stem(torch.cat([x, torch.zeros_like(x[:, :1])], 1)))
    feats = [y]
    for conv in lama.down:
        y = torch.nn.functional.elu(conv(y))
        feats.append(y)
    return feats


class DeblurGANTrainer(RestorationTrainer):
    """DeblurGAN (Kupyn et al. 2018): content loss + conditional WGAN-GP."""

    kind = "deblurgan"

    @classmethod
    def network_specs(cls, cfg):
        gen = {"kind": "deblurgan_g", "sizes": {"width": cfg["width"], "blocks": cfg["blocks"]}}
        return {"generator": gen, "generator_ema": gen, "critic": {"kind": "conditional_critic", "sizes": {"width": 16}}}

    def __init__(self, cfg, device):
        super().__init__(cfg, device)
        from . import weights

        self.kernels = kernel_bank(cfg["kernel_bank"], tuple(cfg["kernel_sizes"]))
        self.margin = cfg["kernel_sizes"][1] // 2 + 1
        _, nets = weights.load(cfg["feature_net"])  # raises a clear "weights missing" if absent
        self.features = nets["generator_ema"].to(self.device).requires_grad_(False)

    def degrade(self, images, rng):
        """(blurred crops, clean crops): ``images`` carry a margin that the blur reads and is then cut."""
        ks = [self.kernels[int(i)] for i in rng.integers(0, len(self.kernels), len(images))]
        m = self.margin
        return blur_batch(images, ks, m), images[:, m:-m, m:-m]

    def step(self, t, rng, bank):
        import torch

        cfg = self.cfg
        blurred, clean = self.degrade(sample_batch(bank, cfg["batch"], cfg["size"] + 2 * self.margin, rng), rng)
        x, inp = self._tensor(clean), self._tensor(blurred)
        G, row = self.nets["generator"], {"rec": "", "adv_g": "", "d": "", "lr": self.set_learning_rate(t)}
        with self._autocast():
            out = G(inp).float()
            with torch.no_grad():
                target = [f.float() for f in lama_features(self.features, x)]
            feats = [f.float() for f in lama_features(self.features, out)]
        content = (out - x).abs().mean() + cfg["feature_weight"] * sum((f - g).abs().mean() for f, g in zip(feats, target)) / len(feats)
        loss = content
        if self.adversarial(t):  # WGAN-GP (Gulrajani et al. 2017), the critic conditioned on the blurred input
            D = self.nets["critic"]
            fake = out.detach()
            eps = torch.rand(len(x), 1, 1, 1)
            mix = (eps * x + (1 - eps) * fake).requires_grad_(True)
            grad, = torch.autograd.grad(D(inp, mix).sum(), mix, create_graph=True)
            gp = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
            row["d"] = self.critic_step(D(inp, fake).mean() - D(inp, x).mean() + cfg["gp_weight"] * gp)
            g_adv = -D(inp, out).mean()
            loss = content + cfg["adv_weight"] * g_adv
            row["adv_g"] = g_adv.item()
        self.finish_step(t, loss)
        row["rec"], row["phase"] = content.item(), "adv" if self.adversarial(t) else "rec"
        return row

    def fixed_validation(self, bank):
        rng = np.random.default_rng(12345)
        images = sample_batch(bank, 32, self.cfg["size"] + 2 * self.margin, rng)
        kernels = kernel_bank(32, tuple(self.cfg["kernel_sizes"]), seed=KERNEL_SEED // 2)  # not the training bank's
        m = self.margin
        return {"images": images[:, m:-m, m:-m], "inputs": blur_batch(images, kernels, m)}

    def evaluate(self, val):
        import torch

        G = self.nets["generator_ema"]
        x, inp = self._tensor(val["images"]), self._tensor(val["inputs"])
        with torch.no_grad(), self._autocast():
            out = torch.cat([G(inp[i : i + 8]).float() for i in range(0, len(x), 8)])
        scores = {"psnr": mean_psnr(x, out), "baseline_psnr": mean_psnr(x, inp)}
        scores["gain"] = scores["psnr"] - scores["baseline_psnr"]
        return scores


# --- de-raining ------------------------------------------------------------------------------------------


DENSITY_ORDER = ("light", "medium", "heavy")


def rain_bank(n: int, sides: tuple[int, int], seed: int = RAIN_SEED) -> tuple[list[np.ndarray], np.ndarray]:
    """``n`` rain layers (uint8), the densities in turn, each the size of a photo of ``sides`` px."""
    from ..restoration.derain import rain_layer

    rng = np.random.default_rng(seed)
    layers, labels = [], []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(sides[0], sides[1] + 1, 2))
        layer, _ = rain_layer((h, w), DENSITY_ORDER[i % 3], seed=seed + i)
        layers.append(np.rint(layer * 255).astype(np.uint8))
        labels.append(i % 3)
    return layers, np.asarray(labels)


def rain_batch(images: np.ndarray, layers: list[np.ndarray], labels: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """(rainy crops, labels): a random window of a random layer of each density over each image (screen blend)."""
    n, s = len(images), images.shape[1]
    picks = rng.integers(0, len(layers), n)
    out = np.empty_like(images)
    for i, j in enumerate(picks):
        layer = layers[int(j)]
        top, left = int(rng.integers(0, layer.shape[0] - s + 1)), int(rng.integers(0, layer.shape[1] - s + 1))
        L = layer[top : top + s, left : left + s, None].astype(np.float32) / 255.0
        if rng.random() < 0.5:
            L = L[:, ::-1]
        out[i] = 1 - (1 - images[i]) * (1 - L)
    return _quantise(out).astype(np.float32), labels[picks]


class DIDMDNTrainer(RestorationTrainer):
    """DID-MDN (Zhang and Patel 2018): density classifier + multi-stream dense de-raining network."""

    kind = "did_mdn"

    @classmethod
    def network_specs(cls, cfg):
        gen = {"kind": "did_mdn", "sizes": {"width": cfg["width"], "growth": cfg["growth"], "layers": cfg["layers"]}}
        return {"generator": gen, "generator_ema": gen, "classifier": {"kind": "rain_classifier", "sizes": {"width": 16}}}

    def __init__(self, cfg, device):
        super().__init__(cfg, device)
        self.layers, self.labels = rain_bank(cfg["rain_bank"], tuple(cfg["photo_sides"]))

    def step(self, t, rng, bank):
        import torch

        cfg = self.cfg
        images = sample_batch(bank, cfg["batch"], cfg["size"], rng)
        rainy, labels = rain_batch(images, self.layers, self.labels, rng)
        x, inp = self._tensor(images), self._tensor(rainy)
        y = torch.from_numpy(labels)
        row = {"rec": "", "adv_g": "", "d": "", "lr": self.set_learning_rate(t)}
        with self._autocast():
            out = self.nets["generator"](inp, y).float()
            logits = self.nets["classifier"](inp).float()
        rec = ((out - x) ** 2).mean()  # L2, as DID-MDN: under L1 the sparse streaks' median residual is 0
        ce = torch.nn.functional.cross_entropy(logits, y)
        self.finish_step(t, rec + cfg["cls_weight"] * ce)
        row["rec"], row["d"], row["phase"] = rec.item(), ce.item(), "rec"
        return row

    def fixed_validation(self, bank):
        rng = np.random.default_rng(12345)
        images = sample_batch(bank, 48, self.cfg["size"], rng)
        layers, labels = rain_bank(30, tuple(self.cfg["photo_sides"]), seed=RAIN_SEED // 2)  # not the training bank's
        rainy, labels = rain_batch(images, layers, labels, rng)
        return {"images": images, "inputs": rainy, "labels": labels}

    def evaluate(self, val):
        import torch

        G, C = self.nets["generator_ema"], self.nets["classifier"]
        x, inp = self._tensor(val["images"]), self._tensor(val["inputs"])
        with torch.no_grad(), self._autocast():
            pred = C(inp).float().argmax(1)
            out = torch.cat([G(inp[i : i + 16], pred[i : i + 16]).float() for i in range(0, len(x), 16)])
        scores = {"psnr": mean_psnr(x, out), "baseline_psnr": mean_psnr(x, inp),
                  "density_accuracy": float((pred.numpy() == val["labels"]).mean())}
        scores["gain"] = scores["psnr"] - scores["baseline_psnr"]
        return scores


RESTORATION_TRAINERS = {"demosaic": DemosaicTrainer, "deblurgan": DeblurGANTrainer, "did_mdn": DIDMDNTrainer}
RESTORATION_INFERENCE_NETS = {"demosaic": ["generator_ema"], "deblurgan": ["generator_ema"],
                              "did_mdn": ["generator_ema", "classifier"]}
