"""Speed and quality of the applications at 512 px: ``python bench/apps.py``.

Damage detection (target: under 0.5 s) with precision / recall against the generator's truth and the
PSNR gain of the repair; mark detection (target: under 1 s) with the footprint's IoU, and the hole PSNR
of plain inpainting against un-blending.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inpaint_core.apps.dewatermark import dewatermark, draw_mark, find_marks, stamp_marks  # noqa: E402
from inpaint_core.apps.repair import STRENGTHS, damage, detect_damage, repair  # noqa: E402
from tests.apps_samples import photo  # noqa: E402

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")


def _best_time(fn, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def bench_repair() -> None:
    print("repair: photo strength | precision recall | detect s | PSNR damaged -> repaired (telea)")
    for name in PHOTOS:
        clean = photo(name)
        for strength in STRENGTHS:
            damaged, truth = damage(clean, strength, seed=0)
            seconds, _ = _best_time(lambda: detect_damage(damaged))
            r = repair(damaged, clean=clean, truth=truth)
            print(f"  {name:<10} {strength:<6} | {r.detection['precision']:.3f} {r.detection['recall']:.3f} | "
                  f"{seconds:.3f} | {r.damaged_scores['psnr']:.2f} -> {r.scores['psnr']:.2f} dB")


def bench_dewatermark() -> None:
    mark = draw_mark(120)
    cases = {"plain": ([(256, 200, 1.0, 0)], 1.0), "0.5x": ([(256, 200, 0.5, 0)], 1.0),
             "2x": ([(256, 220, 2.0, 0)], 1.0), "rot 30": ([(256, 200, 1.0, 30)], 1.0),
             "opacity 0.4": ([(256, 200, 1.0, 0)], 0.4),
             "tiled x4 @0.7": ([(130, 100, 0.8, 0), (380, 100, 0.8, 0), (130, 300, 0.8, 0), (380, 300, 0.8, 0)], 0.7)}
    print("dewatermark: photo case | marks IoU | find s | hole PSNR inpaint / unblend (semi-transparent)")
    for name in ("astronaut", "chelsea", "coffee"):
        clean = photo(name)
        for case, (placements, opacity) in cases.items():
            marked, truth = stamp_marks(clean, mark, placements, opacity=opacity)
            try:
                seconds, found = _best_time(lambda: find_marks(marked, mark))
            except ValueError as exc:
                print(f"  {name:<10} {case:<14} | not found ({exc})")
                continue
            plain = dewatermark(marked, mark, clean=clean, truth=truth)
            line = f"  {name:<10} {case:<14} | {len(found)} {plain.iou:.3f} | {seconds:.3f} | {plain.scores['psnr_hole']:.2f}"
            if opacity < 1:
                inverted = dewatermark(marked, mark, clean=clean, unblend_mark=True)
                line += f" / {inverted.scores['psnr_hole']:.2f} (opacity {inverted.opacity:.2f})"
            print(line)


if __name__ == "__main__":
    bench_repair()
    bench_dewatermark()
