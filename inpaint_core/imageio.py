"""The one validation gate: reading images and masks, checking them, converting them.

Everything that enters the library passes through :func:`validate_image` and
:func:`validate_mask`; files pass through :func:`load_image` and :func:`load_mask` first.
Each problem raises :class:`~inpaint_core.errors.InpaintInputError` with one sentence.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np

from .errors import InpaintInputError

MIN_SIDE = 8
MAX_PIXELS = 40_000_000  # an image larger than this is refused before decoding (bomb guard)
SUPPORTED_DTYPES = (np.uint8, np.uint16, np.float32, np.float64)


def validate_image(image: np.ndarray) -> np.ndarray:
    """Check an image array; return it (as an ndarray) or raise one clear sentence."""
    if not isinstance(image, np.ndarray):
        raise InpaintInputError(f"The image must be a NumPy array; got {type(image).__name__}.")
    if image.ndim == 3 and image.shape[2] not in (1, 3, 4):
        raise InpaintInputError(
            f"The image has {image.shape[2]} channels; expected 1 (gray), 3 (RGB) or 4 (RGBA)."
        )
    if image.ndim not in (2, 3):
        raise InpaintInputError(f"The image must be 2-D (gray) or 3-D (H, W, C); got shape {image.shape}.")
    if image.dtype not in SUPPORTED_DTYPES:
        raise InpaintInputError(f"Image dtype {image.dtype} is not supported; use uint8, uint16 or float in [0, 1].")
    h, w = image.shape[:2]
    if h < MIN_SIDE or w < MIN_SIDE:
        raise InpaintInputError(f"The image is {w}x{h} pixels; the smallest supported size is {MIN_SIDE}x{MIN_SIDE}.")
    if h * w > MAX_PIXELS:
        raise InpaintInputError(f"The image is {w}x{h} pixels, more than the {MAX_PIXELS:,} pixels supported.")
    if image.dtype.kind == "f":
        if not np.isfinite(image).all():
            raise InpaintInputError("The image contains NaN or infinite values.")
        if image.min() < 0.0 or image.max() > 1.0:
            raise InpaintInputError("A float image must have values in [0, 1].")
    return image


def validate_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Check a mask (nonzero = hole) against the image's ``(H, W)``; return it as bool."""
    if not isinstance(mask, np.ndarray):
        raise InpaintInputError(f"The mask must be a NumPy array; got {type(mask).__name__}.")
    if mask.ndim == 3 and mask.shape[2] == 1:
        mask = mask[..., 0]
    if mask.ndim != 2:
        raise InpaintInputError(f"The mask must be 2-D (H, W); got shape {mask.shape}.")
    if mask.shape != tuple(shape):
        raise InpaintInputError(
            f"The mask is {mask.shape[1]}x{mask.shape[0]} but the image is {shape[1]}x{shape[0]}; they must match."
        )
    hole = mask.astype(bool)
    if hole.all():
        raise InpaintInputError("The mask covers the whole image; leave some known pixels to fill from.")
    return hole


