"""Model cards: what was trained, on what, where, for how long, and how well.

``write_model_card(folder, bench)`` builds ``MODEL_CARD.md`` from the config and logs saved beside
the weights and, when given, the output folder of ``python bench/learned.py``; every number in a
card comes from one of them (or from re-listing the recorded data folders, said so where used).
``python -m inpaint_core.networks.card --all [--bench bench/out/learned]`` rewrites every card,
``weights/README.md`` and the README's "Learned models" paragraph;
``python -m inpaint_core.networks.card weights/NAME ...`` rewrites single cards.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from .weights import REPO_ROOT, weights_root

DATA_TERMS = {
    "celeba_89x109": "CelebA (aligned and cropped, downscaled to 89x109; Liu et al. 2015): "
    "non-commercial research and educational use only.",
    "bsds500": "BSDS500 (Arbelaez et al., TPAMI 2011, https://doi.org/10.1109/TPAMI.2010.161): research use; cite the paper.",
    "imagenet_samples_1000": "ImageNet ILSVRC-2012, one image per class, downscaled (see the data's MANIFEST.md): "
    "ImageNet terms, non-commercial research/education only.",
}
SHORT_TERMS = {"celeba_89x109": "CelebA: non-commercial research", "bsds500": "research / non-commercial",
               "imagenet_samples_1000": "research / non-commercial"}

ARCHITECTURES = {
    "context_encoder": "Context Encoder (Pathak et al. 2016, https://doi.org/10.1109/CVPR.2016.278): input RGB + hole "
    "mask at {size} px; encoder of 4x4 stride-2 convolutions (width {width}, doubling) down to 4x4; channel-wise fully "
    "connected layer (one 16x16 dense layer per channel) + 1x1 convolution; decoder of up-convolutions to the centre "
    "{half}x{half} region; tanh. Adversary: DCGAN-style discriminator on the centre region. Loss: (1-l) L2 "
    "(known pixels of the centre region, the overlap, weighted x{overlap_weight}) + l BCE, l = {lambda_adv}. "
    "Masks: {centre_masks}.",
    "glcic": "GLCIC completion network (Iizuka et al. 2017, https://doi.org/10.1145/3072959.3073659), narrowed to width "
    "{width}: 17 layers (conv 5x5, two stride-2 convolutions, dilated 3x3 convolutions with rates 2, 4, 8, 16, two "
    "up-convolutions, sigmoid), input RGB with the hole set to the training mean pixel + the mask. Discriminators: global "
    "({size} px) and local ({half} px around the hole) DCGAN-style stacks joined by a fully connected layer. Schedule "
    "(Algorithm 1): completion network alone with {rec_loss} loss (hole weighted x{hole_weight}) for T_C = {tc} steps, "
    "discriminators alone for T_D = {td} steps, then jointly with alpha = {alpha}. Training masks: centre squares, "
    "blocks, shapes, thin/medium/thick strokes from inpaint_core.masks, 5-60 % of the crop.",
    "lama": "LaMa-style generator (Suvorov et al. 2022, https://doi.org/10.1109/WACV51458.2022.00323), after the "
    "survey: input RGB with the hole set to the training mean pixel + the mask; a 7x7 stem (width {width}), {downs} "
    "stride-2 convolutions, {blocks} residual blocks of two fast Fourier convolutions each (75 % of the channels in the "
    "global branch: real FFT, 1x1 convolution + ReLU over the stacked real and imaginary parts, inverse FFT; the rest "
    "local 3x3 convolutions), nearest upsampling + 3x3 convolutions with additive skips from the encoder, sigmoid; ELU, "
    "no normalisation. The CPU recipe (issue 15): L1 with hole pixels weighted x{hole_weight}; AdamW (lr {lr}, weight "
    "decay {weight_decay}, linear warm-up over {warmup_pct} % of the steps, cosine decay to 5 %), gradient clipping at "
    "{clip}, an exponential moving average of the weights ({ema}) that is evaluated and shipped, {lama_adversarial}; bfloat16 "
    "autocast (the FFT in float32) and channels-last memory; a bank of {mask_bank} training holes drawn once (strokes, "
    "rectangles, centre-like squares, blobs; 5-50 % of the crop, a fifth of them unions of two kinds), each used under "
    "the 8 flips and quarter turns.",
    "demosaic": "De-mosaicing regression ResNet (the baseline of Dahl, Norouzi, Shlens 2017, "
    "https://arxiv.org/abs/1702.00783): input the bicubic upsampling of the block means (aligned to the grid) and a "
    "constant channel block/16; a 3x3 stem (width {width}), {downs} stride-2 convolutions, {blocks} residual blocks "
    "(conv-ReLU-conv), nearest upsampling + 3x3 convolutions with additive skips, and a last 3x3 convolution (started at "
    "zero) whose output is added to the bicubic input; ReLU, no normalisation. Training: the mosaic operator of "
    "`inpaint_core.restoration.demosaic` over the whole crop at blocks {train_blocks} (weights {block_weights}), random "
    "grid offsets, the input quantised to 8 bits; {loss}. The CPU recipe: AdamW (lr {lr}, weight decay {weight_decay}, "
    "warm-up over {warmup_pct} % of the steps, cosine decay to 5 %), clipping at {clip}, an exponential moving average "
    "({ema}) that is evaluated and shipped, bfloat16 autocast, channels-last.",
    "deblurgan": "DeblurGAN (Kupyn et al. 2018, https://doi.org/10.1109/CVPR.2018.00854): generator with a 7x7 "
    "convolution (width {width}), two stride-2 convolution blocks, {blocks} residual blocks with instance normalisation "
    "and ReLU, two transposed convolution blocks, a 7x7 convolution (started at zero) and tanh, added to the blurred "
    "input (the global skip). Critic: a conditional PatchGAN (blurred input and candidate, no normalisation) trained "
    "with WGAN-GP (Gulrajani et al. 2017; gradient penalty weight {gp_weight}) from {adv_pct} % of the steps, its term "
    "weighted {adv_weight} against the content loss (DeblurGAN's 1 : 100). Content loss: L1 on pixels plus "
    "{feature_weight} x the mean L1 over the activations of a frozen feature network, the stem and two encoder stages "
    "of this project's LaMa-style scene model (`weights/{feature_net}`; no pretrained VGG can be had here). Blur: "
    "{kernel_bank} camera-shake kernels (Boracchi and Foi 2012, `inpaint_core.restoration.deblur.shake_kernel`) of "
    "{kernel_min}-{kernel_max} px and exposures 0.5-1, from seeds 1,000,000 on (no example or benchmark kernel), applied "
    "to a larger crop and cut back (no border effects), the input quantised to 8 bits. The CPU recipe as for the other "
    "models (AdamW lr {lr}, warm-up, cosine decay, clipping, EMA {ema}, bfloat16 autocast).",
    "did_mdn": "DID-MDN (Zhang and Patel 2018, https://doi.org/10.1109/CVPR.2018.00079): a density classifier (light / "
    "medium / heavy; the image and its detail layer, four stride-2 convolutions, a global average, a linear layer) and "
    "a multi-stream densely connected de-raining network: a 3x3 stem (width {width}), three streams at half resolution, "
    "each a dense block of {layers} convolutions (growth {growth}) with kernels 3, 5 and 7, their features and the "
    "density label (a one-hot map) fused by three convolutions into the rain layer (the last one started at zero), "
    "which is subtracted from the input. Conditioned on the true density while training, on the classifier's at "
    "evaluation and inference. Loss: L2 (per-pixel Euclidean, as the paper) + {cls_weight} x the classifier's cross-entropy. Rain: {rain_bank} layers "
    "(`inpaint_core.restoration.derain.rain_layer`, the three densities in turn, angles within 30 degrees of vertical, "
    "widths 1-2 px) the size of {side_min}-{side_max} px photos, from seeds 2,000,000 on, a random window of one over "
    "each crop (screen blend), quantised to 8 bits. The CPU recipe as for the other models (AdamW lr {lr}, warm-up, "
    "cosine decay, clipping, EMA {ema}, bfloat16 autocast).",
    "dcgan": "DCGAN (Radford et al. 2016, https://arxiv.org/abs/1511.06434) at {size} px: generator z ({z_dim}, "
    "uniform in [-1, 1]) -> 4x4 -> ... -> {size}x{size} up-convolutions with batch norm, tanh; discriminator of 4x4 "
    "stride-2 convolutions with leaky ReLU; BCE, Adam(lr, beta1 0.5). Used by semantic inpainting (Yeh et al. 2017).",
}

PAPER_LAMBDA_ADV = 0.001  # Pathak et al. 2016's adversarial weight
ISSUE_TARGET_DB = 1.0  # issue 4: the scene GLCIC at least this far above biharmonic on 10-40 % NVIDIA holes
RECIPE_TARGETS = {"biharmonic": 1.5, "harmonic": 0.5}  # issue 15: the best scene model, every NVIDIA bin and the centre
BASELINES = ("biharmonic", "harmonic", "telea")


# --- what the config and the data folders say --------------------------------------------------------


def _data_key(folder: str) -> str | None:
    return next((k for k in DATA_TERMS if k in folder), None)


def excluded_files(cfg: dict) -> tuple[int | None, str]:
    """(training files left out by name, how it is known). Runs record it in ``data_info``; for older
    runs, which recorded only the number of names, the recorded data folders are listed again."""
    info = cfg.get("data_info", {})
    if "excluded_files" in info:
        return info["excluded_files"], ""
    from .train import exclusion_names, list_images

    folders = [cfg["data"], [cfg.get("exclude_names_from") or ""]]
    if not all(Path(f).is_dir() for group in folders for f in group):
        return None, "not recorded by this run, and the data folders are not here to recount"
    kept, excluded = list_images(cfg["data"], exclusion_names(cfg.get("exclude_names_from")))
    note = ("recounted when this card was written, by listing the recorded data folders again "
            "(`inpaint_core.networks.train.list_images`): this run recorded only the number of names")
    recorded = info.get("n_train", 0) + info.get("n_val", 0)
    if not cfg.get("max_images") and len(kept) != recorded:
        note += f"; the folders now list {len(kept):,} files to train on, not the {recorded:,} of the run"
    return len(excluded), note


def _scale_line(cfg: dict) -> str:
    size = cfg["size"]
    if cfg.get("scales"):
        return (f"Scenes: random {size} px crops, random flips, of every photo preloaded at short sides "
                f"{', '.join(map(str, cfg['scales']))} px (area downscaling; `load_multiscale_bank`)")
    if cfg.get("faces"):
        return f"Faces: a tight square face crop of each aligned image (`face_crop`), resized to {size} px; random flips"
    short = max(size, min(2 * size, cfg["max_side"]))  # as train.load_bank
    return (f"Scenes: random {size} px crops, random flips, of images whose short side was scaled to {short} px "
            f"(`max_side` {cfg['max_side']}) where it was longer, or shorter than {size} px; kept as is in between")


def _run_extent(cfg: dict, folder: Path) -> tuple[int, float]:
    """(steps trained, seconds of training loop) of the whole run: the config's record, or the loss log's
    last row where the shipped weights are an earlier step's (chosen by the held-back split)."""
    steps, seconds = cfg.get("steps_trained", cfg.get("steps_done", 0)), cfg.get("train_seconds_total", cfg.get("train_seconds", 0))
    log = folder / "loss.csv"
    if cfg.get("selected_by") and "steps_trained" not in cfg and log.exists():
        import csv

        with open(log) as fh:
            last = None
            for last in csv.DictReader(fh):
                pass
        if last is not None:
            steps, seconds = int(last["step"]) + 1, float(last["seconds"])
    return steps, seconds


