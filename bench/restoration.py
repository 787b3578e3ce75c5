"""Quality and speed of the restoration methods (issue 14): ``python bench/restoration.py [--images 8]``.

- De-mosaicing: the 64x64 CelebA test faces of ``benchmark/celeba64_yeh_testimages`` mosaicked whole at
  blocks 4 and 8 (the survey's case), PSNR / SSIM of each de-mosaicing method; the detector's block,
  offset and IoU on Kodak24 at 512 px with a mosaicked rectangle (blocks 2-16), and its time.
- De-blurring: Kodak24 and BSD68 (first ``--images`` each, centre 512 / 321 px crops) blurred by
  camera-shake kernels of 9, 17 and 31 px (seeds not used by the examples), each method against the
  blurred input.
- De-raining: the same photos under light, medium and heavy synthetic rain.

Data are read from ``../shared/data/benchmark`` by path and never copied; tables are printed and
saved as ``bench/out/restoration_*.csv``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inpaint_core.restoration import all_restorations, restore  # noqa: E402
from inpaint_core.restoration.deblur import blur, shake_kernel  # noqa: E402
from inpaint_core.restoration.demosaic import Mosaic, detect_mosaic, mosaic, mosaic_cells  # noqa: E402
from inpaint_core.restoration.derain import DENSITIES, add_rain  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "benchmark"
KERNEL_SEED = 1000  # kernels the examples (seeds 0, 1, ...) never draw


def read(path: Path, side: int | None = None) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    if side:
        h, w = rgb.shape[:2]
        top, left = max(0, (h - side) // 2), max(0, (w - side) // 2)
        rgb = rgb[top : top + side, left : left + side]
    return np.ascontiguousarray(rgb)


def scores(clean, out) -> dict:
    return {"psnr": peak_signal_noise_ratio(clean, out), "ssim": structural_similarity(clean, out, channel_axis=2)}


def faces(limit: int) -> pd.DataFrame:
    rows = []
    files = sorted(p for p in (DATA / "celeba64_yeh_testimages").glob("*.png") if p.stem.isdigit())[:limit]
    for path in files:
        face = read(path)
        for block in (4, 8):
            grid = Mosaic(np.ones(face.shape[:2], bool), block, (0, 0))
            mosaicked = mosaic(face, block)
            for m in all_restorations("demosaic"):
                rows.append(dict(image=path.name, block=block, method=m.name,
                                 **scores(face, restore(mosaicked, m, region=grid.mask, block=grid))))
    return pd.DataFrame(rows)


def detector(photos: list[np.ndarray]) -> pd.DataFrame:
    rows = []
    for i, img in enumerate(photos):
        h, w = img.shape[:2]
        region = np.zeros((h, w), bool)
        region[h // 4 : h // 4 + h // 3, w // 3 : w // 3 + w // 3] = True
        for block in (2, 4, 8, 16):
            offset = (i % block, (3 * i) % block)
            start = time.perf_counter()
            found = detect_mosaic(mosaic(img, block, region, offset))
            seconds = time.perf_counter() - start
            truth = mosaic_cells((h, w), block, region, offset)
            ok = found is not None and found.block == block and found.offset == offset
            iou = float((found.mask & truth).sum() / (found.mask | truth).sum()) if found is not None else 0.0
            rows.append(dict(image=i, block=block, found=ok, iou=iou, seconds=seconds))
        start = time.perf_counter()
        clean = detect_mosaic(img)
        rows.append(dict(image=i, block=0, found=clean is None, iou=np.nan, seconds=time.perf_counter() - start))
    return pd.DataFrame(rows)


def deblurring(photos: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    rows = []
    for dataset, images in photos.items():
        for i, img in enumerate(images):
            for size in (9, 17, 31):
                kernel = shake_kernel(size, seed=KERNEL_SEED + i)
                blurred = blur(img, kernel)
                rows.append(dict(dataset=dataset, image=i, kernel=size, method="(blurred input)", seconds=0.0,
                                 **scores(img, blurred)))
                for m in all_restorations("deblur"):
                    start = time.perf_counter()
                    out = restore(blurred, m, **({"kernel": kernel} if "kernel" in m.needs else {}))
                    rows.append(dict(dataset=dataset, image=i, kernel=size, method=m.name,
                                     seconds=time.perf_counter() - start, **scores(img, out)))
    return pd.DataFrame(rows)


def deraining(photos: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    rows = []
    for dataset, images in photos.items():
        for i, img in enumerate(images):
            for density in DENSITIES:
                rainy, _, _ = add_rain(img, density, seed=KERNEL_SEED + i)
                for m in all_restorations("derain"):
                    start = time.perf_counter()
                    out = restore(rainy, m)
                    rows.append(dict(dataset=dataset, image=i, density=density, method=m.name,
                                     seconds=time.perf_counter() - start, **scores(img, out)))
    return pd.DataFrame(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=8)
    p.add_argument("--faces", type=int, default=64)
    args = p.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    kodak = [read(f, 512) for f in sorted((DATA / "kodak24").glob("kodim*.png"))[: args.images]]
    bsd = [read(f) for f in sorted((DATA / "bsd68_color").glob("*.png"))[: args.images]]
    tables = {"faces": faces(args.faces), "detector": detector(kodak), "deblur": deblurring({"kodak24": kodak, "bsd68": bsd}),
              "derain": deraining({"kodak24": kodak, "bsd68": bsd})}
    for name, df in tables.items():
        df.to_csv(out / f"restoration_{name}.csv", index=False)
    pd.set_option("display.width", 160)
    print("De-mosaicing, CelebA 64 px test faces, whole-face mosaic: mean PSNR / SSIM")
    print(tables["faces"].groupby(["block", "method"])[["psnr", "ssim"]].mean().round(3).to_string())
    d = tables["detector"]
    print("\nMosaic detector on Kodak24 at 512 px (block 0 = the clean photo, found = nothing found):")
    print(d.groupby("block").agg(found=("found", "mean"), iou=("iou", "mean"), seconds=("seconds", "mean")).round(3).to_string())
    print("\nDe-blurring (unseen kernels): mean PSNR / SSIM / seconds")
    print(tables["deblur"].groupby(["dataset", "kernel", "method"])[["psnr", "ssim", "seconds"]].mean().round(3).to_string())
    print("\nDe-raining: mean PSNR / SSIM / seconds")
    print(tables["derain"].groupby(["dataset", "density", "method"])[["psnr", "ssim", "seconds"]].mean().round(3).to_string())


if __name__ == "__main__":
    main()
