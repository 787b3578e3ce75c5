"""Time every registered metric at 256 and 512 px, beside the reference implementations.

    python bench/metrics.py [--repeats 5]

Prints the median seconds of each metric of :data:`inpaint_core.metrics.METRICS` on the astronaut
(RGB, 0-255) against a noisy copy with a 25 % centre hole, and of the references the tests check
them against: scikit-image's ``structural_similarity`` (Wang et al. settings) and sewar's
``vifp`` (a test dependency: pip install -r requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inpaint_core.masks import generate_mask  # noqa: E402
from inpaint_core.metrics import METRICS  # noqa: E402


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from skimage import data
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(0)
    for side in (256, 512):
        ref = cv2.resize(data.astronaut(), (side, side), interpolation=cv2.INTER_AREA).astype(np.float64)
        out = np.clip(ref + rng.normal(0, 10, ref.shape), 0, 255)
        hole = generate_mask("centre", (side, side))
        print(f"{side} x {side} px, median of {args.repeats}:")
        for name, metric in METRICS.items():
            seconds = _median_seconds(lambda: metric.compute(ref, out, hole), args.repeats)
            print(f"  {name:<10} {seconds * 1000:8.1f} ms")
        ssim_ref = _median_seconds(lambda: structural_similarity(
            ref, out, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255,
            channel_axis=-1), args.repeats)
        print(f"  {'skimage ssim':<10} {ssim_ref * 1000:8.1f} ms (reference)")
        try:
            from sewar.full_ref import vifp
        except ImportError:
            print("  sewar is not installed (pip install -r requirements-dev.txt): no VIF reference timing")
            continue
        print(f"  {'sewar vifp':<10} {_median_seconds(lambda: vifp(ref, out), 1) * 1000:8.1f} ms (reference, 1 run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
