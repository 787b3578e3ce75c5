"""Shipped weights: where they live, their SHA-256 manifest, and loading them safely.

Layout: ``weights/<model>/`` holds ``model.pt`` (half-precision state dicts), ``config.json``
(the resolved training config, read back to rebuild the networks), ``manifest.json``
(SHA-256 and size of every file the model needs) and ``MODEL_CARD.md``.
A missing file is a clear "unavailable" state; a file whose checksum differs from the
manifest is refused. Nothing here imports torch until a model is actually loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from ..errors import MethodUnavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_FILE = "model.pt"
CONFIG_FILE = "config.json"
MANIFEST_FILE = "manifest.json"

TRAIN_COMMANDS = {  # the commands that trained the shipped weights (add --device cuda and more --steps on a GPU)
    "glcic_scenes": "python -m inpaint_core.train glcic --data ../shared/data/train/bsds500 "
    "../shared/data/train/imagenet_samples_1000 --exclude-names-from ../shared/data/benchmark/bsd68_color "
    "--out weights/glcic_scenes --size 128 --width 16 --batch 8 --steps 14000",
    "context_encoder_scenes": "python -m inpaint_core.train context_encoder --data ../shared/data/train/bsds500 "
    "../shared/data/train/imagenet_samples_1000 --exclude-names-from ../shared/data/benchmark/bsd68_color "
    "--out weights/context_encoder_scenes --size 128 --width 32 --batch 16 --steps 7000 --lr 0.0002 "
    "--set lambda_adv=0.0001",
    "context_encoder_faces": "python -m inpaint_core.train context_encoder --faces "
    "--data ../shared/data/train/celeba_89x109 --out weights/context_encoder_faces --size 64 --width 32 "
    "--batch 32 --steps 6000 --eval-every 250 --checkpoint-every 250 --time-limit-minutes 30 "
    "--set recipe=true lambda_adv=0 keep_best=true full_centre=1.0",
    "glcic_faces": "python -m inpaint_core.train glcic --faces --data ../shared/data/train/celeba_89x109 "
    "--out weights/glcic_faces --size 64 --width 16 --batch 16 --steps 14000 --lr 0.0005 --eval-every 250 "
    "--checkpoint-every 250 --time-limit-minutes 35 --set recipe=true keep_best=true (stopped at step 1,000), "
    "then the same command with --steps 8500 --time-limit-minutes 38 --resume",
    "dcgan_faces": "python -m inpaint_core.train dcgan --faces --data ../shared/data/train/celeba_89x109 "
    "--out weights/dcgan_faces --size 64 --width 16 --batch 32 --steps 5000 --eval-every 500 "
    "--checkpoint-every 250 --time-limit-minutes 25 --set recipe=true",
    "lama_scenes": "python -m inpaint_core.train lama --data ../shared/data/train/bsds500 "
    "../shared/data/train/imagenet_samples_1000 --exclude-names-from ../shared/data/benchmark/bsd68_color "
    "--out weights/lama_scenes --steps 13000 --threads 2 --time-limit-minutes 125, then the same command with "
    "--steps 28000 --threads 2 --time-limit-minutes 235 --resume to step 13,500, then with --steps 22000 --threads 1 "
    "--time-limit-minutes 235 --resume, stopped at step 18,500 (the held-back score had fallen since step 15,000 "
    "in the adversarial last third) and closed with the same command and --stop-after 18500; then without the "
    "adversarial term: --steps 25000 --threads 1 --resume --set adv_from=1.0 to step 22,500 and --steps 30000 "
    "--threads 2 --time-limit-minutes 270 --resume, stopped at step 26,500 (the held-back score had fallen since "
    "step 21,500, the one shipped) and closed with --stop-after 26500; each --steps retargets the cosine decay (a "
    "warm restart); the runs wrote to --out runs/lama_scenes_out --work runs/lama_scenes (the adversarial-free part "
    "to a copy, runs/lama_noadv_out and runs/lama_noadv), copied to weights/lama_scenes",
    "demosaic_faces_l2": "python -m inpaint_core.train demosaic --faces --data ../shared/data/train/celeba_89x109 "
    "--out weights/demosaic_faces_l2 --steps 7000 --threads 2 --time-limit-minutes 26",
    "demosaic_faces_gan": "python -m inpaint_core.train demosaic --faces --data ../shared/data/train/celeba_89x109 "
    "--out weights/demosaic_faces_gan --steps 1500 --time-limit-minutes 12 --set adv_weight=0.0005 "
    "'init_from=\"weights/demosaic_faces_l2\"' warmup=0.05 lr=0.0002 keep_best=false",
    "demosaic_scenes": "python -m inpaint_core.train demosaic --data ../shared/data/train/bsds500 "
    "../shared/data/train/imagenet_samples_1000 --exclude-names-from ../shared/data/benchmark/bsd68_color "
    "--out weights/demosaic_scenes --steps 1500 --time-limit-minutes 9 --set 'scales=[96,128,176]'",
    "deblurgan_scenes": "python -m inpaint_core.train deblurgan --data ../shared/data/train/bsds500 "
    "../shared/data/train/imagenet_samples_1000 --exclude-names-from ../shared/data/benchmark/bsd68_color "
    "--out weights/deblurgan_scenes --steps 4500 --time-limit-minutes 34, then the same command with --steps 4800 "
    "--time-limit-minutes 50 --resume, then with --steps 7000 --time-limit-minutes 72 --threads 2 --resume, then with "
    "--steps 15000 --time-limit-minutes 200 --threads 1 --resume",
    "didmdn_scenes": "python -m inpaint_core.train did_mdn --data ../shared/data/train/bsds500 "
    "../shared/data/train/imagenet_samples_1000 --exclude-names-from ../shared/data/benchmark/bsd68_color "
    "--out weights/didmdn_scenes --steps 2500 --batch 8 --time-limit-minutes 28",
}


def limited_torch():
    """torch, imported on first use, limited to ``$INPAINT_TORCH_THREADS`` threads (default 1: on a
    shared 2-core machine, two OpenMP threads competing with other processes run many times slower)."""
    import torch

    threads = int(os.environ.get("INPAINT_TORCH_THREADS", "1"))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return torch


class WeightsError(MethodUnavailable):
    """Weights missing or refused (bad checksum)."""


def weights_root() -> Path:
    """``$INPAINT_WEIGHTS_DIR`` if set, else ``weights/`` at the repository root."""
    return Path(os.environ.get("INPAINT_WEIGHTS_DIR", REPO_ROOT / "weights"))


def model_dir(name: str) -> Path:
    return weights_root() / name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, files: list[str]) -> dict:
    """Record SHA-256 and size of ``files`` (names inside ``folder``) in its manifest."""
    folder = Path(folder)
    entries = {f: {"sha256": sha256_of(folder / f), "bytes": (folder / f).stat().st_size} for f in files}
    manifest = {"model": folder.name, "files": entries}
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


_verified: dict[tuple[str, int, int], bool] = {}
_lock = threading.Lock()


def check(name: str) -> tuple[bool, str]:
    """(True, "") if the model's files are present and match their manifest, else (False, why)."""
    folder = model_dir(name)
    command = TRAIN_COMMANDS.get(name, f"python -m inpaint_core.train ... --out weights/{name}")
    manifest_path = folder / MANIFEST_FILE
    if not (folder / MODEL_FILE).exists() or not manifest_path.exists():
        return False, f"weights missing: {folder / MODEL_FILE} not found; run {command}"
    try:
        manifest = json.loads(manifest_path.read_text())
        entries = manifest["files"]
    except (OSError, ValueError, KeyError):
        return False, f"weights refused: {manifest_path} is not a valid manifest"
    for fname in (MODEL_FILE, CONFIG_FILE):
        path = folder / fname
        if fname not in entries:
            return False, f"weights refused: {fname} is not listed in {manifest_path}"
        if not path.exists():
            return False, f"weights missing: {path} not found; run {command}"
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        with _lock:
            known = _verified.get(key)
        if known is None:
            known = sha256_of(path) == entries[fname]["sha256"]
            with _lock:
                _verified[key] = known
        if not known:
            return False, f"weights refused: the SHA-256 of {path} does not match {manifest_path} (corrupted file?)"
    return True, ""