def _count_line(cfg: dict) -> str:
    info = cfg.get("data_info", {})
    if cfg.get("scales"):  # the multi-scale bank: data_info counts the copies, photos since it records them
        if "n_train_photos" in info:
            photos = f"{info['n_train_photos']:,} photos (+{info['n_val_photos']:,} held back)"
        elif all(Path(f).is_dir() for f in cfg["data"]):  # older runs: recount as train.prepare_data splits
            from .train import exclusion_names, list_images

            n = len(list_images(cfg["data"], exclusion_names(cfg.get("exclude_names_from")))[0])
            n_val = max(1, int(round(cfg["val_fraction"] * n)))
            photos = (f"{n - n_val:,} photos (+{n_val:,} held back; recounted when this card was written by listing "
                      "the recorded data folders, as this run recorded only the copies)")
        else:
            photos = "photos (their number not recorded by this run)"
        return (f"Training copies: {info.get('n_train', '?'):,} (+{info.get('n_val', '?'):,} held back) of {photos}, "
                f"each photo at up to {len(cfg['scales'])} scales; the split is by photo (a fixed permutation)")
    return (f"Training images: {info.get('n_train', '?')}; held back for evaluation: {info.get('n_val', '?')} "
            "(split by a fixed permutation)")


def _methods_of(folder_name: str) -> list[str]:
    """The registered methods (inpainting and restoration) that read the model in ``folder_name``."""
    from .. import all_methods
    from ..restoration import all_restorations

    return [m.name for m in [*all_methods(), *all_restorations()] if getattr(m, "model", None) == folder_name]


