"""Quality and speed of the restoration methods (issue 14): ``python bench/restoration.py [--images 8]``.

- De-mosaicing: the 64x64 CelebA test faces of ``benchmark/celeba64_yeh_testimages`` mosaicked whole at
  blocks 4 and 8 (the survey's case), and the same faces at 32 px, block 4 (Dahl et al.'s 8x8 -> 32x32),
  PSNR / SSIM of each de-mosaicing method; the detector's block, offset and IoU on Kodak24 at 512 px with
  a mosaicked rectangle (blocks 2-16), and its time.
- De-blurring: Kodak24 and BSD68 (first ``--images`` each, centre 512 / 321 px crops) blurred by
  camera-shake kernels of 9, 17 and 31 px (seeds not used by the examples), each method against the
  blurred input.
- De-raining: the same photos under light, medium and heavy synthetic rain.

- Speed: each learned method on a 512x512 Kodak crop (after one warm-up run), seconds.

Methods whose weights are missing are left out (and named). ``--sheet PATH`` writes a sheet of faces
(truth, mosaic, bicubic, each learned model) at blocks 4 and 8. Data are read from
``../shared/data/benchmark`` by path and never copied; tables are printed and saved as
``bench/out/restoration_*.csv``.
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
SECTIONS = ("faces", "detector", "deblur", "derain", "speed")


def read(path: Path, side: int | None = None) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    if side:
        h, w = rgb.shape[:2]
        top, left = max(0, (h - side) // 2), max(0, (w - side) // 2)
        rgb = rgb[top : top + side, left : left + side]
    return np.ascontiguousarray(rgb)


def scores(clean, out) -> dict:
    return {"psnr": peak_signal_noise_ratio(clean, out), "ssim": structural_similarity(clean, out, channel_axis=2)}


def available(task: str):
    """The methods of ``task`` that can run here (missing weights are reported once)."""
    out = []
    for m in all_restorations(task):
        ok, why = m.availability()
        if ok:
            out.append(m)
        else:
            print(f"left out {m.name}: {why}", file=sys.stderr)
    return out


def face_files(limit: int) -> list[Path]:
    return sorted(p for p in (DATA / "celeba64_yeh_testimages").glob("*.png") if p.stem.isdigit())[:limit]


def faces(limit: int) -> pd.DataFrame:
    rows = []
    methods = available("demosaic")
    for path in face_files(limit):
        face64 = read(path)
        face32 = cv2.resize(face64, (32, 32), interpolation=cv2.INTER_AREA)
        for side, face, block in ((64, face64, 4), (64, face64, 8), (32, face32, 4)):
            grid = Mosaic(np.ones(face.shape[:2], bool), block, (0, 0))
            mosaicked = mosaic(face, block)
            for m in methods:
                out = restore(mosaicked, m, region=grid.mask, block=grid)
                rows.append(dict(image=path.name, side=side, block=block, method=m.name, **scores(face, out),
                                 detail=detail(out) / detail(face)))
    return pd.DataFrame(rows)


def detail(img: np.ndarray) -> float:
    """Variance of the Laplacian of the grey image: how much fine detail there is (the truth's = 1 in the tables)."""
    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float64), cv2.CV_64F).var())


def face_sheet(path: Path, n: int = 6) -> None:
    """Rows of faces: truth, mosaic, bicubic, then each learned model, at blocks 4 and 8 (nearest-enlarged x2)."""
    methods = ["mosaic_bicubic"] + [m.name for m in available("demosaic") if m.needs_weights]
    rows = []
    for f in face_files(n):
        face = read(f)
        for block in (4, 8):
            grid = Mosaic(np.ones(face.shape[:2], bool), block, (0, 0))
            mosaicked = mosaic(face, block)
            tiles = [face, mosaicked] + [restore(mosaicked, m, region=grid.mask, block=grid) for m in methods]
            rows.append(np.concatenate([np.pad(t, ((1, 1), (1, 1), (0, 0)), constant_values=255) for t in tiles], 1))
    sheet = np.concatenate(rows, 0)
    sheet = cv2.resize(sheet, (sheet.shape[1] * 2, sheet.shape[0] * 2), interpolation=cv2.INTER_NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"wrote {path}: columns truth, mosaic, {', '.join(methods)}; rows block 4 and 8 per face")


