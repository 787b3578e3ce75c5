"""Model cards: what was trained, on what, where, for how long, and how well.

``write_model_card(folder)`` builds ``MODEL_CARD.md`` from the config saved beside the weights;
a benchmark section can be appended (``extra``). Run ``python -m inpaint_core.learned.card weights/NAME``.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

DATA_TERMS = {
    "celeba_89x109": "CelebA (aligned and cropped, images 000001-010000 at 89x109; Liu et al. 2015): "
    "non-commercial research and educational use only.",
    "bsds500": "BSDS500 (Arbelaez et al., TPAMI 2011, https://doi.org/10.1109/TPAMI.2010.161): research use; cite the paper.",
    "imagenet_samples_1000": "ImageNet ILSVRC-2012, one image per class, downscaled to 320 px: ImageNet terms, "
    "non-commercial research/education only.",
}

ARCHITECTURES = {
    "context_encoder": "Context Encoder (Pathak et al. 2016, https://doi.org/10.1109/CVPR.2016.278): input RGB + hole "
    "mask at {size} px; encoder of 4x4 stride-2 convolutions (width {width}, doubling) down to 4x4; channel-wise fully "
    "connected layer (one 16x16 dense layer per channel) + 1x1 convolution; decoder of up-convolutions to the centre "
    "{half}x{half} region; tanh. Adversary: DCGAN-style discriminator on the centre region. Loss: (1-l) L2 "
    "(known pixels of the centre region, the overlap, weighted x{overlap_weight}) + l BCE, l = {lambda_adv}. "
    "Masks: the centre region minus a {overlap} px overlap ring half the time, else a preset mask clipped to it.",
    "glcic": "GLCIC completion network (Iizuka et al. 2017, https://doi.org/10.1145/3072959.3073659), narrowed to width "
    "{width}: 17 layers (conv 5x5, two stride-2 convolutions, dilated 3x3 convolutions with rates 2, 4, 8, 16, two "
    "up-convolutions, sigmoid), input RGB with the hole set to the training mean pixel + the mask. Discriminators: global "
    "({size} px) and local ({half} px around the hole) DCGAN-style stacks joined by a fully connected layer. Schedule "
    "(Algorithm 1): completion network alone with {rec_loss} loss (hole weighted x{hole_weight}) for T_C = {tc} steps, "
    "discriminators alone for T_D = {td} steps, then jointly with alpha = {alpha}. Training masks: centre squares, "
    "blocks, shapes, thin/medium/thick strokes from inpaint_core.masks, 5-60 % of the crop.",
    "dcgan": "DCGAN (Radford et al. 2016, https://arxiv.org/abs/1511.06434) at {size} px: generator z ({z_dim}, "
    "uniform in [-1, 1]) -> 4x4 -> ... -> {size}x{size} up-convolutions with batch norm, tanh; discriminator of 4x4 "
    "stride-2 convolutions with leaky ReLU; BCE, Adam(lr, beta1 0.5). Used by semantic inpainting (Yeh et al. 2017).",
}


def write_model_card(folder: str | Path, extra: str = "") -> Path:
    folder = Path(folder)
    cfg = json.loads((folder / "config.json").read_text())
    model = cfg["model"]
    sizes = dict(cfg, half=cfg["size"] // 2, tc=int(cfg.get("tc_fraction", 0) * cfg["steps"]),
                 td=int(cfg.get("td_fraction", 0) * cfg["steps"]))
    data_lines = []
    for d in cfg["data"]:
        key = next((k for k in DATA_TERMS if k in d), None)
        data_lines.append(f"- `{d}`" + (f": {DATA_TERMS[key]}" if key else ""))
    info = cfg.get("data_info", {})
    params = cfg.get("parameters", {})
    hours = cfg.get("train_seconds", 0) / 60
    stopped = cfg.get("steps_done", 0) < cfg["steps"]
    text = f"""# Model card: {folder.name}

Trained by this project's own code. **A small CPU model**: far weaker than the paper's; the same command
with `--device cuda` and more steps retrains a stronger one.

## Data
{chr(10).join(data_lines)}
- Faces: {'yes (tight face crop, then ' + str(cfg['size']) + ' px)' if cfg.get('faces') else 'no (random ' + str(cfg['size']) + ' px crops, random flips)'}
- Training images: {info.get('n_train', '?')}; held back for evaluation: {info.get('n_val', '?')}
  (split by a fixed permutation); excluded by name (benchmark images): {info.get('excluded_names', 0)}
  {('from `' + str(cfg.get('exclude_names_from')) + '`') if cfg.get('exclude_names_from') else ''}.
- The weights inherit the data's terms: **research and education only, non-commercial.**

## Architecture
{ARCHITECTURES[model].format(**sizes)}

Parameters: {', '.join(f'{k} {v:,}' for k, v in params.items())}.
Shipped: {', '.join(json.loads((folder / 'manifest.json').read_text())['files'])} (weights in half precision, {(folder / 'model.pt').stat().st_size / 1e6:.2f} MB; SHA-256 of each in `manifest.json`).

## Training
- Steps: {cfg.get('steps_done')} of {cfg['steps']} planned{' (stopped by the time limit)' if stopped else ''}, batch {cfg['batch']}, crop {cfg['size']} px, lr {cfg['lr']}, seed {cfg['seed']}
- Hardware: {cfg.get('device', 'cpu')} ({platform.machine()}, shared 2-core machine, {cfg.get('threads', 1)} torch thread(s), low priority, other jobs running)
- Wall time of the training loop (image loading excluded): {hours:.1f} min; torch {cfg.get('torch_version', '?')}, Python {sys.version.split()[0]}
- Loss log: `loss.csv` / `loss.png`; held-back evaluation: `eval.csv`; full config: `config.json`
- Last held-back evaluation: {json.dumps({k: round(v, 3) for k, v in cfg.get('final_eval', {}).items()})}

Retrain (same config): `{retrain_command(cfg, folder)}`
"""
    if model == "dcgan":
        write_samples(folder)
        text += "\nSamples: `samples.png` (16 draws of z, seed 0, written with this card).\n"
    if extra:
        text += "\n" + extra.strip() + "\n"
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


def retrain_command(cfg: dict, folder: Path) -> str:
    parts = ["python -m inpaint_core.train", cfg["model"], "--data", *cfg["data"], "--out", f"weights/{folder.name}",
             "--size", str(cfg["size"]), "--width", str(cfg["width"]), "--batch", str(cfg["batch"]),
             "--steps", str(cfg["steps"]), "--seed", str(cfg["seed"])]
    from .train import DEFAULTS

    parts += ["--lr", str(cfg["lr"])]
    changed = [f"{k}={json.dumps(cfg.get(k))}" for k, v in DEFAULTS[cfg["model"]].items()
               if k not in {"size", "batch", "steps", "width", "lr"} and cfg.get(k, v) != v]
    if changed:
        parts += ["--set", *changed]
    if cfg.get("faces"):
        parts.append("--faces")
    if cfg.get("exclude_names_from") and not cfg.get("faces"):
        parts += ["--exclude-names-from", cfg["exclude_names_from"]]
    return " ".join(parts) + " [--device cuda]"


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(write_model_card(arg))