# --- what the benchmark says --------------------------------------------------------------------------


def load_bench(bench: str | Path | None) -> dict:
    """The CSVs and ``meta.json`` written by ``python bench/learned.py`` (empty where missing)."""
    import pandas as pd

    out: dict = {}
    if bench is None:
        return out
    bench = Path(bench)
    for name in ("scenes", "faces", "timing"):
        if (bench / f"{name}.csv").exists():
            out[name] = pd.read_csv(bench / f"{name}.csv")
    if (bench / "meta.json").exists():
        out["meta"] = json.loads((bench / "meta.json").read_text())
    return out


def _bench_line(meta: dict) -> str:
    if not meta:
        return "Benchmark: `python bench/learned.py`."
    return (f"Benchmark: `{meta['command']}` ({meta['date']}, {meta['machine']}, {meta['cpu_count']} CPUs, "
            f"{meta['torch_threads']} torch thread(s), 1-min load average {meta['load_average_start'][0]} at the start "
            f"and {meta['load_average_end'][0]} at the end; {meta['minutes']} min in all).")


def _ordered(methods, first=BASELINES) -> list[str]:
    return [m for m in first if m in methods] + [m for m in methods if m not in first]


def _mask_order(masks) -> list[str]:
    return sorted(masks, key=lambda m: (not m.startswith("nvidia"), m))


def paired_gain(scenes, method: str, baseline: str) -> dict[str, float]:
    """Mean hole PSNR of ``method`` minus ``baseline`` per mask, on the cases both ran."""
    pair = scenes[scenes.method.isin([method, baseline])].pivot_table(
        index=["dataset", "image", "mask"], columns="method", values="psnr_hole").dropna()
    return (pair[method] - pair[baseline]).groupby(level="mask").mean().to_dict()


def _face_gain(faces, method: str, baseline: str) -> dict[str, float]:
    """Mean hole PSNR of ``method`` minus ``baseline`` on the faces both ran (one mask: the centre 32x32)."""
    pair = faces[faces.method.isin([method, baseline])].pivot_table(index="image", columns="method", values="psnr_hole").dropna()
    return {"centre 32x32": float((pair[method] - pair[baseline]).mean())}


def _gains(gain: dict[str, float]) -> str:
    return ", ".join(f"{v:+.2f} dB ({k})" for k, v in sorted(gain.items(), key=lambda kv: _mask_order(gain).index(kv[0])))


def scene_section(bench: dict, method: str) -> str:
    df = bench["scenes"]
    methods = _ordered(list(dict.fromkeys(df.method)))
    table = df.groupby(["mask", "method"]).agg(psnr=("psnr_hole", "mean"), ssim=("ssim_hole", "mean"), n=("psnr_hole", "size"))
    lines = ["| mask | " + " | ".join(f"{m} (n)" for m in methods) + " |", "|---" * (len(methods) + 1) + "|"]
    for mask in _mask_order(df["mask"].unique()):
        cells = [f"{table.loc[(mask, m), 'psnr']:.2f} / {table.loc[(mask, m), 'ssim']:.3f} ({table.loc[(mask, m), 'n']})"
                 if (mask, m) in table.index else "-" for m in methods]
        lines.append(f"| {mask} | " + " | ".join(cells) + " |")
    meta = bench.get("meta", {})
    per_set, nps = meta.get("per_set", "?"), meta.get("nps_per_set", "?")
    text = "\n".join(lines) + (
        f"\n\nHole PSNR (dB) / hole SSIM (the SSIM map averaged over the hole's own pixels, variant "
        f"`{meta.get('ssim_variant', '?')}`); n = cases. The first {per_set} images each of kodak24, bsd68_color and "
        f"urban100_512 (none used in training), short side resized to 256 and centre-cropped; NVIDIA irregular test "
        f"masks (bin = index // 2000; mask number 2000 b + 37 i mod 1000, resized to 256 px) and a 25 % centre square; "
        f"neural patch synthesis on the first {nps} images of each set only. `glcic_raw`: the network's output without "
        f"post-processing; `glcic_poisson`: Poisson blending alone (no fast-marching blend); `lama_fullres`: the "
        f"LaMa-style model with `depth_ratio` 8 (at full resolution on these holes).\n\n")
    text += (f"Paired gain of {method} over biharmonic: {_gains(paired_gain(df, method, 'biharmonic'))}; "
             f"over harmonic: {_gains(paired_gain(df, method, 'harmonic'))}.\n")
    return text


def face_section(bench: dict) -> str:
    df = bench["faces"]
    table = df.groupby("method")[["psnr_image", "psnr_hole", "ssim_hole", "seconds"]].mean().sort_values("psnr_hole")
    lines = ["| method | PSNR whole 64x64 image | hole PSNR | hole SSIM | s / image |", "|---|---|---|---|---|"]
    lines += [f"| {m} | {r.psnr_image:.2f} | {r.psnr_hole:.2f} | {r.ssim_hole:.3f} | {r.seconds:.2f} |" for m, r in table.iterrows()]
    return "\n".join(lines) + (
        f"\n\nHow computed: the first {df.image.nunique()} numbered 64x64 crops of `benchmark/celeba64_yeh_testimages` "
        "(excluded from training by name), centre 32x32 hole, 8-bit RGB; PSNR = 10 log10(255^2 / MSE) per image, MSE over "
        "every pixel and channel of the whole image (first column) or of the hole only (second), averaged over images; "
        "hole SSIM averages the SSIM map over the hole's own pixels. `glcic_faces_raw`: the network's output without "
        "post-processing; `glcic_faces_poisson`: Poisson blending alone.\n")


