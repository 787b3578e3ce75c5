"""Training throughput on this CPU: crops per second before and after the CPU recipe (issue 15).

    python bench/train_speed.py [--steps 30] [--images 60]

Times ``Trainer.step`` (forward, backward, optimiser; the batch drawn from photos already in
memory) after 3 warm-up steps, in the first phase of each schedule, for the shipped scene GLCIC's setting (128 px crops, width 16,
float32, 1 thread: "before"), the same network at 64 px, and the LaMa-style recipe (64 px crops,
bfloat16 autocast, channels-last, 2 threads: "after") with each of its speed choices undone in turn.
Nothing else should run meanwhile: the machine has 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inpaint_core.networks import train  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "train"
SETTINGS = {  # label: (model, overrides, torch threads)
    "GLCIC as shipped (128 px, fp32, 1 thread)": ("glcic", dict(size=128, width=16, batch=8), 1),
    "GLCIC at 64 px (fp32, 1 thread)": ("glcic", dict(size=64, width=16, batch=16), 1),
    "LaMa recipe (64 px, bf16, channels-last, 2 threads)": ("lama", {}, 2),
    "LaMa recipe, float32": ("lama", dict(bf16=False), 2),
    "LaMa recipe, 1 thread": ("lama", {}, 1),
    "LaMa recipe at 96 px": ("lama", dict(size=96), 2),
}


def crops_per_second(model: str, overrides: dict, threads: int, files, steps: int) -> float:
    import torch

    torch.set_num_threads(threads)
    cfg = dict(train.DEFAULTS[model], model=model, seed=0, faces=False, **overrides)
    cfg.update(steps=10**6, mask_bank=200, mean_pixel=[0.47, 0.45, 0.40])
    cfg["networks"] = train.TRAINERS[model].network_specs(cfg)
    bank = (train.load_multiscale_bank(files, cfg["size"], cfg["scales"]) if cfg.get("scales")
            else train.load_bank(files, cfg["size"], False, 192))
    trainer = train.TRAINERS[model](cfg, torch.device("cpu"))
    for t in range(3):  # early steps: GLCIC's completion phase (85 % of its run), LaMa's reconstruction phase
        trainer.step(t, np.random.default_rng(t), bank)
    start = time.perf_counter()
    for t in range(steps):
        trainer.step(3 + t, np.random.default_rng(100 + t), bank)
    return steps * cfg["batch"] / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--images", type=int, default=60)
    args = p.parse_args()
    files = train.list_images([str(DATA / "bsds500"), str(DATA / "imagenet_samples_1000")], set())[0][: args.images]
    for label, (model, overrides, threads) in SETTINGS.items():
        rate = crops_per_second(model, overrides, threads, files, args.steps)
        print(f"{label:<55} {rate:7.1f} crops/s", flush=True)


if __name__ == "__main__":
    main()
