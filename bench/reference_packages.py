"""Benchmark: our exemplar / patch methods against the published PyPI packages, in one run.

Issue 3 ("Speed and quality") asks for Criminisi, PatchMatch completion and statistics of
patch offsets to be measured at 512 x 512 on this machine against:

* ``pypatchmatch`` 2.2.0 -- C++ PatchMatch inpainting (Barnes et al. 2009,
  https://doi.org/10.1145/1531326.1531330), run with patch size 3 and with its default 15
  (its ``patch_size`` is a radius: patches of (2 r + 1)^2 pixels);
* ``patchmatch-cython`` 0.2.1 -- Cython PatchMatch, ``inpaint_pyramid`` with its defaults;
* ``exemplar-based-inpainting`` 0.2.0 -- pure-Python Criminisi et al. 2004
  (https://doi.org/10.1109/TIP.2004.833105), default patch 9. It takes minutes per image at
  512 px, so by default it runs on the first image only (``--exemplar-images``).

The reference packages are not project dependencies. Install them into a throwaway folder
and point ``REF_PACKAGES`` at it (default ``/tmp/refpkgs``)::

    pip install --target /tmp/refpkgs --no-deps \
        pypatchmatch==2.2.0 patchmatch-cython==0.2.1 exemplar-based-inpainting==0.2.0
    python bench/reference_packages.py [--images 3] [--out /tmp/refbench]

A package that does not import is skipped with a note. Every entry gets one untimed warm-up
run (numba compilation for ours) on a 128 px copy of the first image, then is timed on each
image x mask. Known pixels are pasted back into every result before scoring, so all entries
are scored on the same footing (``known px changed`` reports what the package altered).
The table is printed and saved as ``bench/out/reference_packages.csv``.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gallery.specs import square_resize  # noqa: E402
from inpaint_core import inpaint  # noqa: E402
from inpaint_core.imageio import load_image  # noqa: E402
from inpaint_core.masks import generate_mask  # noqa: E402
from inpaint_core.metrics import SSIM_VARIANT, score  # noqa: E402

MASKS = ("medium", "centre")
MASK_SEED = 7
# issue 3 speed targets (seconds at 512 x 512)
TARGETS = {("criminisi", "medium"): 3.0, ("criminisi", "centre"): 5.0, ("patchmatch", "medium"): 1.5,
           ("patch_offsets", "medium"): 5.0, ("patch_offsets", "centre"): 5.0}

Fill = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (uint8 RGB, bool hole) -> uint8 RGB


@dataclass
class Entry:
    label: str
    fill: Fill
    max_images: int | None = None  # None: all images


def load_square(path: Path, side: int = 512) -> np.ndarray:
    """Centre-crop to a square and resize (the gallery's own rule)."""
    return square_resize(load_image(path), side)


def ours(name: str) -> Fill:
    return lambda img, hole: inpaint(img, hole, name, seed=0)


def _import(module: str, package: str):
    try:
        return importlib.import_module(module)
    except Exception as exc:  # ImportError, or a broken native library
        print(f"note: skipping {package}: cannot import {module!r} ({type(exc).__name__}: {exc})")
        return None


class _Cv2FindNonZeroShim:
    """cv2, except that ``findNonZero`` returns OpenCV 4's (N, 1, 2) shape."""

    def __getattr__(self, name: str):
        return getattr(cv2, name)

    @staticmethod
    def findNonZero(src):  # noqa: N802 (OpenCV's name)
        found = cv2.findNonZero(src)
        return None if found is None else found.reshape(-1, 1, 2)


def reference_entries(exemplar_images: int) -> list[Entry]:
    entries: list[Entry] = []
    pm = _import("patchmatch", "pypatchmatch 2.2.0")
    if pm is not None and not getattr(pm, "patchmatch_available", False):
        print("note: skipping pypatchmatch 2.2.0: its native library did not load")
        pm = None
    if pm is not None:
        def pypatchmatch(radius: int) -> Fill:
            def fill(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
                pm.set_random_seed(0)
                return pm.inpaint(img, hole.astype(np.uint8) * 255, patch_size=radius)
            return fill
        entries.append(Entry("pypatchmatch ps=3", pypatchmatch(3)))
        entries.append(Entry("pypatchmatch ps=15 (default)", pypatchmatch(15)))

    pmc = _import("patchmatch_cython", "patchmatch-cython 0.2.1")
    if pmc is not None:
        if not hasattr(pmc, "CythonSolver"):
            print("note: patchmatch-cython's compiled solver did not import; skipping (pure-Python fallback only)")
        else:
            entries.append(Entry("patchmatch-cython (defaults, ps=5)",
                                 lambda img, hole: pmc.inpaint_pyramid(img, hole, seed=0,
                                                                       solver_class=pmc.CythonSolver)))

    ebi = _import("exemplar_based_inpainting.inpainter", "exemplar-based-inpainting 0.2.0")
    if ebi is not None:
        # The package indexes cv2.findNonZero's result as (N, 1, 2), the OpenCV 4 shape; OpenCV 5
        # returns (N, 2), which crashes its tie-breaking. Give its module (only) the old shape.
        ebi.cv2 = _Cv2FindNonZeroShim()

        def exemplar(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
            # its "bgr" search space uses the channels as given, so RGB in gives RGB out
            painter = ebi.Inpainter(patch_size=9, show_progress_bar=False)
            return painter.inpaint(img.copy(), hole.astype(np.uint8) * 255)
        entries.append(Entry("exemplar-based-inpainting (ps=9)", exemplar, max_images=exemplar_images))
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--exemplar-images", type=int, default=1,
                        help="images for the slow pure-Python Criminisi package (0 skips it)")
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--data", default=str(ROOT / ".." / "shared" / "data"))
    parser.add_argument("--out", default="", help="folder for result PNGs (optional)")
    parser.add_argument("--csv", default=str(ROOT / "bench" / "out" / "reference_packages.csv"))
    args = parser.parse_args()

    ref_dir = os.environ.get("REF_PACKAGES", "/tmp/refpkgs")
    if Path(ref_dir).is_dir():
        sys.path.insert(0, ref_dir)
    else:
        print(f"note: REF_PACKAGES folder {ref_dir} does not exist; reference packages will be skipped")

    paths = sorted((Path(args.data) / "benchmark" / "kodak24").glob("kodim*.png"))[: args.images]
    if not paths:
        sys.exit(f"No Kodak images under {args.data}/benchmark/kodak24.")
    out_dir = Path(args.out) if args.out else None
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)

    entries = [Entry(n, ours(n)) for n in ("criminisi", "patchmatch", "patch_offsets", "telea", "biharmonic")]
    entries += reference_entries(args.exemplar_images)
    entries = [e for e in entries if e.max_images is None or e.max_images > 0]

    images = [(p.stem, load_square(p, args.side)) for p in paths]
    masks = {k: generate_mask(k, (args.side, args.side), seed=MASK_SEED) for k in MASKS}
    warm_img = load_square(paths[0], 128)
    warm_mask = generate_mask("medium", (128, 128), seed=0)

    rows = []
    for entry in entries:
        entry.fill(warm_img, warm_mask)  # untimed warm-up
        for kind in MASKS:
            hole = masks[kind]
            for stem, img in images[: entry.max_images]:
                t0, c0 = time.perf_counter(), time.process_time()
                raw = np.asarray(entry.fill(img, hole))
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                assert raw.shape == img.shape, (entry.label, raw.shape)
                raw = np.clip(raw, 0, 255).astype(np.uint8) if raw.dtype != np.uint8 else raw
                changed = float((raw[~hole] != img[~hole]).any(axis=-1).mean()) if raw.ndim == 3 else 0.0
                result = img.copy()
                result[hole] = raw[hole]
                s = score(img, result, hole)
                rows.append((entry.label, kind, stem, wall, cpu, s["psnr_hole"], s["ssim_hole"], changed))
                print(f"{entry.label:36s} {kind:7s} {stem:8s} hole {100 * hole.mean():4.1f}%  wall {wall:7.2f} s  "
                      f"cpu {cpu:7.2f} s  PSNR(hole) {s['psnr_hole']:6.2f}  SSIM(hole) {s['ssim_hole']:.3f}"
                      f"  known px changed {100 * changed:.2f}%", flush=True)
                if out_dir:
                    name = entry.label.split(" (")[0].replace(" ", "_").replace("=", "")
                    cv2.imwrite(str(out_dir / f"{stem}_{kind}_{name}.png"), cv2.cvtColor(result, cv2.COLOR_RGB2BGR))

    header = ["method_or_package", "mask", "hole_pct", "images", "mean_wall_s", "mean_cpu_s", "target_s",
              "psnr_hole", "ssim_hole", "known_px_changed_pct"]
    table = []
    for entry in entries:
        for kind in MASKS:
            sel = [r for r in rows if r[0] == entry.label and r[1] == kind]
            if not sel:
                continue
            wall, cpu, ps, ss, ch = (float(np.mean([r[i] for r in sel])) for i in (3, 4, 5, 6, 7))
            target = TARGETS.get((entry.label, kind))
            table.append([entry.label, kind, round(100 * masks[kind].mean(), 1), len(sel), round(wall, 2),
                          round(cpu, 2), target if target else "", round(ps, 2), round(ss, 3), round(100 * ch, 2)])

    print(f"\nMeans at {args.side}x{args.side}, masks seed {MASK_SEED}, one untimed warm-up per entry "
          f"(SSIM variant {SSIM_VARIANT}):")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in table:
        print("| " + " | ".join(str(v) for v in row) + " |")
    csv_path = Path(args.csv)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with csv_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(table)
    print(f"saved {csv_path}")


if __name__ == "__main__":
    main()
