"""Benchmark: exemplar and patch-based methods at 512 x 512 beside Telea and biharmonic.

Times (wall and CPU seconds of this process) and hole PSNR / SSIM
(:data:`inpaint_core.metrics.SSIM_VARIANT`) of Criminisi, PatchMatch completion and
statistics of patch offsets on the spine's "medium" free-form and "centre" (25 %) masks,
on a few Kodak images centre-cropped to a square and resized to 512 px.

    python bench/patch_methods.py [--images 3] [--data ../shared/data] [--out /tmp/bench_patch]

CPU seconds are reported because the machine is shared: wall time grows with other load,
CPU time of these single-threaded methods does not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gallery.cases import square_resize  # noqa: E402
from inpaint_core import inpaint  # noqa: E402
from inpaint_core.imageio import load_image  # noqa: E402
from inpaint_core.masks import generate_mask  # noqa: E402
from inpaint_core.metrics import SSIM_VARIANT, score  # noqa: E402

CASES = [
    ("criminisi", "medium"), ("criminisi", "centre"),
    ("patchmatch", "medium"), ("patchmatch", "centre"),
    ("patch_offsets", "medium"), ("patch_offsets", "centre"),
    ("telea", "medium"), ("telea", "centre"),
    ("biharmonic", "medium"), ("biharmonic", "centre"),
]
TARGETS = {("criminisi", "medium"): 3.0, ("criminisi", "centre"): 5.0, ("patchmatch", "medium"): 1.5,
           ("patch_offsets", "medium"): 5.0, ("patch_offsets", "centre"): 5.0}


def load_square(path: Path, side: int = 512) -> np.ndarray:
    """Centre-crop to a square and resize (the gallery's own rule)."""
    return square_resize(load_image(path), side)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))
    parser.add_argument("--out", default="", help="folder for result PNGs (optional)")
    args = parser.parse_args()
    paths = sorted((Path(args.data) / "benchmark" / "kodak24").glob("kodim*.png"))[: args.images]
    if not paths:
        sys.exit(f"No Kodak images under {args.data}/benchmark/kodak24.")
    out_dir = Path(args.out) if args.out else None
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    # compile the numba kernels before timing anything
    warm = load_square(paths[0], 64)
    for method in {m for m, _ in CASES}:
        inpaint(warm, generate_mask("medium", warm.shape[:2], seed=0), method)
    rows = []
    for path in paths:
        img = load_square(path)
        for method, kind in CASES:
            mask = generate_mask(kind, img.shape[:2], seed=7)
            t0, c0 = time.perf_counter(), time.process_time()
            result = inpaint(img, mask, method, seed=0)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            s = score(img, result, mask)
            rows.append((path.stem, method, kind, 100 * mask.mean(), wall, cpu, s["psnr_hole"], s["ssim_hole"]))
            print(f"{path.stem:8s} {method:14s} {kind:7s} hole {100 * mask.mean():4.1f}%  wall {wall:6.2f} s  "
                  f"cpu {cpu:6.2f} s  PSNR(hole) {s['psnr_hole']:6.2f}  SSIM(hole) {s['ssim_hole']:.3f}", flush=True)
            if out_dir:
                cv2.imwrite(str(out_dir / f"{path.stem}_{method}_{kind}.png"), cv2.cvtColor(result, cv2.COLOR_RGB2BGR))
    print(f"\nMeans over {len(paths)} images at 512x512 (SSIM variant {SSIM_VARIANT}):")
    print("| method | mask | wall s | cpu s | target s | PSNR hole | SSIM hole |")
    print("|---|---|---|---|---|---|---|")
    for method, kind in CASES:
        sel = [r for r in rows if r[1] == method and r[2] == kind]
        wall, cpu, ps, ss = (np.mean([r[i] for r in sel]) for i in (4, 5, 6, 7))
        target = TARGETS.get((method, kind))
        print(f"| {method} | {kind} | {wall:.2f} | {cpu:.2f} | {target if target else ''} | {ps:.2f} | {ss:.3f} |")


if __name__ == "__main__":
    main()
