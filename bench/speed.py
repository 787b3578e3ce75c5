"""Time every registered method at 256 and 512 px on fixed masks (thin, medium, centre).

    python bench/speed.py [--sizes 256,512] [--masks thin,medium,centre] [--methods a,b] [--repeat 3]

Prints one row per (method, size, mask) with the median time of ``--repeat`` runs (after one
warm-up run, so numba compilation and lazy loading are not counted) and the hole PSNR/SSIM on
scikit-image's astronaut. Reference: scikit-image's ``inpaint_biharmonic`` on the same cases.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from skimage import data
from skimage.restoration import inpaint_biharmonic

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inpaint_core import all_methods, inpaint  # noqa: E402
from inpaint_core.engine import compare  # noqa: E402
from inpaint_core.masks import generate_mask, hole_percent  # noqa: E402
from inpaint_core.metrics import score  # noqa: E402


def _time(fn, repeat: int) -> tuple[float, object]:
    out = fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--masks", default="thin,medium,centre")
    parser.add_argument("--methods", default="")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-slow", action="store_true", help="leave out methods whose speed class is slow")
    args = parser.parse_args()
    methods = [m for m in all_methods() if m.availability()[0]]
    if args.methods:
        wanted = args.methods.split(",")
        methods = [m for m in methods if m.name in wanted]
    if args.skip_slow:
        methods = [m for m in methods if m.speed != "slow"]
    rows = []
    for size in map(int, args.sizes.split(",")):
        image = cv2.resize(data.astronaut(), (size, size), interpolation=cv2.INTER_AREA)
        for kind in args.masks.split(","):
            mask = generate_mask(kind, (size, size), seed=0)
            for method in methods:
                try:
                    seconds, out = _time(lambda: inpaint(image, mask, method), args.repeat)
                except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
                    rows.append({"method": method.name, "size": size, "mask": kind, "error": str(exc)})
                    continue
                s = score(image.astype(float), out.astype(float), mask)
                rows.append({"method": method.name, "size": size, "mask": kind, "hole_%": round(hole_percent(mask), 1),
                             "seconds": round(seconds, 4), "psnr_hole": round(s["psnr_hole"], 2), "ssim_hole": round(s["ssim_hole"], 3)})
                print(rows[-1], flush=True)
            seconds, ref = _time(lambda: inpaint_biharmonic(image, mask, channel_axis=-1), 1)
            s = score(image.astype(float), np.clip(np.rint(ref * 255), 0, 255), mask)
            rows.append({"method": "skimage.inpaint_biharmonic", "size": size, "mask": kind, "hole_%": round(hole_percent(mask), 1),
                         "seconds": round(seconds, 4), "psnr_hole": round(s["psnr_hole"], 2), "ssim_hole": round(s["ssim_hole"], 3)})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False))
    # the whole Compare of the fast methods at 512 px, medium mask, as the app runs it
    image = cv2.resize(data.astronaut(), (512, 512), interpolation=cv2.INTER_AREA)
    mask = generate_mask("medium", (512, 512), seed=0)
    fast = [m.name for m in methods if m.speed == "fast"]
    start = time.perf_counter()
    compare(image, mask, fast)
    print(f"\nwhole Compare of the fast methods ({', '.join(fast)}) at 512 px, medium mask: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
