"""What every trainer shares (inpainting, :mod:`.train`; restoration, :mod:`.train_restoration`): the
base class (config, networks, optimisers), random crops from a preloaded photo bank, and the CPU
recipe's schedule (linear warm-up, cosine decay) and weight average. The loop, checkpoints and export
are in :func:`inpaint_core.networks.train.train`.
"""

from __future__ import annotations

import math

import numpy as np


def sample_batch(bank: list[np.ndarray], batch: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """(B, size, size, 3) float32 in [0, 1]: random image, random crop, random flip."""
    out = np.empty((batch, size, size, 3), np.float32)
    for i in range(batch):
        img = bank[int(rng.integers(len(bank)))]
        h, w = img.shape[:2]
        top, left = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        crop = img[top : top + size, left : left + size]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        out[i] = crop.astype(np.float32) / 255.0
    return out


def batch_tensor(batch: np.ndarray, device):
    """(B, H, W, C) float32 array -> (B, C, H, W) tensor on ``device``."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2))).to(device)


def recipe_learning_rate(cfg: dict, t: int) -> float:
    """The recipe's schedule: linear warm-up over ``warmup`` of the steps, then cosine decay to 5 % of ``lr``."""
    warm = max(1, int(cfg["warmup"] * cfg["steps"]))
    if t < warm:
        return cfg["lr"] * (t + 1) / warm
    progress = min(1.0, (t - warm) / max(1, cfg["steps"] - warm))
    return cfg["lr"] * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def update_ema(ema, net, t: int, decay: float) -> None:
    """Exponential moving average of ``net``'s weights into ``ema`` (a shorter memory in the first
    steps); buffers (batch-norm statistics) are copied as they are."""
    import torch

    with torch.no_grad():
        d = min(decay, (1 + t) / (10 + t))
        for pe, p in zip(ema.parameters(), net.parameters()):
            pe.lerp_(p, 1 - d)
        for be, b in zip(ema.buffers(), net.buffers()):
            be.copy_(b)


class Trainer:
    """Base: config, networks and optimisers; a subclass implements a step, its held-back batch and
    its evaluation (the loop, checkpoints and export: :func:`inpaint_core.networks.train.train`)."""

    kind = ""
    loss_columns: list[str] = []
    select_metric, select_label = "hole_psnr", "hole PSNR"  # the held-back score keep_best maximises

    def __init__(self, cfg: dict, device):
        import torch

        self.cfg, self.device = cfg, device
        torch.manual_seed(cfg["seed"])
        self.nets = {name: __import__("inpaint_core.networks.nets", fromlist=["build"]).build(spec["kind"], **spec["sizes"]).to(device)
                     for name, spec in cfg["networks"].items()}
        self.opts = self.make_optimisers()

    @classmethod
    def network_specs(cls, cfg: dict) -> dict:
        raise NotImplementedError

    def make_optimisers(self) -> dict:
        raise NotImplementedError

    def step(self, t: int, rng: np.random.Generator, bank) -> dict:
        raise NotImplementedError

    def evaluate(self, val: dict) -> dict:
        raise NotImplementedError

    def fixed_validation(self, bank) -> dict:
        """The fixed held-back batch :meth:`evaluate` reads (seeded apart from the run)."""
        raise NotImplementedError

    def export_source(self, name: str) -> str:
        """The network whose weights are shipped under ``name``."""
        return name
