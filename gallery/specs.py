"""The shipped gallery's cases: 8 images x 8 hole types at 256 px, photo repair, scattered pixels,
the Applications tab's cases (old-photo damage, a stamped logo, a ball over a wire), and
de-mosaicing cases (a face mosaicked whole at 64 px, as in Dahl et al. 2017, and mosaicked regions
of photos), which the de-mosaicing methods of :mod:`inpaint_core.restoration` restore and the
"Real or de-mosaiced?" study shows.

Every image is one the project may ship: scikit-image's bundled samples (loaded from the
package's own files, never downloaded) and a scene the project draws itself. Hole types are
the presets of :mod:`inpaint_core.masks` (centre region and random blocks/shapes as in
Pathak et al. 2016, https://doi.org/10.1109/CVPR.2016.278; thin / medium / thick free-form
strokes as in LaMa, https://doi.org/10.1109/WACV51458.2022.00323; scratches; an object-like
blob). Two photo-repair cases stamp text and a watermark over a photo; their hole is exactly
the stamped pixels. Four cases remove 50 % and 80 % of the pixels at random, where the survey
places sparsity and low-rank completion (Cai, Candes, Shen 2010, https://doi.org/10.1137/080738970).

A case is a :class:`CaseSpec` (pixels + metadata); :func:`shipped_cases` makes them all,
deterministically: a case's mask seed comes from its id, not from its position in a list.
"""

from __future__ import annotations

import dataclasses
import hashlib
import zlib
from collections.abc import Callable

import cv2
import numpy as np

from inpaint_core.masks import MASK_PRESETS, generate_mask
from inpaint_core.samples import drawn_scene

SIZE = 256
HOLE_TYPES: tuple[str, ...] = ("centre", "blocks", "shapes", "thin", "medium", "thick", "scratches", "object")
REPAIR_TYPES: tuple[str, ...] = ("text", "watermark")
# the Applications tab's three cases: generated old-photo damage, the project's mark stamped
# semi-transparent, a ball (with its shadow) over the drawn scene's wire (the case for structure guides)
APP_TYPES: tuple[str, ...] = ("damage", "logo", "ball")
# scattered missing pixels: the survey's case for sparsity and low-rank methods ("80 % of the
# pixels have been removed"), beside diffusion, on a photo and on the drawn scene
SCATTER_TYPES: tuple[str, ...] = ("pixels50", "pixels80")
SCATTER_IMAGES: tuple[str, ...] = ("astronaut", "scene")
HOLE_TITLES: dict[str, str] = {k: MASK_PRESETS[k][0] for k in HOLE_TYPES + SCATTER_TYPES} | {
    "text": "Text stamped over a photo",
    "watermark": "Watermark stamped over a photo",
    "damage": "Old-photo damage (scratches, dust, creases, stamp, torn corner)",
    "logo": "Logo stamped over a photo (60 % opacity)",
    "ball": "Object removal: a ball and its shadow over a wire",
}
# de-mosaicing cases: case id -> (image, block, region box (left, top, width, height) as shares of
# the side, or None for the whole image, side in px); restored by the de-mosaicing methods only
MOSAIC_CASES: dict[str, tuple[str, int, tuple[float, float, float, float] | None, int]] = {
    "face-mosaic4": ("face", 4, None, 64),  # 16x16 blocks -> 64x64 (Dahl et al.'s second setting)
    "face-mosaic8": ("face", 8, None, 64),  # 8x8 blocks -> 64x64
    "face32-mosaic4": ("face", 4, None, 32),  # 8x8 blocks -> 32x32 (Dahl et al.'s study)
    "astronaut-mosaic8": ("astronaut", 8, (0.33, 0.12, 0.22, 0.26), SIZE),  # the face, within the photo
    "chelsea-mosaic8": ("chelsea", 8, (0.3, 0.15, 0.4, 0.45), SIZE),
    "rocket-mosaic4": ("rocket", 4, (0.2, 0.3, 0.45, 0.4), SIZE),
    "scene-mosaic16": ("scene", 16, (0.25, 0.25, 0.5, 0.5), SIZE),
}
for _case, (_image, _block, _, _side) in MOSAIC_CASES.items():
    HOLE_TITLES.setdefault(f"mosaic{_block}", f"Mosaic of {_block} px blocks (de-mosaicing)")