def read_config(name: str) -> dict[str, Any]:
    return json.loads((model_dir(name) / CONFIG_FILE).read_text())


_cache: dict[tuple[str, str], Any] = {}


def load(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify, then load ``(config, networks)``: networks rebuilt from the config, in eval
    mode, float32 on the CPU. Raises :class:`WeightsError` (a ``MethodUnavailable``) if the
    files are missing or their checksum is wrong. Cached per file content."""
    ok, why = check(name)
    if not ok:
        raise WeightsError(why)
    folder = model_dir(name)
    digest = json.loads((folder / MANIFEST_FILE).read_text())["files"][MODEL_FILE]["sha256"]
    key = (str(folder), digest)
    with _lock:
        if key in _cache:
            return _cache[key]
    import torch

    from . import nets

    config = read_config(name)
    states = torch.load(folder / MODEL_FILE, map_location="cpu", weights_only=True)
    networks = {}
    for net_name, spec in config["networks"].items():
        if net_name not in states:  # training-only networks (e.g. GLCIC's discriminators) are not shipped
            continue
        net = nets.build(spec["kind"], **spec["sizes"])
        net.load_state_dict({k: v.float() for k, v in states[net_name].items()})
        net.eval()
        networks[net_name] = net
    with _lock:
        _cache[key] = (config, networks)
    return config, networks