def timing_line(bench: dict) -> str:
    if "timing" not in bench:
        return ""
    t = bench["timing"]
    threads = bench.get("meta", {}).get("torch_threads", "?")
    masks = list(dict.fromkeys(t["mask"])) if "mask" in t else ["centre 25%"]
    by_mask = "; ".join(f"{m}: " + ", ".join(f"{r.method} {r.seconds:.2f} s" for r in t.itertuples()
                                             if getattr(r, "mask", m) == m) for m in masks)
    runs = "the fastest of three runs" if "seconds_median" in t else "one run"
    return (f"CPU time at 512x512 (kodim01, {runs} after a warm-up, "
            f"{threads} torch thread(s), same machine and load as above), by hole: {by_mask}.\n")


def target_line(bench: dict, method: str) -> str:
    """Issue 4's target for the scene GLCIC, met or missed per NVIDIA bin."""
    gain = {k: v for k, v in paired_gain(bench["scenes"], method, "biharmonic").items() if k.startswith("nvidia")}
    met = [f"{k} ({v:+.2f} dB)" for k, v in gain.items() if v >= ISSUE_TARGET_DB]
    missed = [f"{k} ({v:+.2f} dB)" for k, v in gain.items() if v < ISSUE_TARGET_DB]
    vs_harmonic = paired_gain(bench["scenes"], method, "harmonic")
    return (f"- **The issue's target** (at least +{ISSUE_TARGET_DB:g} dB hole PSNR over biharmonic on the NVIDIA holes): "
            f"met on {', '.join(met) or 'none'}; **missed on {', '.join(missed) or 'none'}**. Against harmonic diffusion "
            f"the model scores {min(vs_harmonic.values()):+.2f} to {max(vs_harmonic.values()):+.2f} dB: a harmonic fill is "
            "a strong baseline for this small network.")


def recipe_target_line(bench: dict, method: str) -> str:
    """Issue 15's targets for the best scene model, met or missed per NVIDIA bin and the centre square."""
    parts = []
    for baseline, target in RECIPE_TARGETS.items():
        gain = paired_gain(bench["scenes"], method, baseline)
        missed = [f"{k} ({v:+.2f} dB)" for k, v in gain.items() if v < target]
        met = [f"{k} ({v:+.2f} dB)" for k, v in gain.items() if v >= target]
        parts.append(f"at least +{target:g} dB over {baseline}: met on {', '.join(met) or 'none'}"
                     + (f"; **missed on {', '.join(missed)}**" if missed else ""))
    return "- **The issue's targets** (hole PSNR, every NVIDIA bin from 10 to 40 % and the centre square): " + \
        "; ".join(parts) + "."


# --- the card ---------------------------------------------------------------------------------------------


def _notes(cfg: dict, folder: Path, bench: dict, methods: list[str]) -> list[str]:
    from ..methods.learned import GLCIC_FMM_WEIGHT

    model, notes = cfg["model"], []
    if cfg.get("recipe") and model in ("context_encoder", "glcic", "dcgan"):
        notes.append(f"- Optimiser: the CPU recipe (issue 15) around the paper's network and losses (`--set recipe=true`): "
                     f"AdamW (weight decay {cfg['weight_decay']}), linear warm-up over {100 * cfg['warmup']:g} % of the "
                     f"steps then cosine decay to 5 %, gradient clipping at {cfg['clip']}, and an exponential moving "
                     f"average of the generator's weights ({cfg['ema']}; batch-norm statistics copied from the trained "
                     "network) that is evaluated and shipped.")
    if model == "context_encoder":
        if cfg.get("lambda_adv") != PAPER_LAMBDA_ADV:
            notes.append(f"- Adversarial weight {cfg['lambda_adv']} (`--set lambda_adv={cfg['lambda_adv']}`) instead of "
                         f"the paper's {PAPER_LAMBDA_ADV}.")
        notes.append(f"- Fixed-size model: at inference a square window around the hole is resized to {cfg['size']} px, "
                     f"the smallest window whose hole, grown by the reach of the resize (so that no hole value enters a pixel "
                     f"read as known), fits the centre region less the {cfg['overlap']} px overlap ring; the centre "
                     f"{cfg['size'] // 2} px prediction is resized back and Poisson-blended (inpaint_core.poisson).")
    if model == "glcic":
        suffix = "_faces" if cfg.get("faces") else ""
        notes.append(f"- Post-processing (Iizuka et al. 2017): the network's output is mixed with a fast-marching fill "
                     f"(Telea 2004; weight {GLCIC_FMM_WEIGHT:g}), which carries the colours around the hole, and the mix "
                     f"is Poisson-blended into the image. The scores above show it against the raw output "
                     f"(`glcic{suffix}_raw`) and Poisson blending alone (`glcic{suffix}_poisson`).")
        name = methods[0] if methods else ""
        key = "faces" if cfg.get("faces") else "scenes"
        if key in bench and {name, f"{name}_poisson", f"{name}_raw"} <= set(bench[key].method):
            gain = paired_gain if key == "scenes" else _face_gain
            notes.append(f"- Against Poisson blending alone, the fast-marching blend changes the hole PSNR by "
                         f"{_gains(gain(bench[key], name, f'{name}_poisson'))}; against the raw output, by "
                         f"{_gains(gain(bench[key], name, f'{name}_raw'))}.")
        if "neural_patch_synthesis" in methods:
            notes.append("- This model is also the content network of `neural_patch_synthesis` (texture network: a fixed "
                         "random-weight 3-layer CNN, `RandomTextureFeatures`).")
        if "scenes" in bench and not cfg.get("faces"):
            notes.insert(0, target_line(bench, methods[0]))
    if model == "lama":
        notes.append(f"- After the survey (2022): shown beside the survey's methods as what came next. Inference "
                     f"(`inpaint_core.methods.learned.lama_scale`): the network runs on the whole image, at full "
                     f"resolution unless the hole is deeper (largest distance to a known pixel) than `depth_ratio` times "
                     f"the training holes' 90th-percentile depth ({cfg.get('hole_depth_p90')} px); then at the scale "
                     f"where it is not, the output upsampled (bicubic); then Poisson-blended into the hole (`blend`). "
                     f"`depth_ratio` and `blend` were chosen on the held-back photos "
                     f"(`python -m inpaint_core.networks.heldback`), not on a benchmark.")
        notes.append(f"- Selection: {cfg.get('selected_by', 'the last evaluation')}; the held-back curve is `eval.csv` "
                     f"(hole PSNR on 64 fixed held-back crops with fixed holes of the training mix, every "
                     f"{cfg.get('eval_every')} steps).")
        if "scenes" in bench and methods and methods[0] in set(bench["scenes"].method):
            notes.insert(0, recipe_target_line(bench, methods[0]))
    from .. import all_methods

    for method in all_methods():
        flips = {q.name: q.default for q in method.params}.get("flips", 1)
        if method.name in methods and flips > 1:
            notes.append(f"- `{method.name}` averages the network's output over the image and "
                         f"{'its left-right mirror image' if flips == 2 else 'its three mirror images'} by default (`flips` = {flips}: a test-time ensemble, Timofte, "
                         f"Rothe, Van Gool 2016), chosen on the held-back split "
                         f"(`python -m inpaint_core.networks.heldback weights/{folder.name} --method {method.name} "
                         f"--param flips=1,2,4`), not on a benchmark.")
    if model in RESTORATION_MODELS:
        fe = cfg.get("final_eval", {})
        extra = "; per block: " + ", ".join(f"{k.split('block')[1]} px {fe[k]:.2f} vs {fe['baseline_' + k]:.2f} dB"
                                             for k in fe if k.startswith("psnr_block")) if model == "demosaic" else ""
        accuracy = (f"; density classifier accuracy {100 * fe['density_accuracy']:.0f} %" if "density_accuracy" in fe else "")
        notes.append(f"- Held-back curve (`eval.csv`, every {cfg.get('eval_every')} steps, fixed held-back crops and "
                     f"degradations drawn apart from the training ones): the shipped weights score "
                     f"{fe.get('psnr', float('nan')):.2f} dB against the baseline's {fe.get('baseline_psnr', float('nan')):.2f} dB "
                     f"(gain {fe.get('gain', float('nan')):+.2f} dB){extra}{accuracy}.")
        notes.append(f"- Selection: {cfg.get('selected_by') or 'the last step (an adversarial run: the held-back PSNR would pick its least adversarial weights)'}.")
    from .weights import TRAIN_COMMANDS

    if folder.name in TRAIN_COMMANDS:
        notes.append(f"- Trained by (as run here, time limits included): `{TRAIN_COMMANDS[folder.name]}`.")
    if model == "dcgan":
        from .. import get_method

        p = {q.name: q.default for q in get_method("semantic_dcgan").params}
        notes.append(f"- Used by `semantic_dcgan` (Yeh et al. 2017): Adam on z in [-1, 1], {p['iterations']} steps, "
                     f"{p['restarts']} restarts in parallel (fewer for holes under 32x32 px), context loss "
                     f"||W (G(z) - y)||_1 with W from a {p['window']}x{p['window']} window, prior loss "
                     f"{p['prior_weight']} log(1 - D(G(z))), then Poisson blending. The known pixels y are resized so that "
                     "no hole value reaches them.")
    return notes