def scale_of(dtype: np.dtype) -> float:
    """The value that stands for full intensity in ``dtype``."""
    return {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(np.dtype(dtype), 1.0)


def to_working(image: np.ndarray) -> np.ndarray:
    """Any valid image -> float32 (H, W, 3) RGB in [0, 1] (gray replicated, alpha dropped)."""
    arr = image.astype(np.float32) / np.float32(scale_of(image.dtype))
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.shape[2] == 4:
        arr = arr[..., :3]
    return np.ascontiguousarray(arr)


def from_working(work: np.ndarray, original: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Back to ``original``'s shape and dtype, with known pixels copied from it bit-exact."""
    out = original.copy()
    if original.ndim == 2 or original.shape[2] == 1:
        values = work.mean(axis=2)  # a gray input was replicated; the channels agree up to fill noise
    else:
        values = work
    if original.dtype.kind == "f":
        converted = values.astype(original.dtype)
    else:
        top = scale_of(original.dtype)
        converted = np.clip(np.rint(values * top), 0, top).astype(original.dtype)
    if original.ndim == 2:
        out[hole] = converted[hole]
    elif original.shape[2] == 1:
        out[hole, 0] = converted[hole]
    elif original.shape[2] == 4:
        out[hole, :3] = converted[hole]  # alpha unchanged
    else:
        out[hole] = converted[hole]
    return out


def to_uint8_rgb(image: np.ndarray) -> np.ndarray:
    """Any valid image -> uint8 (H, W, 3) RGB, for display and metrics."""
    if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
        return image
    return np.clip(np.rint(to_working(image) * 255.0), 0, 255).astype(np.uint8)


def tint_hole(image: np.ndarray, hole: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """uint8 RGB ``image`` with its hole shown in ``colour`` (65 % colour, 35 % image), for display
    only: what a viewer sees as "the input"."""
    view = image.astype(np.float32)
    view[hole] = 0.35 * view[hole] + 0.65 * np.asarray(colour, np.float32)
    return np.rint(view).astype(np.uint8)


# ---------------------------------------------------------------------------- files
def _read_bytes(source: str | os.PathLike | bytes) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "the upload"
    path = Path(source)
    if not path.exists():
        raise InpaintInputError(f"No such file: {path}.")
    if path.is_dir():
        raise InpaintInputError(f"{path} is a folder, not an image file.")
    data = path.read_bytes()
    return data, path.name


def _open_pil(data: bytes, label: str):
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise InpaintInputError(f"{label} is empty (0 bytes).")
    # Image.open reads only the header; our own size check runs before any pixel is decoded
    Image.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise InpaintInputError(
                    f"{label} declares {w}x{h} pixels, more than the {MAX_PIXELS:,} supported "
                    "(a possible decompression bomb); refusing to decode it."
                )
            img.load()
    except InpaintInputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InpaintInputError(f"{label} is too large to decode safely (possible decompression bomb).") from None
    except UnidentifiedImageError:
        raise InpaintInputError(f"{label} is not an image file that can be read (PNG, JPEG, WebP, BMP, TIFF...).") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InpaintInputError(f"{label} could not be decoded; the file looks truncated or damaged ({exc}).") from None
    return img


def load_image(source: str | os.PathLike | bytes) -> np.ndarray:
    """Read an image file into an array the library accepts.

    EXIF orientation is applied; CMYK and palette images become RGB; gray stays gray;
    RGBA keeps its alpha; 16-bit PNG/TIFF stay 16-bit (uint16).
    """
    from PIL import ImageOps

    data, label = _read_bytes(source)
    img = _open_pil(data, label)
    sixteen_bit = img.mode in {"I;16", "I;16B", "I;16L", "I"} or (
        img.format == "PNG" and img.info.get("bitdepth") == 16
    )
    if sixteen_bit or (img.format in {"PNG", "TIFF"} and img.mode in {"RGB", "RGBA"} and _png_bit_depth(data) == 16):
        arr = _decode_16bit(data, label)
        if arr is not None:
            return validate_image(arr)
    img = ImageOps.exif_transpose(img)
    if img.mode in {"1", "L"}:
        arr = np.asarray(img.convert("L"))
    elif img.mode == "LA":
        arr = np.asarray(img.convert("RGBA"))
    elif img.mode in {"RGBA", "PA"} or (img.mode == "P" and "transparency" in img.info):
        arr = np.asarray(img.convert("RGBA"))
    elif img.mode in {"I;16", "I;16B", "I;16L", "I"}:
        arr = np.clip(np.asarray(img), 0, 65535).astype(np.uint16)
    elif img.mode == "F":
        arr = np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)
    else:  # RGB, CMYK, YCbCr, P, ...
        arr = np.asarray(img.convert("RGB"))
    return validate_image(np.ascontiguousarray(arr))


def _png_bit_depth(data: bytes) -> int | None:
    # PNG IHDR: 8-byte signature, 4 length, 4 'IHDR', 4 width, 4 height, 1 bit depth
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 24:
        return data[24]
    return None


def _decode_16bit(data: bytes, label: str) -> np.ndarray | None:
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise InpaintInputError(f"{label} could not be decoded; the file looks truncated or damaged.")
    if arr.dtype != np.uint16:
        return None
    if arr.ndim == 3:
        arr = arr[..., ::-1] if arr.shape[2] == 3 else arr[..., [2, 1, 0, 3]]  # BGR(A) -> RGB(A)
    return np.ascontiguousarray(arr)


def mask_from_array(arr: np.ndarray) -> np.ndarray:
    """Mask image array -> bool hole. Rules: RGBA with any transparency -> alpha > 0 is
    the hole only if the colour channels are uniform; otherwise nonzero (any channel) = hole."""
    arr = np.asarray(arr)
    if arr.dtype == bool:
        return arr if arr.ndim == 2 else arr.any(axis=2)
    if arr.ndim == 2:
        return arr > 0
    if arr.shape[2] == 4:
        alpha = arr[..., 3]
        if alpha.min() < alpha.max():  # an alpha-painted mask: painted = opaque = hole
            return alpha > 0
        arr = arr[..., :3]
    return (arr > 0).any(axis=2)


def load_mask(source: str | os.PathLike | bytes, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read a mask file: nonzero / white = hole (gray, RGB, RGBA alpha, 1-bit all accepted)."""
    from PIL import ImageOps

    data, label = _read_bytes(source)
    img = ImageOps.exif_transpose(_open_pil(data, label))
    if img.mode == "1":
        arr = np.asarray(img.convert("L"))
    elif img.mode in {"P", "PA", "LA"}:
        arr = np.asarray(img.convert("RGBA"))
    elif img.mode == "CMYK":
        arr = np.asarray(img.convert("RGB"))
    else:
        arr = np.asarray(img)
    hole = mask_from_array(arr)
    if shape is not None:
        hole = validate_mask(hole, shape)
    return hole


# Extensions :func:`save_image` writes; 16-bit is kept only in PNG and TIFF.
WRITABLE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
_SIXTEEN_BIT_EXTENSIONS = (".png", ".tif", ".tiff")


def _check_folder(folder: Path, what: str) -> None:
    """``folder`` exists as a folder, or can be created: its nearest existing ancestor is a
    writable folder. Creates nothing."""
    ancestor = folder
    while not ancestor.exists():
        if ancestor.is_symlink():  # a dangling link: mkdir would fail on it
            raise InpaintInputError(f"Cannot create {what} {folder}: {ancestor} is a broken link.")
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InpaintInputError(f"Cannot create {what} {folder}: {ancestor} is a file, not a folder.")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InpaintInputError(f"Cannot create {what} {folder}: {ancestor} is not writable.")


def check_output_file(path: str | os.PathLike) -> Path:
    """Check, before any work, that an image can be written to ``path``: a known extension
    and a folder that exists or can be created. Returns ``path`` as a Path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.name == "" or path.is_dir():
        raise InpaintInputError(f"{path} is a folder; give an image file name such as {path / 'out.png'}.")
    if suffix not in WRITABLE_EXTENSIONS:
        known = ", ".join(WRITABLE_EXTENSIONS)
        got = f"the unknown extension {suffix!r}" if suffix else "no extension"
        raise InpaintInputError(f"Cannot write {path.name}: it has {got}; use one of {known}.")
    _check_folder(path.parent, "the folder")
    return path


def check_output_dir(path: str | os.PathLike, what: str = "the output folder") -> Path:
    """Check that ``path`` is a folder or can be created as one (creates nothing)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InpaintInputError(f"Cannot use {path} as {what}: it is a file.")
    _check_folder(path, what)
    return path


def save_image(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write an array as PNG (16-bit kept) or by extension (JPEG, WebP...).

    The path is checked (:func:`check_output_file`) before anything is converted; a 16-bit
    image written to an 8-bit format (JPEG, WebP, BMP) is scaled to 8 bits."""
    import cv2

    path = check_output_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InpaintInputError(f"Cannot create the folder {path.parent} ({exc.strerror or exc}).") from None
    arr = image
    if arr.dtype.kind == "f":
        arr = np.clip(np.rint(arr * 255.0), 0, 255).astype(np.uint8)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype == np.uint16 and path.suffix.lower() not in _SIXTEEN_BIT_EXTENSIONS:
        arr = np.rint(arr / 257.0).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 3:
        arr = arr[..., ::-1]
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., [2, 1, 0, 3]]
    try:
        written = cv2.imwrite(str(path), np.ascontiguousarray(arr))
    except cv2.error:
        written = False
    if not written:
        raise InpaintInputError(f"Could not write {path}; check the folder, the free space and the extension.")


def downscale_to_cap(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Shrink so the long side is at most ``max_side`` (area interpolation); return (image, factor)."""
    import cv2

    h, w = image.shape[:2]
    long_side = max(h, w)
    if long_side <= max_side:
        return image, 1.0
    factor = max_side / long_side
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), factor
