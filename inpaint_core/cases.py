"""The on-disk layout of one comparison case, shared by the gallery and recent compares.

A case is a folder::

    <case_id>/
        original.png|.webp    the intact image (ground truth), lossless
        mask.png              255 = hole
        <method>.png|.webp    one completion per method, lossless: either the whole frame, or
                              only the hole's bounding box (the gallery's compact form: known
                              pixels inside the box stored as 0)
        case.json             {"case_id", "image", "mask_type", "hole_percent", "source", "created", ...}

Whatever a file holds, a completion is only ever *shown* through :meth:`Case.image`, which
composites the file's hole pixels over the original: every image a rater or a gallery visitor
sees has its known pixels bit-identical to the original, so no compression artefact or
colour shift outside the hole can tell a fill from the camera's photo.

The voting study reads pairs from such folders; the gallery writes them; the Compare tab
saves each finished compare as one, so a user's own runs can be voted on too.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import uuid
from pathlib import Path

import numpy as np

from .geometry import box_shape, hole_box
from .imageio import load_image, load_mask, save_image, to_uint8_rgb

IMAGE_EXTENSIONS = (".png", ".webp", ".jpg", ".jpeg")
_RESERVED = {"original", "mask", "input"}


@dataclasses.dataclass
class Case:
    case_id: str
    folder: Path
    meta: dict
    outputs: dict[str, Path]  # method name -> file

    @property
    def original_path(self) -> Path:
        return _find(self.folder, "original")

    @property
    def mask_path(self) -> Path:
        return _find(self.folder, "mask")

    def original(self) -> np.ndarray:
        return load_image(self.original_path)

    @property
    def input_path(self) -> Path | None:
        """The damaged photo a visitor saw (stamped text, a mosaic...), where the case has one."""
        try:
            return _find(self.folder, "input")
        except FileNotFoundError:
            return None

    def damaged(self) -> np.ndarray | None:
        """The damaged input as uint8 RGB, or None (a plain hole)."""
        path = self.input_path
        return None if path is None else to_uint8_rgb(load_image(path))

    def mask(self) -> np.ndarray:
        return load_mask(self.mask_path)

    def image(self, method: str) -> np.ndarray:
        """What a viewer is shown for ``method`` (or ``"original"``): uint8 RGB, the original's
        known pixels with the method's fill composited into the hole."""
        original = to_uint8_rgb(self.original())
        if method == "original":
            return original
        path = self.outputs.get(method)
        if path is None:
            raise KeyError(f"Case {self.case_id!r} has no result for {method!r}.")
        return composite_fill(original, self.mask(), to_uint8_rgb(load_image(path)))


def fill_crop(output: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The compact stored form of a completion: its hole's bounding box, known pixels set to 0
    (they compress to almost nothing and are never shown: :func:`composite_fill` puts the
    original's back)."""
    box = hole_box(hole)
    crop = to_uint8_rgb(output)[box].copy()
    crop[~hole[box]] = 0
    return crop


def composite_fill(original: np.ndarray, hole: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """``original`` (uint8 RGB) with its hole's pixels taken from ``fill``: a whole frame of the
    original's size, or the hole's bounding-box crop written by :func:`fill_crop`."""
    box = hole_box(hole)
    full = original.shape[:2]
    crop_shape = box_shape(box)
    if fill.shape[:2] == full:
        source = fill[box]
    elif fill.shape[:2] == crop_shape:
        source = fill
    else:
        raise ValueError(f"A stored fill of {fill.shape[1]}x{fill.shape[0]} fits neither the image "
                         f"({full[1]}x{full[0]}) nor its hole's box ({crop_shape[1]}x{crop_shape[0]}).")
    out = original.copy()
    inside = hole[box]
    out[box][inside] = source[inside]
    return out


def _find(folder: Path, stem: str) -> Path:
    for ext in IMAGE_EXTENSIONS:
        candidate = folder / f"{stem}{ext}"
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{folder} has no {stem} image")


def read_case(folder: str | os.PathLike) -> Case:
    folder = Path(folder)
    meta_path = folder / "case.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    outputs = {
        p.stem: p for p in sorted(folder.iterdir())
        if p.suffix.lower() in IMAGE_EXTENSIONS and p.stem not in _RESERVED
    }
    return Case(meta.get("case_id", folder.name), folder, meta, outputs)


def list_cases(root: str | os.PathLike) -> list[Case]:
    """Every case folder under ``root`` (sorted by id); a missing root gives []."""
    root = Path(root)
    if not root.is_dir():
        return []
    cases = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            case = read_case(folder)
            case.original_path, case.mask_path  # noqa: B018 - both must exist
        except (FileNotFoundError, json.JSONDecodeError):
            continue
        cases.append(case)
    return cases


def write_case(
    root: str | os.PathLike,
    original: np.ndarray,
    mask: np.ndarray,
    outputs: dict[str, np.ndarray],
    *,
    case_id: str | None = None,
    ext: str = ".png",
    **meta,
) -> Case:
    """Write a case folder (atomically enough for readers: case.json is written last)."""
    from .masks import hole_percent

    case_id = case_id or f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    folder = Path(root) / case_id
    folder.mkdir(parents=True, exist_ok=True)
    save_image(folder / "original.png", original)
    save_image(folder / "mask.png", np.asarray(mask, bool))
    for name, out in outputs.items():
        save_image(folder / f"{name}{ext}", out)
    info = {"case_id": case_id, "hole_percent": round(hole_percent(mask), 2), "created": time.time(), **meta}
    (folder / "case.json").write_text(json.dumps(info, indent=1, default=str))
    return read_case(folder)