def write_model_card(folder: str | Path, bench: dict | str | Path | None = None) -> Path:
    """Write ``folder/MODEL_CARD.md``; ``bench`` is :func:`load_bench`'s dict or a bench output folder."""
    folder = Path(folder)
    bench = bench if isinstance(bench, dict) else load_bench(bench)
    cfg = json.loads((folder / "config.json").read_text())
    model = cfg["model"]
    full_centre, ring = cfg.get("full_centre", 0.5), f"the centre region minus a {cfg.get('overlap')} px overlap ring"
    sizes = dict(cfg, half=cfg["size"] // 2, tc=int(cfg.get("tc_fraction", 0) * cfg["steps"]),
                 centre_masks=f"always {ring} (Pathak's centre-region training)" if full_centre >= 1 else
                 f"{ring} {'half the time' if full_centre == 0.5 else f'with probability {full_centre:g}'}, "
                 "else a preset mask clipped to it",
                 td=int(cfg.get("td_fraction", 0) * cfg["steps"]), warmup_pct=round(100 * cfg.get("warmup", 0), 1),
                 adv_pct=(adv_pct := round(100 * cfg.get("adv_from", 0))),
                 lama_adversarial=(f"a hinge adversarial term (weight {cfg.get('adv_weight')}) against a spectral-norm "
                                   f"PatchGAN critic from {adv_pct} % of the steps on" if cfg.get("adv_from", 0) < 1 else
                                   "no adversarial term in the run's last stage (where one was used before, the "
                                   "training command below says when)"),
                 kernel_min=cfg.get("kernel_sizes", [0, 0])[0], kernel_max=cfg.get("kernel_sizes", [0, 0])[-1],
                 side_min=cfg.get("photo_sides", [0, 0])[0], side_max=cfg.get("photo_sides", [0, 0])[-1],
                 loss=("L2 + a hinge adversarial term (weight {0}) against a spectral-norm PatchGAN that sees the bicubic "
                       "input beside the candidate, fine-tuned from `{1}`".format(cfg.get("adv_weight"), cfg.get("init_from"))
                       if cfg.get("adv_weight") else "L2 loss"))
    data_lines = [f"- `{d}`" + (f": {DATA_TERMS[k]}" if (k := _data_key(d)) else "") for d in cfg["data"]]
    info = cfg.get("data_info", {})
    n_excluded, how = excluded_files(cfg)
    names_from = cfg.get("exclude_names_from")
    exclusion = (f"- Excluded by name (benchmark images): {n_excluded if n_excluded is not None else 'unknown'} training "
                 f"files whose name is among the {info.get('excluded_names', 0)} in `{names_from}`"
                 + (f" ({how})" if how else "") + "." if names_from else "- Excluded by name: nothing (no folder given).")
    params = cfg.get("parameters", {})
    trained, loop_seconds = _run_extent(cfg, folder)
    planned = cfg.get("steps_planned", cfg["steps"])  # the last stage's plan, where the shipped step is earlier
    stopped = trained < planned
    from .weights import TRAIN_COMMANDS

    staged = "--resume" in TRAIN_COMMANDS.get(folder.name, "")
    selected = (f"; shipped: the weights of step {cfg['steps_done']} ({cfg['selected_by']})"
                if cfg.get("selected_by") else "")
    limit = cfg.get("time_limit_minutes")
    manifest = json.loads((folder / "manifest.json").read_text())
    methods = _methods_of(folder.name)
    text = f"""# Model card: {folder.name}

Trained by this project's own code (`python -m inpaint_core.train`). **A small CPU model**: far weaker than the
paper's; the same command with `--device cuda` and more steps retrains a stronger one. Used by:
{', '.join(f'`{m}`' for m in methods) or 'no registered method'}. Generated by `python -m inpaint_core.networks.card`
from `config.json`, the logs beside it and the benchmark's output.

## Data
{chr(10).join(data_lines)}
- {_scale_line(cfg)}
- {_count_line(cfg)}
{exclusion}
- The weights inherit the data's terms: **research and education only, non-commercial.**

## Architecture
{ARCHITECTURES[model].format(**sizes)}

Parameters: {', '.join(f'{k} {v:,}' for k, v in params.items())}.
Shipped: {', '.join(manifest['files'])} (weights in half precision, {(folder / 'model.pt').stat().st_size / 1e6:.2f} MB; SHA-256 of each in `manifest.json`).

## Training
- Steps: {trained} of {planned} planned{f" (stopped by {cfg.get('stopped_by') or 'the time limit'})" if stopped else ''}, batch {cfg['batch']} ({trained * cfg['batch']:,} crops), crop {cfg['size']} px, lr {cfg['lr']}, seed {cfg['seed']}{selected}
- Device: {cfg.get('device', 'cpu')}, {cfg.get('threads', 1)} torch thread(s) (as recorded), torch {cfg.get('torch_version', '?')}{f'; time limit {limit:g} min' if limit else ''}
- Wall time of the training loop (image loading excluded): {loop_seconds / 60:.1f} min
- Loss log: `loss.csv` / `loss.png`; held-back evaluation: `eval.csv`; full config: `config.json`
- Held-back evaluation of the shipped weights: {json.dumps({k: round(v, 3) for k, v in cfg.get('final_eval', {}).items()})}

{"Retrain in one run with the shipped config (the shipped weights come from the staged run of the 'Trained by' "
 "line, resumed with new --steps or --set between stages)" if staged else "Retrain (same config)"}: `{retrain_command(cfg, folder)}`
"""
    if model == "dcgan":
        write_samples(folder)
        text += "\nSamples: `samples.png` (16 draws of z, seed 0, written with this card).\n"
    scores = []
    key = "faces" if cfg.get("faces") else "scenes"
    if key in bench and methods and methods[0] in set(bench[key].method):
        scores.append(_bench_line(bench.get("meta", {})))
        scores.append(face_section(bench) if key == "faces" else scene_section(bench, methods[0]))
        scores.append(timing_line(bench))
    if model in RESTORATION_MODELS and methods:
        scores.append(restoration_section(model, methods[0]))
    if scores:
        text += "\n## Scores\n" + "\n".join(s.strip() + "\n" for s in scores if s)
    notes = _notes(cfg, folder, bench, methods)
    if notes:
        text += "\n## Notes\n" + "\n".join(notes) + "\n"
    (folder / "MODEL_CARD.md").write_text(text)
    return folder / "MODEL_CARD.md"


