"""Speed and quality of the applications at 512 px: ``python bench/apps.py``.

Damage detection (target: under 0.5 s) with precision / recall against the generator's truth and the
PSNR gain of the repair; mark detection (target: under 1 s) with the footprint's IoU, and the hole PSNR
of plain inpainting against un-blending; structure propagation (target: under 3 s for a 25 % hole with
two guides) and object removal with and without guides (hole PSNR against the clean photo).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inpaint_core.apps.dewatermark import dewatermark, draw_mark, find_marks, stamp_marks  # noqa: E402
from inpaint_core.apps.remove import grow, place_object, remove_object  # noqa: E402
from inpaint_core.apps.repair import STRENGTHS, damage, detect_damage, repair  # noqa: E402
from inpaint_core.masks import generate_mask  # noqa: E402
from inpaint_core.samples import drawn_scene  # noqa: E402
from inpaint_core.services.apps import SCENE_OBJECT  # noqa: E402
from inpaint_core.structure import Guide, propagate_structure, rasterise  # noqa: E402
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


def bench_structure() -> None:
    print("structure propagation at 512 px, 25 % centre hole, two straight guides: seconds (best of 3)")
    for name in PHOTOS:
        image = photo(name).astype("float32") / 255
        hole = generate_mask("centre", image.shape[:2])
        h, w = hole.shape
        guides = [Guide(rasterise([[0.3 * h, 0], [0.7 * h, w - 1]], hole.shape)),
                  Guide(rasterise([[0, 0.6 * w], [h - 1, 0.35 * w]], hole.shape))]
        seconds, done = _best_time(lambda: propagate_structure(image, hole, guides))
        print(f"  {name:<10} {seconds:.3f} s, {int(done.filled.sum())} px of structure")
    print("object removal: the ball at three places on the drawn scene's wire | hole PSNR without / with automatic guides")
    for side in (256, 512):
        scene = drawn_scene(side)
        for x in (0.2, 0.3, 0.45):  # the wire runs from (0, 170/512) to (1, 60/512) of the canvas
            where = ((170 - 110 * x) / 512, x)
            photo_, ball, touched = place_object(scene, 0, centre=where, size=SCENE_OBJECT["size"])
            reach = next(g for g in range(50) if not (touched & ~grow(ball, g)).any())
            for method in ("criminisi", "patchmatch"):
                plain = remove_object(photo_, ball, grow_px=reach, method=method, clean=scene)
                guided = remove_object(photo_, ball, guides="auto", grow_px=reach, method=method, clean=scene)
                print(f"  {side} px x {x:.2f} {method:<10} | {plain.scores['psnr_hole']:.2f} / "
                      f"{guided.scores['psnr_hole']:.2f} dB ({len(guided.guides)} guide(s), "
                      f"{sum(guided.seconds.values()):.2f} s)")


if __name__ == "__main__":
    bench_repair()
    bench_dewatermark()
    bench_structure()
