"""Training command for the learned methods: ``python -m inpaint_core.train MODEL --data DIR ...``.

One command per model (``context_encoder``, ``glcic``, ``dcgan``). It reads images from one or
more folders (never copied), holds back a split for periodic evaluation, draws random holes from
:mod:`inpaint_core.masks` (centre regions, blocks, shapes, thin/medium/thick strokes; 5-60 % of
the image), shows a progress bar, logs losses to ``loss.csv`` (and ``loss.png``), evaluates hole
PSNR on the held-back split (``eval.csv``), writes resumable checkpoints, and saves the resolved
config beside the weights. Every random choice of step ``t`` comes from ``seed`` and ``t``, so a
run is deterministic and a resumed run continues exactly where it stopped.

Schedules follow the papers: Context Encoder (Pathak et al. 2016): joint L2 (overlap weighted
x10) + 0.001 adversarial loss. GLCIC (Iizuka et al. 2017, Algorithm 1): completion network
alone for T_C steps, discriminators alone for T_D steps, then both with weight alpha.
DCGAN (Radford et al. 2016): the usual alternating BCE game, Adam(2e-4, beta1 0.5).
LaMa-style (Suvorov et al. 2022) with the CPU recipe (issue 15): a fast-Fourier-convolution
generator, L1 with hole pixels weighted x6, AdamW with warm-up and cosine decay, gradient clipping,
an exponential moving average of the weights (the evaluated and shipped network), a hinge
adversarial term against a spectral-norm PatchGAN only in the last third, bfloat16 autocast and
channels-last memory on the CPU, the photos preloaded at several scales and a bank of training
holes drawn once (strokes, rectangles, centre-like squares, blobs; 5-50 %, a fifth of them unions
of two kinds). The held-back hole PSNR picks the exported weights (``keep_best``).
``--set recipe=true`` trains the Context Encoder, GLCIC or DCGAN with the recipe's optimiser (AdamW,
warm-up + cosine decay, clipping, the shipped weight average) and the paper's network and losses.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from ..masks import MASK_PRESETS, CentreSquare
from .train_restoration import RESTORATION_DEFAULTS, RESTORATION_INFERENCE_NETS, RESTORATION_TRAINERS
from .trainer_base import Trainer, batch_tensor, recipe_learning_rate, sample_batch, update_ema
from .weights import CONFIG_FILE, MODEL_FILE, REPO_ROOT, write_manifest

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp"}
FACE_BENCHMARK = REPO_ROOT.parent / "shared" / "data" / "benchmark" / "celeba64_yeh_testimages"
TRAIN_PRESETS = ("centre", "blocks", "shapes", "thin", "medium", "thick")

# ``recipe``: train a paper's network with the CPU recipe's optimiser (AdamW, warm-up + cosine decay,
# gradient clipping, a weight average that is evaluated and shipped); off, the paper's own schedule
RECIPE_OPTIONS = dict(recipe=False, ema=0.999, warmup=0.02, clip=1.0, weight_decay=1e-4, keep_best=False)
DEFAULTS = {
    "context_encoder": dict(size=64, batch=16, steps=2000, width=32, lr=5e-4, lambda_adv=0.001, overlap_weight=10.0,
                            full_centre=0.5, **RECIPE_OPTIONS),
    "glcic": dict(size=64, batch=8, steps=1500, width=24, lr=1e-3, hole_weight=6.0, alpha=0.0004,
                  tc_fraction=0.85, td_fraction=0.05, rec_loss="l1", **RECIPE_OPTIONS),
    "dcgan": dict(size=64, batch=32, steps=3000, width=32, z_dim=64, lr=2e-4, **RECIPE_OPTIONS),
    "lama": dict(size=64, batch=16, steps=20000, width=32, lr=5e-4, blocks=6, downs=2, hole_weight=6.0,
                 adv_weight=0.01, adv_from=2 / 3, ema=0.999, warmup=0.02, clip=1.0, weight_decay=1e-4,
                 bf16=True, scales=[96, 128, 176], mask_bank=8000, keep_best=True),
}


# --- data ------------------------------------------------------------------------------------------------


def list_images(folders: list[str], exclude_names: set[str]) -> tuple[list[Path], list[Path]]:
    """(kept, excluded): the image files under ``folders``, sorted, split by whether their name
    (without extension) is in ``exclude_names``."""
    kept, excluded = [], []
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                if Path(name).suffix.lower() in IMAGE_EXTS:
                    (excluded if Path(name).stem in exclude_names else kept).append(Path(root) / name)
    return sorted(kept), sorted(excluded)


def exclusion_names(folder: str | None) -> set[str]:
    """The file names (without extension) in ``folder``: training images of the same name are left out."""
    return {p.stem for p in Path(folder).iterdir()} if folder and Path(folder).is_dir() else set()


def face_crop(rgb: np.ndarray, size: int) -> np.ndarray:
    """Tight square face crop of an aligned CelebA image (89x109 or 178x218), resized to ``size``:
    the side is 52 % of the width, centred 67 % down the image (close to the 64 px test crops)."""
    h, w = rgb.shape[:2]
    side = int(round(0.52 * w))
    cy, cx = int(round(0.67 * h)), w // 2
    top, left = max(0, min(h - side, cy - side // 2)), max(0, min(w - side, cx - side // 2))
    crop = rgb[top : top + side, left : left + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return cv2.resize(crop, (size, size), interpolation=interp)


def _photos(files: list[Path]):
    """Each readable image file as uint8 RGB (unreadable ones are skipped)."""
    for path in files:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is not None:
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_bank(files: list[Path], size: int, faces: bool, max_side: int) -> list[np.ndarray]:
    """Read every image once (uint8 RGB): faces cropped to ``size``, scenes with the short side
    scaled to ``min(2*size, max_side)`` for random crops."""
    bank = []
    for rgb in _photos(files):
        if faces:
            bank.append(face_crop(rgb, size))
            continue
        h, w = rgb.shape[:2]
        short = max(size, min(2 * size, max_side))
        scale = short / min(h, w)
        if scale < 1:
            rgb = cv2.resize(rgb, (max(size, round(w * scale)), max(size, round(h * scale))), interpolation=cv2.INTER_AREA)
        elif min(h, w) < size:
            rgb = cv2.resize(rgb, (max(size, math.ceil(w * scale)), max(size, math.ceil(h * scale))), interpolation=cv2.INTER_CUBIC)
        bank.append(rgb)
    return bank


def random_hole(shape: tuple[int, int], rng: np.random.Generator, lo: float = 0.05, hi: float = 0.60) -> np.ndarray:
    """A training hole from the mask presets, covering between ``lo`` and ``hi`` of the image:
    centre squares of random area, blocks, shapes and strokes (unions of draws when too small)."""
    for _ in range(20):
        kind = TRAIN_PRESETS[int(rng.integers(len(TRAIN_PRESETS)))]
        if kind == "centre":
            mask = CentreSquare(float(rng.uniform(lo, min(hi, 0.45))))(shape, rng)
            # shift it a little so that the network does not learn "the hole is always centred"
            dy, dx = (int(v) for v in rng.integers(-shape[0] // 8, shape[0] // 8 + 1, 2))
            mask = np.roll(mask, (dy, dx), (0, 1))
        else:
            mask = MASK_PRESETS[kind][1](shape, rng)
            while mask.mean() < lo:
                mask |= MASK_PRESETS[kind][1](shape, rng)
        if lo <= mask.mean() <= hi:
            return mask
    return CentreSquare(0.25)(shape, rng)


# --- the CPU recipe's data: photos at several scales, a bank of holes -----------------------------------


def load_multiscale_bank(files: list[Path], size: int, scales: list[int]) -> list[np.ndarray]:
    """Each photo once per short side in ``scales`` (area-downscaled, never enlarged beyond the
    first scale that fits ``size``), uint8 RGB. Small scales teach the network the context a large
    hole needs at a low cost per crop."""
    bank = []
    for rgb in _photos(files):
        h, w = rgb.shape[:2]
        for short in scales:
            scale = max(short, size) / min(h, w)
            if scale > 1 and short != scales[0]:
                continue  # the photo is smaller than this scale: keep its smallest copy only
            interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
            bank.append(cv2.resize(rgb, (max(size, round(w * scale)), max(size, round(h * scale))), interpolation=interp))
    return bank


def recipe_hole(shape: tuple[int, int], rng: np.random.Generator, lo: float = 0.05, hi: float = 0.50) -> np.ndarray:
    """One hole of the recipe's mix: free-form strokes (thin, medium, thick), rectangles, a
    centre-like square (random area, shifted), or blobs; a fifth of them the union of two kinds;
    covering ``lo``-``hi`` of the image."""
    from ..masks import ObjectBlob, RandomBlocks, RandomShapes

    h, w = shape

    def one(kind: int) -> np.ndarray:
        if kind == 0:
            return MASK_PRESETS[("thin", "medium", "thick")[int(rng.integers(3))]][1](shape, rng)
        if kind == 1:
            return RandomBlocks(area=float(rng.uniform(lo, 0.4)), max_size=0.5)(shape, rng)
        if kind == 2:
            mask = CentreSquare(float(rng.uniform(0.06, 0.40)))(shape, rng)
            dy, dx = (int(v) for v in rng.integers(-h // 6, h // 6 + 1, 2))
            return np.roll(mask, (dy, dx), (0, 1))
        if rng.random() < 0.5:
            return ObjectBlob(area=float(rng.uniform(0.06, 0.35)))(shape, rng)
        return RandomShapes()(shape, rng)

    for _ in range(30):
        mask = one(int(rng.integers(4)))
        if rng.random() < 0.2:
            mask = mask | one(int(rng.integers(4)))
        while mask.mean() < lo:
            mask |= MASK_PRESETS["medium"][1](shape, rng)
        if mask.mean() <= hi:
            return mask
    return CentreSquare(0.25)(shape, rng)


def hole_bank(n: int, size: int, seed: int) -> np.ndarray:
    """(n, size, size) bool: training holes drawn once (seeded), so that a step costs no mask drawing."""
    rng = np.random.default_rng([seed, 7919])
    return np.stack([recipe_hole((size, size), rng) for _ in range(n)])


def hole_depth(mask: np.ndarray) -> float:
    """The hole's depth: the largest distance (px) from a hole pixel to the nearest known pixel."""
    if not mask.any():
        return 0.0
    padded = cv2.copyMakeBorder((~mask).astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    inside = cv2.distanceTransform(1 - padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    return float(inside.max())


# --- logging ---------------------------------------------------------------------------------------------


def plot_losses(csv_path: Path, png_path: Path, width: int = 720, height: int = 360) -> None:
    """A small line plot of every loss column against the step (drawn with OpenCV)."""
    with open(csv_path) as fh:
        rows = list(csv.DictReader(fh))
    if len(rows) < 2:
        return
    columns = [c for c in rows[0] if c not in {"step", "phase", "seconds"}]
    steps = np.array([float(r["step"]) for r in rows])
    canvas = np.full((height, width, 3), 255, np.uint8)
    pad_l, pad_b, pad_t = 50, 30, 20
    cv2.rectangle(canvas, (pad_l, pad_t), (width - 10, height - pad_b), (0, 0, 0), 1)
    colours = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14)]
    for k, col in enumerate(columns):
        vals = np.array([float(r[col]) if r[col] not in ("", "nan") else np.nan for r in rows])
        ok = np.isfinite(vals)
        if ok.sum() < 2:
            continue
        v = vals[ok]
        # smooth and normalise each curve to its own range (the legend gives the range)
        kernel = max(1, len(v) // 50)
        v = np.convolve(v, np.ones(kernel) / kernel, mode="same") if kernel > 1 else v
        lo_v, hi_v = float(np.min(v)), float(np.max(v))
        span = hi_v - lo_v or 1.0
        xs = pad_l + (steps[ok] - steps[0]) / max(steps[-1] - steps[0], 1) * (width - 10 - pad_l)
        ys = height - pad_b - (v - lo_v) / span * (height - pad_b - pad_t)
        colour = colours[k % len(colours)][::-1]
        cv2.polylines(canvas, [np.stack([xs, ys], 1).astype(np.int32)], False, colour, 1, cv2.LINE_AA)
        cv2.putText(canvas, f"{col} [{lo_v:.3g}, {hi_v:.3g}]", (pad_l + 8, pad_t + 16 + 16 * k),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.42, colour, 1, cv2.LINE_AA)
    cv2.putText(canvas, f"step {int(steps[0])} .. {int(steps[-1])} (each curve scaled to its range)",
                (pad_l, height - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(str(png_path), canvas)


class CsvLog:
    def __init__(self, path: Path, columns: list[str], keep_until: int | None):
        self.path, self.columns = path, columns
        if keep_until is not None and path.exists():  # resume: drop rows past the checkpoint
            with open(path) as fh:
                rows = [r for r in csv.DictReader(fh) if int(r["step"]) <= keep_until]
        else:
            rows = []
        with open(path, "w", newline="") as fh:
            writer = csv.DictWriter(fh, columns)
            writer.writeheader()
            writer.writerows(rows)

    def add(self, row: dict) -> None:
        with open(self.path, "a", newline="") as fh:
            csv.DictWriter(fh, self.columns).writerow({k: row.get(k, "") for k in self.columns})


# --- models ----------------------------------------------------------------------------------------------


def _mean_filled_inputs(images, masks, mean_pixel, device):
    """(x, mask, network input): B3HW images in [0, 1], the B1HW mask, and the input GLCIC and the
    LaMa-style model read: the hole set to the training mean pixel, the mask as a fourth channel."""
    import torch

    x = batch_tensor(images, device)
    m = torch.from_numpy(masks[:, None].astype(np.float32)).to(device)
    mean = torch.tensor(mean_pixel, device=device).view(1, 3, 1, 1)
    return x, m, torch.cat([x * (1 - m) + mean * m, m], 1)


def _hole_psnr(truth, result, mask) -> float:
    """Hole PSNR in dB over 8-bit values, pooled over the batch (truth, result: B3HW in [0,1])."""
    diff = ((truth - result) * 255.0) ** 2 * mask
    mse = float(diff.sum()) / max(float(mask.sum()) * 3, 1.0)
    return 10 * math.log10(255.0**2 / max(mse, 1e-10))


class InpaintingTrainer(Trainer):
    """What the inpainting trainers share: a held-back batch with fixed holes of the mask presets,
    and (``cfg["recipe"]``) the CPU recipe's optimiser around a paper's network: AdamW, warm-up and
    cosine decay, gradient clipping, and a weight average ``<generator>_ema`` that is evaluated and
    shipped under the generator's name."""

    generator = "generator"  # the network the recipe averages

    @classmethod
    def with_average(cls, cfg: dict, specs: dict) -> dict:
        if cfg.get("recipe"):
            specs[cls.generator + "_ema"] = specs[cls.generator]
        return specs

    def __init__(self, cfg, device):
        super().__init__(cfg, device)
        if self.averaged:
            ema = self.nets[self.generator + "_ema"]
            ema.load_state_dict(self.nets[self.generator].state_dict())
            ema.requires_grad_(False)

    @property
    def averaged(self) -> bool:
        return bool(self.cfg.get("recipe"))

    def adam(self, net: str, lr: float, betas=(0.9, 0.999)):
        """The paper's Adam, or the recipe's AdamW (decoupled weight decay)."""
        import torch

        params = self.nets[net].parameters()
        if self.averaged:
            return torch.optim.AdamW(params, lr, betas=betas, weight_decay=self.cfg["weight_decay"])
        return torch.optim.Adam(params, lr, betas=betas)

    def schedule(self, t: int) -> float | None:
        """Set the recipe's learning rate at step ``t`` (each optimiser keeps its ratio to ``lr``) and
        return it; None (the paper's fixed rates) without the recipe."""
        if not self.averaged:
            return None
        lr = recipe_learning_rate(self.cfg, t)
        for opt in self.opts.values():
            for group in opt.param_groups:
                group.setdefault("lr_ratio", group["lr"] / self.cfg["lr"])
                group["lr"] = lr * group["lr_ratio"]
        return lr

    def update(self, net: str, loss, t: int) -> None:
        """One optimiser step of ``net`` on ``loss`` (clipped, then averaged, under the recipe)."""
        import torch

        self.opts[net].zero_grad()
        loss.backward()
        if self.averaged:
            torch.nn.utils.clip_grad_norm_(self.nets[net].parameters(), self.cfg["clip"])
        self.opts[net].step()
        if self.averaged and net == self.generator:
            update_ema(self.nets[net + "_ema"], self.nets[net], t, self.cfg["ema"])

    def evaluated(self):
        """The network evaluation reads: the weight average under the recipe."""
        return self.nets[self.generator + "_ema" if self.averaged else self.generator]

    def export_source(self, name: str) -> str:
        return name + "_ema" if self.averaged and name == self.generator else name

    def fixed_validation(self, bank) -> dict:
        """A fixed held-back batch with fixed holes (seeded independently of the run's seed)."""
        rng = np.random.default_rng(12345)
        n = min(32, len(bank))
        images = sample_batch(bank, n, self.cfg["size"], rng)
        masks = np.stack([self.val_hole(rng) for _ in range(n)])
        return {"images": images, "masks": masks}

    def val_hole(self, rng):
        s = self.cfg["size"]
        return random_hole((s, s), rng)


class ContextEncoderTrainer(InpaintingTrainer):
    kind = "context_encoder"
    loss_columns = ["rec", "adv_g", "d"]

    @classmethod
    def network_specs(cls, cfg):
        s, w = cfg["size"], cfg["width"]
        return cls.with_average(cfg, {
            "generator": {"kind": "context_encoder", "sizes": {"size": s, "width": w}},
            "discriminator": {"kind": "context_encoder_d", "sizes": {"size": s // 2, "width": w}}})

    def make_optimisers(self):
        lr = self.cfg["lr"]
        return {"generator": self.adam("generator", lr, (0.5, 0.999)),
                "discriminator": self.adam("discriminator", lr, (0.5, 0.999))}

    def centre_hole(self, rng) -> np.ndarray:
        """A hole inside the centre region (minus the overlap ring): the full inner square (Pathak's
        centre region) with probability ``full_centre``, else a random preset mask clipped to it."""
        s = self.cfg["size"]
        ov = self.cfg["overlap"]
        inner = np.zeros((s, s), bool)
        inner[s // 4 + ov : 3 * s // 4 - ov, s // 4 + ov : 3 * s // 4 - ov] = True
        if rng.random() < self.cfg.get("full_centre", 0.5):
            return inner
        for _ in range(20):
            mask = random_hole((s // 2, s // 2), rng, 0.05, 0.9)
            full = np.zeros((s, s), bool)
            full[s // 4 : 3 * s // 4, s // 4 : 3 * s // 4] = mask
            full &= inner
            if full.sum() >= 4:
                return full
        return inner

    val_hole = centre_hole

    def _inputs(self, images, masks):
        import torch

        x = batch_tensor(images, self.device) * 2 - 1
        m = torch.from_numpy(masks[:, None].astype(np.float32)).to(self.device)
        return x, m, torch.cat([x * (1 - m), m], 1)

    def step(self, t, rng, bank):
        import torch
        import torch.nn.functional as F

        cfg, s = self.cfg, self.cfg["size"]
        images = sample_batch(bank, cfg["batch"], s, rng)
        masks = np.stack([self.centre_hole(rng) for _ in range(cfg["batch"])])
        x, m, inp = self._inputs(images, masks)
        sl = slice(s // 4, 3 * s // 4)
        real, mc = x[:, :, sl, sl], m[:, :, sl, sl]
        G, D = self.nets["generator"], self.nets["discriminator"]
        self.schedule(t)
        fake = G(inp)
        # D step: real centre patches vs predicted ones
        d_real, d_fake = D(real), D(fake.detach())
        d_loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
            F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        self.update("discriminator", d_loss, t)
        # G step: L2 with the overlap (known pixels of the centre region) weighted more
        weight = mc + cfg["overlap_weight"] * (1 - mc)
        rec = (weight * (fake - real) ** 2).mean()
        g_adv = F.binary_cross_entropy_with_logits(D(fake), torch.ones_like(d_fake))
        loss = (1 - cfg["lambda_adv"]) * rec + cfg["lambda_adv"] * g_adv
        self.update("generator", loss, t)
        return {"phase": "joint", "rec": rec.item(), "adv_g": g_adv.item(), "d": d_loss.item()}

    def evaluate(self, val):
        import torch

        s = self.cfg["size"]
        G = self.evaluated().eval()
        with torch.no_grad():
            x, m, inp = self._inputs(val["images"], val["masks"])
            sl = slice(s // 4, 3 * s // 4)
            out = x.clone()
            out[:, :, sl, sl] = G(inp)
            out = m * out + (1 - m) * x
        G.train()
        return {"hole_psnr": _hole_psnr((x + 1) / 2, (out + 1) / 2, m)}


class GLCICTrainer(InpaintingTrainer):
    kind = "glcic"
    generator = "completion"
    loss_columns = ["rec", "adv_g", "d"]

    @classmethod
    def network_specs(cls, cfg):
        s, w = cfg["size"], cfg["width"]
        return cls.with_average(cfg, {
            "completion": {"kind": "glcic", "sizes": {"width": w}},
            "discriminator": {"kind": "glcic_d", "sizes": {"size": s, "local_size": s // 2, "width": w}}})

    def make_optimisers(self):
        return {"completion": self.adam("completion", self.cfg["lr"]),
                "discriminator": self.adam("discriminator", self.cfg["lr"] * 0.1, (0.5, 0.999))}

    def _inputs(self, images, masks):
        return _mean_filled_inputs(images, masks, self.cfg["mean_pixel"], self.device)

    def _local(self, images, masks):
        """Local-discriminator patches (size/2) centred on each hole's bounding box."""
        s = self.cfg["size"]
        half = s // 2
        patches = []
        for i in range(images.shape[0]):
            ys, xs = np.nonzero(masks[i])
            cy, cx = (int(ys.mean()), int(xs.mean())) if ys.size else (s // 2, s // 2)
            top, left = min(max(cy - half // 2, 0), s - half), min(max(cx - half // 2, 0), s - half)
            patches.append(images[i : i + 1, :, top : top + half, left : left + half])
        import torch

        return torch.cat(patches, 0)

    def step(self, t, rng, bank):
        import torch
        import torch.nn.functional as F

        cfg, s = self.cfg, self.cfg["size"]
        images = sample_batch(bank, cfg["batch"], s, rng)
        masks = np.stack([random_hole((s, s), rng) for _ in range(cfg["batch"])])
        x, m, inp = self._inputs(images, masks)
        C, D = self.nets["completion"], self.nets["discriminator"]
        self.schedule(t)
        tc = int(cfg["tc_fraction"] * cfg["steps"])
        td = int(cfg["td_fraction"] * cfg["steps"])
        out = C(inp)
        completed = m * out + (1 - m) * x
        row = {"rec": "", "adv_g": "", "d": ""}
        if t >= tc:  # discriminators: real (x, M_d) against completed (C(x, M_c), M_c)
            masks_d = np.stack([random_hole((s, s), rng) for _ in range(cfg["batch"])])
            d_real = D(x, self._local(x, masks_d))
            fake = completed.detach()
            d_fake = D(fake, self._local(fake, masks))
            d_loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
                F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
            self.update("discriminator", d_loss, t)
            row["d"] = d_loss.item()
        phase = "C" if t < tc else ("D" if t < tc + td else "joint")
        if phase in ("C", "joint"):
            weight = 1 + (cfg["hole_weight"] - 1) * m
            err = (out - x).abs() if cfg["rec_loss"] == "l1" else (out - x) ** 2
            rec = (weight * err).mean()
            loss = rec
            if phase == "joint":
                logits = D(completed, self._local(completed, masks))
                g_adv = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
                loss = rec + cfg["alpha"] * g_adv
                row["adv_g"] = g_adv.item()
            self.update("completion", loss, t)
            row["rec"] = rec.item()
        row["phase"] = phase
        return row

    def evaluate(self, val):
        import torch

        C = self.evaluated().eval()
        with torch.no_grad():
            x, m, inp = self._inputs(val["images"], val["masks"])
            out = m * C(inp) + (1 - m) * x
        C.train()
        return {"hole_psnr": _hole_psnr(x, out, m)}


class DCGANTrainer(InpaintingTrainer):
    kind = "dcgan"
    loss_columns = ["g", "d", "d_real", "d_fake"]

    @classmethod
    def network_specs(cls, cfg):
        s, w = cfg["size"], cfg["width"]
        return cls.with_average(cfg, {
            "generator": {"kind": "dcgan_g", "sizes": {"z_dim": cfg["z_dim"], "size": s, "width": w}},
            "discriminator": {"kind": "dcgan_d", "sizes": {"size": s, "width": w}}})

    def make_optimisers(self):
        return {k: self.adam(k, self.cfg["lr"], (0.5, 0.999)) for k in ("generator", "discriminator")}

    def _z(self, n, rng):
        import torch

        return torch.from_numpy(rng.uniform(-1, 1, (n, self.cfg["z_dim"])).astype(np.float32)).to(self.device)

    def step(self, t, rng, bank):
        import torch
        import torch.nn.functional as F

        cfg = self.cfg
        x = batch_tensor(sample_batch(bank, cfg["batch"], cfg["size"], rng), self.device) * 2 - 1
        G, D = self.nets["generator"], self.nets["discriminator"]
        self.schedule(t)
        fake = G(self._z(cfg["batch"], rng))
        d_real, d_fake = D(x), D(fake.detach())
        d_loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
            F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        self.update("discriminator", d_loss, t)
        logits = D(fake)
        g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        self.update("generator", g_loss, t)
        return {"phase": "gan", "g": g_loss.item(), "d": d_loss.item(),
                "d_real": torch.sigmoid(d_real).mean().item(), "d_fake": torch.sigmoid(d_fake).mean().item()}

    def evaluate(self, val):
        """Held-back D(real) against D(G(z)), and the mean distance of real images to the best of
        64 samples (a crude coverage check; lower is better)."""
        import torch

        G, D = self.evaluated().eval(), self.nets["discriminator"].eval()
        with torch.no_grad():
            x = batch_tensor(val["images"], self.device) * 2 - 1
            fake = G(self._z(64, np.random.default_rng(7)))
            d_real = float(torch.sigmoid(D(x)).mean())
            d_fake = float(torch.sigmoid(D(fake)).mean())
            dist = torch.cdist(x.flatten(1), fake.flatten(1)).min(1).values.mean() / math.sqrt(x[0].numel())
        G.train()
        D.train()
        return {"val_d_real": d_real, "val_d_fake": d_fake, "nn_rmse": float(dist)}


class LamaTrainer(InpaintingTrainer):
    """LaMa-style inpainting (Suvorov et al. 2022) with the CPU recipe (see the module docstring)."""

    kind = "lama"
    loss_columns = ["rec", "adv_g", "d", "lr"]

    @classmethod
    def network_specs(cls, cfg):
        gen = {"kind": "lama", "sizes": {"width": cfg["width"], "blocks": cfg["blocks"], "downs": cfg["downs"]}}
        return {"generator": gen, "generator_ema": gen,
                "critic": {"kind": "sn_patch_critic", "sizes": {"width": cfg["width"]}}}

    averaged = True  # the recipe is this model's own: AdamW, schedule, clipping, the weight average

    def __init__(self, cfg, device):
        super().__init__(cfg, device)
        import torch

        if device.type == "cpu":
            for net in self.nets.values():
                net.to(memory_format=torch.channels_last)
        self.holes = hole_bank(cfg["mask_bank"], cfg["size"], cfg["seed"])
        # how deep (px) the training holes reach: inference runs at the scale where a hole is no deeper
        cfg["hole_depth_p90"] = round(float(np.percentile([hole_depth(m) for m in self.holes[:2000]], 90)), 2)

    def make_optimisers(self):
        return {"generator": self.adam("generator", self.cfg["lr"]),
                "critic": self.adam("critic", self.cfg["lr"], (0.5, 0.999))}

    def draw_holes(self, n: int, rng) -> np.ndarray:
        """``n`` holes from the bank, each under one of the 8 flips and quarter turns."""
        out = []
        for i in rng.integers(0, len(self.holes), n):
            m = np.rot90(self.holes[i], int(rng.integers(4)))
            out.append(m[:, ::-1] if rng.random() < 0.5 else m)
        return np.stack(out)

    def _inputs(self, images, masks):
        import torch

        x, m, inp = _mean_filled_inputs(images, masks, self.cfg["mean_pixel"], self.device)
        if self.device.type == "cpu":
            inp = inp.contiguous(memory_format=torch.channels_last)
        return x, m, inp

    def _autocast(self):
        import torch

        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bool(self.cfg["bf16"]))

    def step(self, t, rng, bank):
        import torch

        cfg = self.cfg
        images = sample_batch(bank, cfg["batch"], cfg["size"], rng)
        masks = self.draw_holes(cfg["batch"], rng)
        x, m, inp = self._inputs(images, masks)
        G, D = self.nets["generator"], self.nets["critic"]
        lr = self.schedule(t)
        adversarial = t >= int(cfg["adv_from"] * cfg["steps"])
        row = {"rec": "", "adv_g": "", "d": "", "lr": lr}
        with self._autocast():
            out = G(inp).float()
        completed = m * out + (1 - m) * x
        if adversarial:  # critic: hinge loss, real photos against completed ones, both with the mask
            with self._autocast():
                d_real = D(torch.cat([x, m], 1)).float()
                d_fake = D(torch.cat([completed.detach(), m], 1)).float()
            d_loss = torch.relu(1 - d_real).mean() + torch.relu(1 + d_fake).mean()
            self.update("critic", d_loss, t)
            row["d"] = d_loss.item()
        weight = 1 + (cfg["hole_weight"] - 1) * m
        rec = (weight * (out - x).abs()).mean()
        loss = rec
        if adversarial:
            with self._autocast():
                g_adv = -D(torch.cat([completed, m], 1)).float().mean()
            loss = rec + cfg["adv_weight"] * g_adv
            row["adv_g"] = g_adv.item()
        self.update("generator", loss, t)
        row["rec"] = rec.item()
        row["phase"] = "adv" if adversarial else "rec"
        return row

    def evaluate(self, val):
        import torch

        ema = self.nets["generator_ema"]
        with torch.no_grad(), self._autocast():
            scores = []
            for i in range(0, len(val["images"]), 16):
                x, m, inp = self._inputs(val["images"][i : i + 16], val["masks"][i : i + 16])
                out = m * ema(inp).float() + (1 - m) * x
                scores.append((x, out, m))
        x, out, m = (torch.cat(parts) for parts in zip(*scores))
        return {"hole_psnr": _hole_psnr(x, out, m)}

    def fixed_validation(self, bank) -> dict:
        """64 held-back crops with fixed holes of the recipe's mix (seeded apart from the run)."""
        rng = np.random.default_rng(12345)
        s = self.cfg["size"]
        images = sample_batch(bank, 64, s, rng)
        return {"images": images, "masks": np.stack([recipe_hole((s, s), rng) for _ in range(64)])}


TRAINERS = {"context_encoder": ContextEncoderTrainer, "glcic": GLCICTrainer, "dcgan": DCGANTrainer,
            "lama": LamaTrainer}


# --- the loop --------------------------------------------------------------------------------------------


def resolve_config(args: argparse.Namespace) -> dict:
    cfg = dict(DEFAULTS[args.model])
    for key in ("size", "batch", "steps", "width", "lr"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    cfg.update(
        model=args.model, seed=args.seed, faces=bool(args.faces), data=[str(d) for d in args.data],
        val_fraction=args.val_fraction, eval_every=args.eval_every, checkpoint_every=args.checkpoint_every,
        max_images=args.max_images, max_side=args.max_side, threads=args.threads or 1,
        exclude_names_from=args.exclude_names_from, time_limit_minutes=args.time_limit_minutes,
    )
    apply_overrides(cfg, args.set, args.model)
    if args.model == "context_encoder":
        cfg["overlap"] = max(1, cfg["size"] // 32)
    cfg["networks"] = TRAINERS[args.model].network_specs(cfg)
    return cfg


def apply_overrides(cfg: dict, items: list[str], model: str) -> None:
    """``--set KEY=VALUE`` (JSON values) on a new or a resumed run's config; unknown keys are refused."""
    for item in items:
        key, _, value = item.partition("=")
        if key not in cfg:
            raise SystemExit(f"--set: unknown config key {key!r} for {model}; known: {', '.join(sorted(cfg))}")
        cfg[key] = json.loads(value)


def prepare_data(cfg: dict) -> tuple[list, list, dict]:
    exclude = exclusion_names(cfg.get("exclude_names_from"))
    files, excluded = list_images(cfg["data"], exclude)
    if cfg.get("max_images"):
        files = files[: cfg["max_images"]]
    if len(files) < 2:
        raise SystemExit(f"need at least 2 images under {cfg['data']}, found {len(files)}")
    order = np.random.default_rng(0).permutation(len(files))  # the split does not depend on --seed
    n_val = max(1, int(round(cfg["val_fraction"] * len(files))))
    val_files = [files[i] for i in sorted(order[:n_val])]
    train_files = [files[i] for i in sorted(order[n_val:])]
    if cfg.get("scales"):  # the CPU recipe: every photo at several scales
        train = load_multiscale_bank(train_files, cfg["size"], cfg["scales"])
        val = load_multiscale_bank(val_files, cfg["size"], cfg["scales"])
    else:
        train = load_bank(train_files, cfg["size"], cfg["faces"], cfg["max_side"])
        val = load_bank(val_files, cfg["size"], cfg["faces"], cfg["max_side"])
    # excluded_files: training files actually left out (a name in the folder need not match any)
    info = {"n_train": len(train), "n_val": len(val), "excluded_names": len(exclude), "excluded_files": len(excluded),
            "n_train_photos": len(train_files), "n_val_photos": len(val_files)}
    return train, val, info


def export(trainer: Trainer, cfg: dict, out: Path, names: list[str]) -> None:
    """Write the inference networks in half precision, the config and the SHA-256 manifest."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    states = {n: {k: (v.half() if v.is_floating_point() else v).cpu()
                  for k, v in trainer.nets[trainer.export_source(n)].state_dict().items()} for n in names}
    torch.save(states, out / MODEL_FILE)
    (out / CONFIG_FILE).write_text(json.dumps(cfg, indent=2) + "\n")
    write_manifest(out, [MODEL_FILE, CONFIG_FILE])


INFERENCE_NETS = {"context_encoder": ["generator"], "glcic": ["completion"], "dcgan": ["generator", "discriminator"],
                  "lama": ["generator_ema"]}

# the restoration models (applications, part 2) train through the same loop
DEFAULTS.update(RESTORATION_DEFAULTS)
TRAINERS.update(RESTORATION_TRAINERS)
INFERENCE_NETS.update(RESTORATION_INFERENCE_NETS)


def train(cfg: dict, out: Path, *, work: Path | None = None, device: str = "cpu", resume: bool = False,
          stop_after: int | None = None, quiet: bool = False) -> dict:
    """Run (or resume) a training run described by ``cfg``; returns the final config (with
    ``steps_done``, ``train_seconds`` and the last evaluation)."""
    import torch
    from tqdm import tqdm

    torch.set_num_threads(int(cfg.get("threads") or 1))
    out = Path(out)
    work = Path(work) if work else out
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    train_bank, val_bank, info = prepare_data(cfg)
    if cfg["model"] in ("glcic", "lama") and "mean_pixel" not in cfg:
        cfg["mean_pixel"] = [float(v) for v in np.mean([im.reshape(-1, 3).mean(0) for im in train_bank], 0) / 255.0]
    cfg["data_info"] = info
    trainer = TRAINERS[cfg["model"]](cfg, torch.device(device))
    ckpt_path = work / "checkpoint.pt"
    start, elapsed, best = 0, 0.0, -math.inf
    if resume and ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        for k, net in trainer.nets.items():
            net.load_state_dict(ckpt["nets"][k])
        for k, opt in trainer.opts.items():
            opt.load_state_dict(ckpt["opts"][k])
        start, elapsed, best = ckpt["step"], ckpt["seconds"], ckpt.get("best", -math.inf)
    loss_log = CsvLog(out / "loss.csv", ["step", "phase", *trainer.loss_columns, "seconds"], start if resume else None)
    eval_log = CsvLog(out / "eval.csv", ["step", "seconds", "metric", "value"], start if resume else None)
    val = trainer.fixed_validation(val_bank)
    end = cfg["steps"] if stop_after is None else min(cfg["steps"], stop_after)
    limit = cfg.get("time_limit_minutes")
    t0 = time.perf_counter() - elapsed

    def save_checkpoint(step: int) -> None:
        torch.save({"step": step, "seconds": time.perf_counter() - t0, "best": best,
                    "nets": {k: n.state_dict() for k, n in trainer.nets.items()},
                    "opts": {k: o.state_dict() for k, o in trainer.opts.items()}}, ckpt_path)

    def finished(step: int, scores: dict) -> dict:
        """The config as exported: the run's state and its evaluation at ``step``."""
        done = dict(cfg, steps_done=step, train_seconds=round(time.perf_counter() - t0, 1), final_eval=scores,
                    device=device, torch_version=torch.__version__)
        done["parameters"] = {k: sum(p.numel() for p in n.parameters()) for k, n in trainer.nets.items()}
        return done

    def run_eval(step: int) -> dict:
        nonlocal best
        scores = trainer.evaluate(val)
        for k, v in scores.items():
            eval_log.add({"step": step, "seconds": round(time.perf_counter() - t0, 1), "metric": k, "value": round(v, 4)})
        if cfg.get("keep_best") and scores[trainer.select_metric] > best:  # export the best by the held-back split
            best = scores[trainer.select_metric]
            export(trainer, dict(finished(step, scores), selected_by=f"held-back {trainer.select_label} (best evaluation)"),
                   out, INFERENCE_NETS[cfg["model"]])
        return scores

    scores: dict = {}
    step = start
    bar = tqdm(range(start, end), initial=start, total=end, desc=cfg["model"], disable=quiet, file=sys.stderr)
    for step in bar:
        rng = np.random.default_rng([cfg["seed"], step])
        row = trainer.step(step, rng, train_bank)
        row = {k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()}
        loss_log.add({"step": step, **row, "seconds": round(time.perf_counter() - t0, 2)})
        bar.set_postfix({k: v for k, v in row.items() if v != ""}, refresh=False)
        done = step + 1
        if cfg["eval_every"] and done % cfg["eval_every"] == 0:
            scores = run_eval(done)
        if cfg["checkpoint_every"] and done % cfg["checkpoint_every"] == 0:
            save_checkpoint(done)
        if limit and time.perf_counter() - t0 > 60 * limit:
            step += 1
            stopped_by = "the time limit"
            break
    else:
        step = end
        stopped_by = f"--stop-after {end}" if end < cfg["steps"] else None
    bar.close()
    steps_done = step if end > start else start
    if not (cfg["eval_every"] and steps_done % cfg["eval_every"] == 0 and steps_done > start):
        scores = run_eval(steps_done)  # not already evaluated at this step
    save_checkpoint(steps_done)
    if cfg.get("keep_best"):  # the export is the best evaluation's (written by run_eval); say how far the run went
        cfg = dict(json.loads((out / CONFIG_FILE).read_text()), steps_trained=steps_done, steps_planned=cfg["steps"],
                   train_seconds_total=round(time.perf_counter() - t0, 1), stopped_by=stopped_by)
        (out / CONFIG_FILE).write_text(json.dumps(cfg, indent=2) + "\n")
        write_manifest(out, [MODEL_FILE, CONFIG_FILE])
    else:
        cfg = dict(finished(steps_done, scores), stopped_by=stopped_by)
        export(trainer, cfg, out, INFERENCE_NETS[cfg["model"]])
    plot_losses(out / "loss.csv", out / "loss.png")
    return cfg


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m inpaint_core.train", description=__doc__.split("\n\n")[0])
    p.add_argument("model", choices=sorted(TRAINERS))
    p.add_argument("--data", nargs="+", required=True, help="image folders (searched recursively)")
    p.add_argument("--out", required=True, help="output folder, e.g. weights/glcic_scenes")
    p.add_argument("--work", default=None, help="checkpoint folder (default runs/<out name>)")
    p.add_argument("--steps", type=int)
    p.add_argument("--size", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--width", type=int, help="base channel width of the networks")
    p.add_argument("--lr", type=float)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--resume", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--faces", action="store_true", help="aligned CelebA faces: tight face crop at --size")
    p.add_argument("--exclude-names-from", default=None,
                   help="skip training images whose name appears in this folder (default with --faces: the 64 px test faces)")
    p.add_argument("--val-fraction", type=float, default=0.05)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--checkpoint-every", type=int, default=200)
    p.add_argument("--max-images", type=int, default=None)
    p.add_argument("--max-side", type=int, default=192, help="scenes: short side of the preloaded images")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default 1; a resumed run may change it)")
    p.add_argument("--time-limit-minutes", type=float, default=None, help="stop early (and export) after this long")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="override any other config value, on a new or a resumed run, e.g. --set adv_weight=0.003 (JSON values)")
    p.add_argument("--stop-after", type=int, default=None, help="stop at this step (the schedule still uses --steps)")
    args = p.parse_args(argv)
    if args.faces and args.exclude_names_from is None and FACE_BENCHMARK.is_dir():
        args.exclude_names_from = str(FACE_BENCHMARK)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    out = Path(args.out)
    work = Path(args.work) if args.work else REPO_ROOT / "runs" / out.name
    cfg_path = work / CONFIG_FILE
    if args.resume and cfg_path.exists():
        cfg = json.loads(cfg_path.read_text())
        for key in ("steps_done", "train_seconds", "final_eval", "parameters", "device", "torch_version", "selected_by",
                    "steps_trained", "steps_planned", "train_seconds_total", "stopped_by"):
            cfg.pop(key, None)
        if args.steps:  # continue a run for longer
            cfg["steps"] = args.steps
        if args.time_limit_minutes:  # counts the whole run's training time, resumed parts included
            cfg["time_limit_minutes"] = args.time_limit_minutes
        if args.threads:  # how many cores to use is the machine's business, not the run's
            cfg["threads"] = args.threads
        apply_overrides(cfg, args.set, args.model)
    else:
        cfg = resolve_config(args)
    work.mkdir(parents=True, exist_ok=True)
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
    cfg = train(cfg, out, work=work, device=args.device, resume=args.resume, stop_after=args.stop_after)
    print(json.dumps({k: cfg[k] for k in ("model", "steps_done", "train_seconds", "final_eval", "parameters")}, indent=2))


if __name__ == "__main__":
    main()