def write_samples(folder: Path, n: int = 16, seed: int = 0) -> Path:
    """A grid of ``n`` DCGAN samples (z uniform in [-1, 1]) from the shipped generator."""
    import cv2
    import numpy as np
    import torch

    from .nets import build

    cfg = json.loads((folder / "config.json").read_text())
    spec = cfg["networks"]["generator"]
    generator = build(spec["kind"], **spec["sizes"])
    generator.load_state_dict({k: v.float() for k, v in torch.load(folder / "model.pt", weights_only=True)["generator"].items()})
    z = torch.rand(n, cfg["z_dim"], generator=torch.Generator().manual_seed(seed)) * 2 - 1
    with torch.no_grad():
        images = ((generator.eval()(z).clamp(-1, 1) + 1) * 127.5).round().byte().numpy().transpose(0, 2, 3, 1)
    grid = np.concatenate([np.concatenate(list(images[r : r + 8]), 1) for r in range(0, n, 8)], 0)
    path = folder / "samples.png"
    cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    return path


RESTORATION_MODELS = {"demosaic": "faces", "deblurgan": "deblur", "did_mdn": "derain"}  # -> bench/restoration.py table
RESTORATION_TARGET_DB = 1.0  # issue 14: the face model over bicubic (blocks 4, 8), deblur / derain over the input
RESTORATION_BENCH = REPO_ROOT / "bench" / "out"


