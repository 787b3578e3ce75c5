"""Tune an inference setting on the held-back split of the training photos, never on a benchmark.

    python -m inpaint_core.networks.heldback weights/lama_scenes --method lama --param depth_ratio=1,1.5,2,3,8

Reads the model's ``config.json`` for its data folders and split (the same fixed permutation as
training), takes the held-back photos at 256 px (short side resized, centre crop), cuts holes from
the mask presets (medium and thick strokes, an object-like blob, the 25 % centre square; seeded per
image; for a face model: its training face crops and the centre square), runs the method once per
value of one parameter, and prints the mean hole PSNR per hole type with harmonic diffusion beside it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from ..masks import generate_mask

HOLES = ("medium", "thick", "object", "centre")
FACE_HOLES = ("centre",)  # the survey's face experiment: the 25 % centre square


def heldback_photos(cfg: dict, side: int = 256, limit: int = 40) -> list[np.ndarray]:
    """The first ``limit`` held-back photos of a training run, as ``side`` x ``side`` uint8 RGB (a
    face model's: the training's tight face crop at its own size)."""
    from .train import exclusion_names, face_crop, list_images

    files, _ = list_images(cfg["data"], exclusion_names(cfg.get("exclude_names_from")))
    if cfg.get("max_images"):
        files = files[: cfg["max_images"]]
    order = np.random.default_rng(0).permutation(len(files))  # as train.prepare_data
    n_val = max(1, int(round(cfg["val_fraction"] * len(files))))
    photos = []
    for i in sorted(order[:n_val])[:limit]:
        rgb = cv2.cvtColor(cv2.imread(str(files[i]), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        if cfg.get("faces"):
            photos.append(face_crop(rgb, cfg["size"]))
            continue
        h, w = rgb.shape[:2]
        scale = side / min(h, w)
        rgb = cv2.resize(rgb, (max(side, round(w * scale)), max(side, round(h * scale))),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        h, w = rgb.shape[:2]
        photos.append(np.ascontiguousarray(rgb[(h - side) // 2 : (h - side) // 2 + side,
                                               (w - side) // 2 : (w - side) // 2 + side]))
    return photos


def main(argv: list[str] | None = None) -> None:
    from .. import inpaint
    from ..metrics import psnr

    p = argparse.ArgumentParser(prog="python -m inpaint_core.networks.heldback", description=__doc__.split("\n\n")[0])
    p.add_argument("folder", help="weights/NAME (its config.json names the data and the split)")
    p.add_argument("--method", required=True)
    p.add_argument("--param", required=True, help="NAME=V1,V2,...")
    p.add_argument("--images", type=int, default=40)
    p.add_argument("--baseline", default="harmonic")
    args = p.parse_args(argv)
    cfg = json.loads((Path(args.folder) / "config.json").read_text())
    name, _, values = args.param.partition("=")
    photos = heldback_photos(cfg, limit=args.images)
    holes = FACE_HOLES if cfg.get("faces") else HOLES
    runs = [(f"{args.baseline}", args.baseline, None)] + [(f"{name}={v}", args.method, {name: v})  # checked by the Param
                                                          for v in values.split(",")]
    print(f"{len(photos)} held-back photos at {photos[0].shape[0]} px; mean hole PSNR (dB)")
    print("setting".ljust(22) + "".join(h.rjust(10) for h in holes))
    for label, method, params in runs:
        cells = []
        for kind in holes:
            scores = [psnr(img, inpaint(img, generate_mask(kind, img.shape[:2], seed=k), method, params),
                           mask=generate_mask(kind, img.shape[:2], seed=k)) for k, img in enumerate(photos)]
            cells.append(f"{np.mean(scores):10.2f}")
        print(label.ljust(22) + "".join(cells), flush=True)


if __name__ == "__main__":
    main()
