"""Quality and speed of the learned methods (issues 4 and 15), beside Telea, harmonic and biharmonic diffusion.

    python bench/learned.py [--data ../shared/data] [--per-set 8] [--bins 1,2,3] [--extra criminisi]
                            [--skip-faces] [--skip-scenes] [--skip-timing] [--out bench/out/learned]
                            [--sheet docs/images/centre_sheet.png]

Scenes: the first ``--per-set`` images of kodak24, bsd68_color and urban100_512, short side
resized to 256 and centre-cropped to 256x256 (INTER_AREA); holes from the NVIDIA irregular
test masks (bin = index // 2000, i.e. bin b covers 10b-10(b+1) % of the image; the mask of
image i in bin b is number 2000 b + (37 i mod 1000), resized to 256 px nearest-neighbour) and a
25 % centre square. Scores: hole PSNR (dB, 8-bit RGB, over the hole pixels) and hole SSIM
(Wang et al. 2004, the SSIM map averaged over the hole's own pixels), see :mod:`inpaint_core.metrics`.
Beside each GLCIC model, two variants that are not registered methods: ``<name>_raw`` (the
network's output, no post-processing) and ``<name>_poisson`` (Poisson blending alone, without
the fast-marching blend of Iizuka et al.'s post-processing).

Faces: the 64x64 CelebA crops of ``benchmark/celeba64_yeh_testimages`` (numbered files; none of
them was used in training), centre 32x32 hole; PSNR over the whole 64x64 image (the hole
is the only difference, so it is the hole PSNR minus 10 log10(4) = 6.02 dB) and over the hole.

Timing: one 512x512 image (kodim01, centre crop), a 25 % centre square and medium strokes, the fastest
of three runs after a warm-up.
Writes ``scenes.csv``, ``faces.csv``, ``timing.csv``, ``meta.json`` (the command, date, torch
threads, load average) and prints summary tables; ``python -m inpaint_core.networks.card --all``
turns them into the model cards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inpaint_core import inpaint  # noqa: E402
from inpaint_core.networks import weights  # noqa: E402
from inpaint_core.masks import CentreSquare, generate_mask  # noqa: E402
from inpaint_core.methods.learned import GLCIC, GLCICFaces, glcic_complete, glcic_postprocess  # noqa: E402
from inpaint_core.metrics import SSIM_VARIANT, psnr, ssim  # noqa: E402

SCENE_SETS = ("kodak24", "bsd68_color", "urban100_512")
FAST_PARAMS = {"neural_patch_synthesis": {}, "semantic_dcgan": {}}


def _poisson_only(base: type) -> GLCIC:
    """``base`` with Poisson blending alone as post-processing (no fast-marching blend)."""

    class PoissonOnly(base):
        name = base.name + "_poisson"

        def fill(self, image, mask, params, ctx):
            cfg, nets = weights.load(self.model)
            return glcic_postprocess(image, mask, glcic_complete(image, mask, cfg, nets["completion"]), fmm_weight=0.0)

    return PoissonOnly()


VARIANTS = {  # not registered methods: the GLCIC models without (part of) their post-processing
    "glcic_raw": ("glcic", {"postprocess": False}), "glcic_faces_raw": ("glcic_faces", {"postprocess": False}),
    "glcic_poisson": (_poisson_only(GLCIC), None), "glcic_faces_poisson": (_poisson_only(GLCICFaces), None),
    "lama_fullres": ("lama", {"depth_ratio": 8.0}),  # the LaMa-style model at (nearly) full resolution throughout
    "semantic_dcgan_300": ("semantic_dcgan", {"iterations": 300, "step_size": 0.03}),  # the longer z search of version 2
}


def square(rgb: np.ndarray, side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = side / min(h, w)
    rgb = cv2.resize(rgb, (max(side, round(w * scale)), max(side, round(h * scale))), interpolation=cv2.INTER_AREA)
    h, w = rgb.shape[:2]
    top, left = (h - side) // 2, (w - side) // 2
    return np.ascontiguousarray(rgb[top : top + side, left : left + side])


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def nvidia_mask(root: Path, b: int, i: int, side: int) -> np.ndarray:
    m = cv2.imread(str(root / f"{2000 * b + (37 * i) % 1000:05d}.png"), cv2.IMREAD_GRAYSCALE)
    return cv2.resize(m, (side, side), interpolation=cv2.INTER_NEAREST) > 127


def run(method: str, image, hole, seed=0):
    impl, params = VARIANTS.get(method, (method, FAST_PARAMS.get(method)))
    start = time.perf_counter()
    out = inpaint(image, hole, impl, params, seed=seed)
    return out, time.perf_counter() - start


SHEET_METHODS = ("harmonic", "biharmonic", "glcic", "lama")


def write_sheet(path: Path, sheet: dict) -> None:
    """Rows of the centre-square cases: the input (hole in white), each of SHEET_METHODS, the truth."""
    columns = ["input", *SHEET_METHODS, "truth"]
    rows = []
    for tiles in sheet.values():
        rows.append(np.concatenate([tiles.get(c, np.zeros_like(tiles["truth"])) for c in columns], 1))
    grid = np.concatenate(rows, 0)
    label = np.full((28, grid.shape[1], 3), 255, np.uint8)
    width = grid.shape[1] // len(columns)
    for k, name in enumerate(columns):
        cv2.putText(label, name, (k * width + 6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(str(path), cv2.cvtColor(np.concatenate([label, grid], 0), cv2.COLOR_RGB2BGR))


def scenes(args, data: Path) -> pd.DataFrame:
    masks_root = data / "masks" / "nvidia_irregular_test" / "testing_mask_dataset"
    methods = args.scene_methods.split(",") + [m for m in args.extra.split(",") if m]
    rows, sheet = [], {}
    for dataset in SCENE_SETS:
        files = sorted(p for p in (data / "benchmark" / dataset).iterdir() if p.suffix.lower() in {".png", ".jpg"})
        for i, path in enumerate(files[: args.per_set]):
            image = square(read_rgb(path), 256)
            cases = [(f"nvidia {10 * b}-{10 * b + 10}%", nvidia_mask(masks_root, b, i, 256)) for b in map(int, args.bins.split(","))]
            cases.append(("centre 25%", CentreSquare(0.25)((256, 256), np.random.default_rng(0))))
            for label, hole in cases:
                for method in methods:
                    if method == "neural_patch_synthesis" and i >= args.nps_per_set:
                        continue
                    out, seconds = run(method, image, hole)
                    rows.append(dict(dataset=dataset, image=path.name, mask=label, hole_pct=100 * hole.mean(),
                                     method=method, psnr_hole=psnr(image, out, mask=hole),
                                     ssim_hole=ssim(image, out, mask=hole), seconds=seconds))
                    if args.save_images and i == 0:
                        cv2.imwrite(str(args.out / f"{dataset}_{label.split()[0]}_{method}.png"), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
                    if args.sheet and label.startswith("centre") and i < args.sheet_rows and method in SHEET_METHODS:
                        sheet.setdefault((dataset, i), {"input": np.where(hole[..., None], 255, image).astype(np.uint8),
                                                        "truth": image})[method] = out
            print(f"  {dataset} {path.name} done", file=sys.stderr)
    if args.sheet:
        write_sheet(Path(args.sheet), sheet)
    return pd.DataFrame(rows)


def faces(args, data: Path) -> pd.DataFrame:
    folder = data / "benchmark" / "celeba64_yeh_testimages"
    files = sorted(p for p in folder.glob("*.png") if p.stem.isdigit())[: args.faces_n]
    hole = np.zeros((64, 64), bool)
    hole[16:48, 16:48] = True
    rows = []
    for i, path in enumerate(files):
        image = read_rgb(path)
        for method in args.face_methods.split(","):
            out, seconds = run(method, image, hole, seed=i)
            rows.append(dict(image=path.name, method=method, psnr_image=psnr(image, out), psnr_hole=psnr(image, out, mask=hole),
                             ssim_hole=ssim(image, out, mask=hole), seconds=seconds))
            if args.save_images and i < 4:
                cv2.imwrite(str(args.out / f"face{i}_{method}.png"), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
    return pd.DataFrame(rows)


def timing(args, data: Path) -> pd.DataFrame:
    """The fastest of three runs after a warm-up (the least disturbed by other processes, as timeit
    advises) at 512 px on two holes: the 25 % centre square (deep: the LaMa-style model runs at a
    reduced scale) and medium strokes (shallow: every network runs at full resolution)."""
    image = square(read_rgb(data / "benchmark" / "kodak24" / "kodim01.png"), 512)
    holes = {"centre 25%": CentreSquare(0.25)((512, 512), np.random.default_rng(0)),
             "medium strokes": generate_mask("medium", (512, 512), seed=0)}
    rows = []
    for mask_name, hole in holes.items():
        for method in args.timing_methods.split(","):
            progress_calls = []
            impl, params = VARIANTS.get(method, (method, FAST_PARAMS.get(method)))
            inpaint(image, hole, impl, params)  # warm-up: weights loaded, caches filled
            runs = []
            for _ in range(3):
                progress_calls.clear()
                start = time.perf_counter()
                inpaint(image, hole, impl, params, progress=lambda f, m: progress_calls.append(f))
                runs.append(time.perf_counter() - start)
            rows.append(dict(method=method, size="512x512", mask=mask_name, seconds=min(runs),
                             seconds_median=float(np.median(runs)), progress_calls=len(progress_calls)))
            print(f"  timing {method} ({mask_name}): {rows[-1]['seconds']:.2f} s", file=sys.stderr)
    return pd.DataFrame(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--out", default=str(ROOT / "bench" / "out" / "learned"))
    p.add_argument("--per-set", type=int, default=8)
    p.add_argument("--nps-per-set", type=int, default=2, help="neural patch synthesis is slow: fewer images")
    p.add_argument("--bins", default="1,2,3", help="NVIDIA mask bins (1 = 10-20 %% ... 3 = 30-40 %%)")
    p.add_argument("--scene-methods", default="lama,lama_fullres,glcic,glcic_raw,glcic_poisson,context_encoder,"
                   "neural_patch_synthesis,telea,harmonic,biharmonic",
                   help="harmonic is the smooth fill the GLCIC scene model starts from")
    p.add_argument("--extra", default="", help="more methods for the scene table, e.g. the patch methods")
    p.add_argument("--face-methods", default="context_encoder_faces,semantic_dcgan,semantic_dcgan_300,glcic_faces,"
                   "glcic_faces_raw,glcic_faces_poisson,glcic,telea,biharmonic")
    p.add_argument("--faces-n", type=int, default=64)
    p.add_argument("--timing-methods", default="lama,lama_fullres,context_encoder,context_encoder_faces,glcic,glcic_faces,"
                   "semantic_dcgan,neural_patch_synthesis,telea,biharmonic")
    p.add_argument("--skip-scenes", action="store_true")
    p.add_argument("--skip-faces", action="store_true")
    p.add_argument("--skip-timing", action="store_true")
    p.add_argument("--save-images", action="store_true")
    p.add_argument("--sheet", default="", help="write a sheet of the centre-square cases (input, harmonic, "
                   "biharmonic, glcic, lama, truth) to this PNG")
    p.add_argument("--sheet-rows", type=int, default=3, help="images per data set in the sheet")
    args = p.parse_args()
    data = Path(args.data)
    args.out = Path(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    pd.set_option("display.width", 160)
    meta = {"command": "python bench/learned.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
            "date": time.strftime("%Y-%m-%d"), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "torch_threads": int(os.environ.get("INPAINT_TORCH_THREADS", "1")), "ssim_variant": SSIM_VARIANT,
            "load_average_start": [round(v, 2) for v in os.getloadavg()], "per_set": args.per_set,
            "nps_per_set": args.nps_per_set, "faces_n": args.faces_n, "started": time.time()}
    if not args.skip_scenes:
        df = scenes(args, data)
        df.to_csv(args.out / "scenes.csv", index=False)
        print("\nScenes, 256 px: mean hole PSNR (dB) / hole SSIM by mask")
        table = df.groupby(["mask", "method"])[["psnr_hole", "ssim_hole", "seconds"]].mean().round(3)
        table["n"] = df.groupby(["mask", "method"]).size()
        print(table.to_string())
        for m in df.method.unique():  # paired gain over biharmonic, on the cases both ran
            if m == "biharmonic":
                continue
            pair = df[df.method.isin([m, "biharmonic"])].pivot_table(index=["dataset", "image", "mask"], columns="method", values="psnr_hole").dropna()
            gain = (pair[m] - pair["biharmonic"]).groupby(level="mask").mean().round(2)
            print(f"{m} minus biharmonic, hole PSNR (dB):", gain.to_dict())
    if not args.skip_faces:
        df = faces(args, data)
        df.to_csv(args.out / "faces.csv", index=False)
        print(f"\nFaces, 64 px, centre 32 px hole, {df.image.nunique()} images: mean PSNR (dB)")
        print(df.groupby("method")[["psnr_image", "psnr_hole", "ssim_hole", "seconds"]].mean().round(3).to_string())
    if not args.skip_timing:
        df = timing(args, data)
        df.to_csv(args.out / "timing.csv", index=False)
        print("\nCPU time at 512 px")
        print(df.round(3).to_string(index=False))
    meta.update(load_average_end=[round(v, 2) for v in os.getloadavg()],
                minutes=round((time.time() - meta.pop("started")) / 60, 1))
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