def restoration_section(model: str, method: str, bench: Path = RESTORATION_BENCH) -> str:
    """Scores of a restoration model from ``python bench/restoration.py`` (its CSVs in ``bench/out``)."""
    import pandas as pd

    table = bench / f"restoration_{RESTORATION_MODELS[model]}.csv"
    section = RESTORATION_MODELS[model]

    def covers(path: Path) -> bool:  # a run of bench/restoration.py that measured this section
        return section in json.loads(path.read_text()).get("sections", [section])

    metas = sorted(bench.glob("restoration_meta*.json"), key=lambda p: p.stat().st_mtime)
    meta_path = next((p for p in reversed(metas) if covers(p)), bench / "restoration_meta.json")
    if not table.exists():
        return "Benchmark: `python bench/restoration.py` (not run yet)."
    df = pd.read_csv(table)
    if method not in set(df.method):
        return "Benchmark: `python bench/restoration.py` (this model was not in its last run)."
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    head = (f"Benchmark: `{meta.get('command', 'python bench/restoration.py')}` ({meta.get('date', '?')}, "
            f"{meta.get('machine', '?')}, {meta.get('cpu_count', '?')} CPUs, {meta.get('torch_threads', '?')} torch "
            f"thread(s); {meta.get('minutes', '?')} min in all).")
    if model == "demosaic":
        by, reference, what = ["side", "block"], "mosaic_bicubic", "bicubic upsampling of the block means"
        data = (f"The {df.image.nunique()} CelebA test faces of `celeba64_yeh_testimages` (never trained on), mosaicked "
                "whole (grid at the origin); 64 px at blocks 4 and 8, and downscaled to 32 px at block 4")
    else:
        by = ["dataset", "kernel" if model == "deblurgan" else "density"]
        reference = "(blurred input)" if model == "deblurgan" else "derain_none"
        what = "the degraded input"
        data = (f"The first {df.image.nunique()} images each of kodak24 (centre 512 px crops) and bsd68_color, " + (
            "blurred by camera-shake kernels of 9, 17 and 31 px from seeds 1000 on (not the training bank's)"
            if model == "deblurgan" else "under synthetic rain of each density from seeds 1000 on (not the training bank's)"))
    methods = [m for m in dict.fromkeys(df.method) if m in (reference, method) or not m.startswith(("mosaic_face", "mosaic_scene"))]
    means = df[df.method.isin(methods)].groupby([*by, "method"])[["psnr", "ssim"]].mean().unstack("method")
    cols = [m for m in methods if ("psnr", m) in means.columns]
    lines = ["| " + " | ".join(by) + " | " + " | ".join(cols) + " |", "|" + "---|" * (len(by) + len(cols))]
    for key, row in means.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        lines.append("| " + " | ".join(map(str, key)) + " | "
                     + " | ".join(f"{row[('psnr', m)]:.2f} / {row[('ssim', m)]:.3f}" for m in cols) + " |")
    ref = df[df.method == reference].set_index([*by, "image"])["psnr"]
    gain = (df[df.method == method].set_index([*by, "image"])["psnr"] - ref).groupby(by).mean()
    def label(k) -> str:
        return f"{k[0]} px block {k[1]}" if model == "demosaic" else " ".join(map(str, k if isinstance(k, tuple) else (k,)))

    overall = float((df[df.method == method].set_index([*by, "image"])["psnr"] - ref).mean())
    gains = ", ".join(f"{label(k)}: {g:+.2f} dB" for k, g in gain.items()) + f"; all {overall:+.2f} dB"
    target = (f"**{'met' if min(gain) >= RESTORATION_TARGET_DB else 'missed'}**" if model == "demosaic"
              else f"**{'met' if overall >= RESTORATION_TARGET_DB else 'missed'}**")
    if model == "demosaic" and "detail" in df:
        d = df[df.side == 64].groupby(["block", "method"])["detail"].mean()
        gains += ("; fine detail (variance of the Laplacian relative to the true face's), 64 px at blocks 4 / 8: "
                  + ", ".join(f"`{m}` {d.get((4, m), float('nan')):.3f} / {d.get((8, m), float('nan')):.3f}"
                              for m in dict.fromkeys([reference, "mosaic_face_resnet", method])))
    speed = ""
    speed_csv = bench / "restoration_speed.csv"
    if speed_csv.exists():
        sp = pd.read_csv(speed_csv)
        sp = sp[sp.method == method]
        if len(sp):
            speed = f"\n\nCPU time at {int(sp.side.iloc[0])}x{int(sp.side.iloc[0])} px (kodim01, one run after a warm-up): {sp.seconds.iloc[0]:.2f} s."
    return (f"{head}\n\n{data}. PSNR (dB) / SSIM, means:\n\n" + "\n".join(lines)
            + f"\n\nPaired gain of `{method}` over {what}: {gains}. The issue's target "
            f"(at least +{RESTORATION_TARGET_DB:g} dB{' at each block' if model == 'demosaic' else ' on average'}): {target}."
            + speed)


def restoration_summary(bench: Path = RESTORATION_BENCH) -> str:
    """One clause of the README's paragraph: each learned restorer's mean gain, from bench/restoration.py's CSVs."""
    import pandas as pd

    parts = []
    for model, (method, reference, by) in {"demosaic": ("mosaic_face_resnet", "mosaic_bicubic", ["side", "block"]),
                                           "deblurgan": ("deblurgan", "(blurred input)", ["dataset", "kernel"]),
                                           "did_mdn": ("did_mdn", "derain_none", ["dataset", "density"])}.items():
        path = bench / f"restoration_{RESTORATION_MODELS[model]}.csv"
        if not path.exists():
            continue
        df = pd.read_csv(path)
        if method not in set(df.method):
            continue
        key = [*by, "image"]
        gain = df[df.method == method].set_index(key)["psnr"] - df[df.method == reference].set_index(key)["psnr"]
        if model == "demosaic":
            g = gain.groupby(by).mean()
            parts.append(f"the face de-mosaicing ResNet {g.get((64, 4), float('nan')):+.2f} / {g.get((64, 8), float('nan')):+.2f} dB "
                         "over bicubic on the 64 px CelebA test faces at blocks 4 / 8")
        else:
            parts.append(f"{'DeblurGAN' if model == 'deblurgan' else 'DID-MDN'} {gain.mean():+.2f} dB over the "
                         f"{'blurred' if model == 'deblurgan' else 'rainy'} input (Kodak24 and BSD68)")
    return ("; ".join(parts) + ", from `python bench/restoration.py`; ") if parts else ""


def retrain_command(cfg: dict, folder: Path) -> str:
    parts = ["python -m inpaint_core.train", cfg["model"], "--data", *cfg["data"], "--out", f"weights/{folder.name}",
             "--size", str(cfg["size"]), "--width", str(cfg["width"]), "--batch", str(cfg["batch"]),
             "--steps", str(cfg["steps"]), "--seed", str(cfg["seed"])]
    from .train import DEFAULTS

    parts += ["--lr", str(cfg["lr"])]
    changed = [f"{k}={json.dumps(cfg.get(k))}" for k, v in DEFAULTS[cfg["model"]].items()
               if k not in {"size", "batch", "steps", "width", "lr"} and cfg.get(k, v) != v]
    if changed:
        import shlex

        parts += ["--set", *(shlex.quote(c) for c in changed)]  # JSON values: quotes and brackets reach the parser
    if cfg.get("faces"):
        parts.append("--faces")
    if int(cfg.get("threads") or 1) > 1:
        parts += ["--threads", str(cfg["threads"])]
    if cfg.get("exclude_names_from") and not cfg.get("faces"):
        parts += ["--exclude-names-from", cfg["exclude_names_from"]]
    return " ".join(parts) + " [--device cuda]"