@dataclasses.dataclass
class CaseSpec:
    """One gallery case: the intact image, its hole, and what to show as the damaged input.

    ``original`` is uint8 (H, W, 3) RGB; ``mask`` bool (H, W), True = hole; ``damaged`` is
    what a visitor sees before repair (the stamped photo for text / watermark cases), or None.
    """

    case_id: str
    image: str  # image name
    mask_type: str
    original: np.ndarray
    mask: np.ndarray
    source: str
    mask_seed: int | None = None
    damaged: np.ndarray | None = None
    task: str = "inpaint"  # or "demosaic": the methods that run on it come from the restoration registry
    block: int | None = None  # demosaic: the block size and the grid offset (row, column)
    offset: tuple[int, int] = (0, 0)

    def content_hash(self) -> str:
        """Hash of the pixels: a case whose original or mask changes invalidates its rows."""
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.original, np.uint8).tobytes())
        digest.update(np.packbits(self.mask).tobytes())
        digest.update(str(self.original.shape).encode())
        return digest.hexdigest()[:16]


# ------------------------------------------------------------------------------ images
def square_resize(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square and resize to ``size`` x ``size`` (area interpolation); gray -> RGB."""
    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    arr = arr[..., :3]
    h, w = arr.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    arr = arr[top : top + side, left : left + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(arr, (size, size), interpolation=interp))


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        return getattr(skimage.data, name)()

    return load


# name -> (loader of the full-size image, where it comes from)
IMAGES: dict[str, tuple[Callable[[], np.ndarray], str]] = {
    "astronaut": (_skimage("astronaut"), "skimage.data.astronaut (NASA, public domain)"),
    "camera": (_skimage("camera"), "skimage.data.camera (scikit-image, CC0)"),
    "chelsea": (_skimage("chelsea"), "skimage.data.chelsea (Stefan van der Walt, CC0)"),
    "coffee": (_skimage("coffee"), "skimage.data.coffee (Rachel Michetti, CC0)"),
    "rocket": (_skimage("rocket"), "skimage.data.rocket (SpaceX, CC0)"),
    "ihc": (_skimage("immunohistochemistry"), "skimage.data.immunohistochemistry (Guillermo Jimenez, CC0)"),
    "brick": (_skimage("brick"), "skimage.data.brick (texture, CC0)"),
    "scene": (drawn_scene, "drawn by Inpaint Lab (inpaint_core/samples.py)"),
}
FACE_BOX = (174, 78, 100)  # left, top, side in skimage.data.astronaut (512 px): a tight face crop like CelebA's
FACE_SOURCE = "skimage.data.astronaut (NASA, public domain), the face"
REPAIR_IMAGES: dict[str, str] = {"text": "astronaut", "watermark": "chelsea"}
APP_IMAGES: dict[str, str] = {"damage": "coffee", "logo": "rocket", "ball": "scene"}


def load_image(name: str, size: int = SIZE) -> np.ndarray:
    """One of :data:`IMAGES` as uint8 RGB ``size`` x ``size``."""
    loader, _ = IMAGES[name]
    return square_resize(loader(), size)


# ------------------------------------------------------------------------------ stamps
def stamp_text(photo: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Caption-like text over ``photo``; returns (stamped photo, mask of the stamped pixels)."""
    h, w = photo.shape[:2]
    ink = np.zeros((h, w), np.uint8)
    lines = ["Summer 1984", "Happy birthday!", "Inpaint Lab", "(c) 2024"]
    scale = w / 256 * 0.62
    thickness = max(1, round(w / 256 * 1.6))
    rng = np.random.default_rng(seed)
    for i, line in enumerate(lines):
        x = int(w * 0.06 + rng.uniform(0, w * 0.15))
        y = int(h * (0.2 + 0.22 * i))
        cv2.putText(ink, line, (x, y), cv2.FONT_HERSHEY_DUPLEX, scale, 255, thickness, cv2.LINE_8)
    mask = ink > 0
    stamped = photo.copy()
    stamped[mask] = (250, 214, 60)
    return stamped, mask


def stamp_watermark(photo: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A semi-transparent diagonal watermark; the mask is every pixel the stamp touched."""
    h, w = photo.shape[:2]
    ink = np.zeros((h, w), np.uint8)
    scale = w / 256 * 1.1
    thickness = max(2, round(w / 256 * 3))
    cv2.putText(ink, "SAMPLE", (int(w * 0.12), int(h * 0.58)), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness, cv2.LINE_8)
    rotation = cv2.getRotationMatrix2D((w / 2, h / 2), 25, 1.0)
    ink = cv2.warpAffine(ink, rotation, (w, h), flags=cv2.INTER_NEAREST)
    cv2.circle(ink, (int(w * 0.82), int(h * 0.16)), int(w * 0.07), 255, thickness, cv2.LINE_8)
    cv2.putText(ink, "c", (int(w * 0.79), int(h * 0.19)), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.6, 255, thickness, cv2.LINE_8)
    mask = ink > 0
    stamped = photo.astype(np.float32)
    stamped[mask] = 0.45 * stamped[mask] + 0.55 * 255.0
    return np.clip(np.rint(stamped), 0, 255).astype(np.uint8), mask


def application_case(kind: str, photo: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(damaged photo, hole) of an Applications-tab case, made by the applications' own generators:
    the hole is the generator's truth (for the ball, grown over its shadow as a user would) and every
    other pixel the damage changed, so that what the visitor sees damaged is what gets filled."""
    damaged, hole = _application_damage(kind, photo, seed)
    return damaged, hole | np.any(damaged != photo, axis=2)


def _application_damage(kind: str, photo: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from inpaint_core.apps import dewatermark, remove, repair
    from inpaint_core.apps.common import dilate
    from inpaint_core.services.apps import SCENE_OBJECT

    if kind == "damage":
        return repair.damage(photo, "medium", seed=seed)
    if kind == "logo":
        h, w = photo.shape[:2]
        mark = dewatermark.draw_mark(round(0.3 * w))
        stamped, truth = dewatermark.stamp_marks(photo, mark, [(0.62 * w, 0.35 * h, 1.0, 12.0)], opacity=0.6)
        return stamped, dilate(truth, dewatermark.GROW_PX)
    damaged, ball, touched = remove.place_object(photo, seed, **SCENE_OBJECT)
    reach = next(g for g in range(remove.MAX_GROW + 1) if not (touched & ~dilate(ball, g)).any())
    return damaged, dilate(ball, reach)


# ------------------------------------------------------------------------------ cases
def mask_seed(case_id: str) -> int:
    """A case's mask seed, from its id (stable when images or hole types are added)."""
    return zlib.crc32(case_id.encode()) % 100_000


def make_case(image: str, mask_type: str, size: int = SIZE, *, photo: np.ndarray | None = None) -> CaseSpec:
    """Build one case; ``photo`` (already ``size`` px) skips re-loading the image."""
    photo = load_image(image, size) if photo is None else photo
    case_id = f"{image}-{mask_type}"
    seed = mask_seed(case_id)
    source = IMAGES[image][1]
    if mask_type in APP_TYPES:
        damaged, mask = application_case(mask_type, photo, seed)
    elif mask_type == "text":
        damaged, mask = stamp_text(photo, seed)
    elif mask_type == "watermark":
        damaged, mask = stamp_watermark(photo, seed)
    else:
        mask = generate_mask(mask_type, (size, size), seed)
        damaged = None
    return CaseSpec(case_id, image, mask_type, photo, mask, source, seed, damaged)


def load_face(side: int) -> np.ndarray:
    """The astronaut's face (:data:`FACE_BOX`), ``side`` x ``side`` px."""
    import skimage.data

    left, top, s = FACE_BOX
    crop = skimage.data.astronaut()[top : top + s, left : left + s]
    return np.ascontiguousarray(cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA))


def mosaic_case(case_id: str) -> CaseSpec:
    """A de-mosaicing case of :data:`MOSAIC_CASES`: the mosaic (grid offset from the case id's seed)
    is the damaged input; the hole is every pixel of a mosaicked cell."""
    from inpaint_core.restoration.demosaic import mosaic, mosaic_cells

    image, block, box, side = MOSAIC_CASES[case_id]
    photo = load_face(side) if image == "face" else load_image(image, side)
    seed = mask_seed(case_id)
    region = np.ones((side, side), bool)
    offset = (0, 0)
    if box is not None:
        region[:] = False
        left, top, w, h = (round(v * side) for v in box)
        region[top : top + h, left : left + w] = True
        offset = (seed % block, (seed // block) % block)
    cells = mosaic_cells(region.shape, block, region, offset)
    source = FACE_SOURCE if image == "face" else IMAGES[image][1]
    return CaseSpec(case_id, image, f"mosaic{block}", photo, cells, source, seed, mosaic(photo, block, region, offset),
                    task="demosaic", block=block, offset=offset)


def shipped_cases(size: int = SIZE) -> list[CaseSpec]:
    """Every case of the shipped gallery: images x hole types, the photo-repair, scattered-pixel and
    application cases, then the de-mosaicing cases."""
    photos = {name: load_image(name, size) for name in IMAGES}
    cases = [make_case(name, kind, size, photo=photos[name]) for name in IMAGES for kind in HOLE_TYPES]
    cases += [make_case(REPAIR_IMAGES[kind], kind, size, photo=photos[REPAIR_IMAGES[kind]]) for kind in REPAIR_TYPES]
    cases += [make_case(name, kind, size, photo=photos[name]) for name in SCATTER_IMAGES for kind in SCATTER_TYPES]
    cases += [make_case(APP_IMAGES[kind], kind, size, photo=photos[APP_IMAGES[kind]]) for kind in APP_TYPES]
    cases += [mosaic_case(case_id) for case_id in MOSAIC_CASES]
    return cases