def speed(img: np.ndarray) -> pd.DataFrame:
    """Seconds of each learned method on one 512 px photo (after a warm-up run on it)."""
    rows = []
    everywhere = np.ones(img.shape[:2], bool)
    inputs = {"demosaic": mosaic(img, 8), "deblur": blur(img, shake_kernel(17, seed=KERNEL_SEED)),
              "derain": add_rain(img, "medium", seed=KERNEL_SEED)[0]}
    for task, degraded in inputs.items():
        for m in available(task):
            if not m.needs_weights:
                continue
            extra = {"region": everywhere, "block": Mosaic(everywhere, 8, (0, 0))} if task == "demosaic" else {}
            restore(degraded, m, **extra)
            start = time.perf_counter()
            restore(degraded, m, **extra)
            rows.append(dict(task=task, method=m.name, side=img.shape[0], seconds=time.perf_counter() - start))
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
                for m in available("deblur"):
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
                for m in available("derain"):
                    start = time.perf_counter()
                    out = restore(rainy, m)
                    rows.append(dict(dataset=dataset, image=i, density=density, method=m.name,
                                     seconds=time.perf_counter() - start, **scores(img, out)))
    return pd.DataFrame(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=8)
    p.add_argument("--faces", type=int, default=64)
    p.add_argument("--sheet", type=Path, default=None, help="write a sheet of restored faces here")
    p.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    args = p.parse_args()
    sections = [s for s in args.sections.split(",") if s]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"unknown sections {unknown}; use some of {', '.join(SECTIONS)}")
    started = time.perf_counter()
    if args.sheet:
        face_sheet(args.sheet)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    kodak = [read(f, 512) for f in sorted((DATA / "kodak24").glob("kodim*.png"))[: args.images]]
    bsd = [read(f) for f in sorted((DATA / "bsd68_color").glob("*.png"))[: args.images]]
    photos = {"kodak24": kodak, "bsd68": bsd}
    run = {"faces": lambda: faces(args.faces), "detector": lambda: detector(kodak), "deblur": lambda: deblurring(photos),
           "derain": lambda: deraining(photos), "speed": lambda: speed(kodak[0])}
    tables = {name: run[name]() for name in SECTIONS if name in sections}
    for name, df in tables.items():
        df.to_csv(out / f"restoration_{name}.csv", index=False)
    import json
    import os
    import platform

    import torch

    meta = {"command": "python bench/restoration.py " + " ".join(sys.argv[1:]), "date": time.strftime("%Y-%m-%d"),
            "machine": platform.machine(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "minutes": round((time.perf_counter() - started) / 60, 1), "sections": sections}
    (out / f"restoration_meta_{'_'.join(sections)}.json").write_text(json.dumps(meta, indent=1))
    if set(sections) == set(SECTIONS):
        (out / "restoration_meta.json").write_text(json.dumps(meta, indent=1))
    pd.set_option("display.width", 160)
    if "faces" in tables:
        print("De-mosaicing, CelebA test faces (64 px, and 32 px), whole-face mosaic: mean PSNR / SSIM")
        f = tables["faces"]
        print(f.groupby(["side", "block", "method"])[["psnr", "ssim", "detail"]].mean().round(3).to_string())
        print("  (detail: variance of the Laplacian relative to the true face's; the mosaic's blocks count as detail)")
        base = f[f.method == "mosaic_bicubic"].set_index(["image", "side", "block"])["psnr"]
        for m in sorted(set(f.method) - {"mosaic_bicubic"}):
            gain = (f[f.method == m].set_index(["image", "side", "block"])["psnr"] - base).groupby(["side", "block"]).mean()
            print(f"  {m} - bicubic: " + ", ".join(f"{s} px block {b}: {g:+.2f} dB" for (s, b), g in gain.items()))
    if "detector" in tables:
        d = tables["detector"]
        print("\nMosaic detector on Kodak24 at 512 px (block 0 = the clean photo, found = nothing found):")
        print(d.groupby("block").agg(found=("found", "mean"), iou=("iou", "mean"), seconds=("seconds", "mean")).round(3).to_string())
    if "deblur" in tables:
        print("\nDe-blurring (unseen kernels): mean PSNR / SSIM / seconds")
        print(tables["deblur"].groupby(["dataset", "kernel", "method"])[["psnr", "ssim", "seconds"]].mean().round(3).to_string())
        print(gains(tables["deblur"], "(blurred input)", ["dataset", "kernel"]))
    if "derain" in tables:
        print("\nDe-raining: mean PSNR / SSIM / seconds")
        print(tables["derain"].groupby(["dataset", "density", "method"])[["psnr", "ssim", "seconds"]].mean().round(3).to_string())
        print(gains(tables["derain"], "derain_none", ["dataset", "density"]))
    if "speed" in tables:
        print("\nLearned methods at 512 px (seconds, after a warm-up run):")
        print(tables["speed"].round(3).to_string(index=False))


def gains(table: pd.DataFrame, reference: str, by: list[str]) -> str:
    """Mean PSNR / SSIM gain of each method over ``reference`` (the degraded input), by data set and overall."""
    key = [*by, "image"]
    ref = table[table.method == reference].set_index(key)[["psnr", "ssim"]]
    lines = [f"gain over the degraded input ({reference}):"]
    for m in sorted(set(table.method) - {reference}):
        d = table[table.method == m].set_index(key)[["psnr", "ssim"]] - ref
        per = d.groupby(by[0]).mean()
        lines.append(f"  {m}: " + ", ".join(f"{k} {r.psnr:+.2f} dB / {r.ssim:+.3f}" for k, r in per.iterrows())
                     + f"; all {d.psnr.mean():+.2f} dB / {d.ssim.mean():+.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