# --- weights/README.md and the README's paragraph ------------------------------------------------------


def _configs(root: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(root.glob("*/config.json"))
            if (p.parent / "manifest.json").exists()}


def write_weights_readme(root: Path) -> Path:
    configs = _configs(root)
    minutes = _training_minutes(configs)
    rows = []
    for name, cfg in configs.items():
        info = cfg.get("data_info", {})
        n_excluded, _ = excluded_files(cfg)
        data = " + ".join(f"`{Path(d).name}`" for d in cfg["data"])
        how = f"{cfg['size']} px face crops" if cfg.get("faces") else f"random {cfg['size']} px crops"
        excluded = (f"{n_excluded if n_excluded is not None else '?'} (names of `{Path(cfg['exclude_names_from']).name}`)"
                    if cfg.get("exclude_names_from") else "-")
        terms = "; ".join(dict.fromkeys(SHORT_TERMS.get(_data_key(d) or "", "see the data's terms") for d in cfg["data"]))
        used = ", ".join(f"`{m}`" for m in _methods_of(name)) or "-"
        rows.append(f"| `{name}` | {used} | {data} ({how}) | {info.get('n_train', '?'):,} (+{info.get('n_val', '?'):,} held back) "
                    f"| {excluded} | {terms} |")
    text = f"""# Weights of the learned methods

Trained by this project's own code (`python -m inpaint_core.train`) on a CPU, for {min(minutes):.0f} to {max(minutes):.0f}
minutes of training loop each (`train_seconds_total` of a resumed or stopped run, else `train_seconds`, in each
`config.json`): small, honest versions of each paper's model.
Each folder holds `model.pt` (half precision), `config.json` (the resolved training config, read back to rebuild the
networks), `manifest.json` (SHA-256 and size of both; a file that does not match is refused), `MODEL_CARD.md` (data,
terms, architecture, steps, hardware, time, scores), and the training logs (`loss.csv`, `loss.png`, `eval.csv`).

| folder | used by | trained on | training images | excluded by name | terms |
|---|---|---|---|---|---|
{chr(10).join(rows)}

"Excluded by name": training files left out because a benchmark image has the same name (the BSD68 test images, the
64 px CelebA test faces), counted as in each model card. Set `INPAINT_WEIGHTS_DIR` to load weights from elsewhere.
Generated by `python -m inpaint_core.networks.card --all`.
"""
    (root / "README.md").write_text(text)
    return root / "README.md"


def _training_minutes(configs: dict) -> list[float]:
    """Each model's minutes of training loop: the whole run (``train_seconds_total``, written when a
    run went on past its shipped step), else up to the shipped step (``train_seconds``)."""
    return [c.get("train_seconds_total", c.get("train_seconds", 0)) / 60 for c in configs.values()]


def learned_paragraph(root: Path, bench: dict) -> str:
    import textwrap

    configs = _configs(root)
    minutes = _training_minutes(configs)
    scores = ""
    if "scenes" in bench and "glcic" in set(bench["scenes"].method):
        def nvidia(gain):
            return [v for k, v in gain.items() if k.startswith("nvidia")]

        vs_h = nvidia(paired_gain(bench["scenes"], "glcic", "harmonic"))
        vs_b = nvidia(paired_gain(bench["scenes"], "glcic", "biharmonic"))
        scores = (f"on 256 px NVIDIA holes of 10-40 % the scene GLCIC scores {min(vs_h):+.2f} to {max(vs_h):+.2f} dB of "
                  f"hole PSNR against harmonic diffusion and {min(vs_b):+.2f} to {max(vs_b):+.2f} dB against biharmonic; ")
        if "lama" in set(bench["scenes"].method):
            lh, lb = paired_gain(bench["scenes"], "lama", "harmonic"), paired_gain(bench["scenes"], "lama", "biharmonic")
            scores += (f"the LaMa-style model (after the survey) {min(lh.values()):+.2f} to {max(lh.values()):+.2f} dB "
                       f"against harmonic and {min(lb.values()):+.2f} to {max(lb.values()):+.2f} dB against biharmonic, "
                       "NVIDIA bins and the centre square; ")
    scores += restoration_summary()
    text = (f"**Learned models** are trained by this project (`python -m inpaint_core.train ...`) and ship in `weights/` "
            f"with a checksum and a model card each ([weights/README.md](weights/README.md)). The shipped ones were "
            f"trained for {min(minutes):.0f} to {max(minutes):.0f} minutes on a CPU: honest small versions, not the papers' "
            f"scores ({scores}the scores are in each model card, from `python bench/learned.py`, written into the cards by "
            f"`python -m inpaint_core.networks.card --all`); the same command retrains them on a GPU with `--device cuda`.")
    return textwrap.fill(text, 104, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False)


def write_readme_paragraph(readme: Path, paragraph: str) -> None:
    """Replace the README's "Learned models" list item (up to the next item, blank line or heading)."""
    text = readme.read_text()
    pattern = re.compile(r"^- \*\*Learned models\*\*.*?(?=^- \*\*|^\s*$|^#)", re.S | re.M)
    if not pattern.search(text):
        raise SystemExit(f"{readme} has no '- **Learned models**' paragraph to replace")
    readme.write_text(pattern.sub(lambda _: paragraph + "\n", text, count=1))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m inpaint_core.networks.card", description=__doc__.split("\n\n")[0])
    p.add_argument("folders", nargs="*", help="weights/NAME folders (default with --all: every shipped model)")
    p.add_argument("--all", action="store_true", help="every model card, weights/README.md and the README's paragraph")
    p.add_argument("--bench", default=str(REPO_ROOT / "bench" / "out" / "learned"), help="output of bench/learned.py")
    args = p.parse_args(argv)
    bench = load_bench(args.bench)
    root = weights_root()
    folders = [Path(f) for f in args.folders] or (sorted(root / n for n in _configs(root)) if args.all else [])
    for folder in folders:
        print(write_model_card(folder, bench))
    if args.all:
        print(write_weights_readme(root))
        write_readme_paragraph(REPO_ROOT / "README.md", learned_paragraph(root, bench))
        print(REPO_ROOT / "README.md")


if __name__ == "__main__":
    main()
