"""Bad and unusual input files: each gives its own clear sentence, never a traceback."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from inpaint_core import InpaintInputError
from inpaint_core.imageio import load_image, load_mask

ROOT = Path(__file__).resolve().parent.parent


def _png_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def bomb_png() -> bytes:
    """A valid PNG header that declares 30000 x 30000 pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")


@pytest.fixture
def rgb():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is text, not pixels")
    with pytest.raises(InpaintInputError, match="not an image file"):
        load_image(path)


def test_truncated_file(rgb):
    data = _png_bytes(rgb)
    with pytest.raises(InpaintInputError, match="truncated or damaged"):
        load_image(data[: len(data) // 2])


def test_empty_file():
    with pytest.raises(InpaintInputError, match="empty"):
        load_image(b"")


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(InpaintInputError, match="30000x30000|decompression bomb"):
        load_image(bomb_png())


def test_tiny_image_is_refused():
    with pytest.raises(InpaintInputError, match="1x1 pixels"):
        load_image(_png_bytes(np.zeros((1, 1, 3), np.uint8)))


def test_grayscale_stays_gray(rgb):
    img = load_image(_png_bytes(rgb[..., 0]))
    assert img.shape == (40, 60) and img.dtype == np.uint8 and np.array_equal(img, rgb[..., 0])


def test_rgba_keeps_alpha(rgb):
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 128, np.uint8)])
    img = load_image(_png_bytes(rgba))
    assert img.shape == (40, 60, 4) and np.array_equal(img, rgba)


def test_16bit_png_stays_16bit(tmp_path, rgb):
    deep = rgb.astype(np.uint16) * 257 + 3
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), deep[..., ::-1])  # OpenCV writes BGR
    img = load_image(path)
    assert img.dtype == np.uint16 and np.array_equal(img, deep)


def test_16bit_gray_png(tmp_path, rgb):
    deep = rgb[..., 1].astype(np.uint16) * 200
    path = tmp_path / "gray16.png"
    cv2.imwrite(str(path), deep)
    img = load_image(path)
    assert img.dtype == np.uint16 and img.shape == deep.shape and np.array_equal(img, deep)


def test_cmyk_jpeg_becomes_rgb():
    buf = io.BytesIO()
    Image.new("CMYK", (32, 24), (0, 255, 255, 0)).save(buf, format="JPEG", quality=95)  # pure red in CMYK
    img = load_image(buf.getvalue())
    assert img.shape == (24, 32, 3)
    assert img[..., 0].mean() > 200 and img[..., 1].mean() < 60


def test_exif_rotated_jpeg_is_upright(rgb):
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    Image.fromarray(rgb).save(buf, format="JPEG", exif=exif.tobytes())
    img = load_image(buf.getvalue())
    assert img.shape == (60, 40, 3)  # width and height swapped by the transpose


def test_mask_formats(rgb):
    hole = np.zeros((40, 60), bool)
    hole[10:20, 5:25] = True
    gray = hole.astype(np.uint8) * 255
    assert np.array_equal(load_mask(_png_bytes(gray)), hole)
    assert np.array_equal(load_mask(_png_bytes(np.dstack([gray] * 3))), hole)
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[hole] = (255, 0, 0, 255)  # a painted layer: alpha marks the hole
    assert np.array_equal(load_mask(_png_bytes(rgba)), hole)
    buf = io.BytesIO()
    Image.fromarray(hole).convert("1").save(buf, format="PNG")
    assert np.array_equal(load_mask(buf.getvalue()), hole)


def test_mask_of_another_size(rgb):
    with pytest.raises(InpaintInputError, match="must match"):
        load_mask(_png_bytes(np.zeros((10, 10), np.uint8)), shape=(40, 60))


def test_full_mask():
    with pytest.raises(InpaintInputError, match="whole image"):
        load_mask(_png_bytes(np.full((40, 60), 255, np.uint8)), shape=(40, 60))


# ------------------------------------------------------------------- the CLI
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inpaint_core", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def _assert_clean_error(proc: subprocess.CompletedProcess, pattern: str) -> None:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert pattern.lower() in lines[0].lower(), lines[0]


@pytest.fixture
def files(tmp_path, rgb):
    (tmp_path / "img.png").write_bytes(_png_bytes(rgb))
    hole = np.zeros((40, 60), np.uint8)
    hole[12:22, 20:34] = 255
    (tmp_path / "mask.png").write_bytes(_png_bytes(hole))
    (tmp_path / "empty.png").write_bytes(_png_bytes(np.zeros((40, 60), np.uint8)))
    (tmp_path / "small.png").write_bytes(_png_bytes(np.zeros((20, 20), np.uint8)))
    (tmp_path / "bomb.png").write_bytes(bomb_png())
    (tmp_path / "text.png").write_text("hello")
    return tmp_path


def test_cli_bad_inputs_one_line_no_traceback(files):
    t = files
    _assert_clean_error(_cli("run", "--method", "telea", "--image", str(t / "text.png"), "--mask", str(t / "mask.png"), "--out", str(t / "o.png"), cwd=t), "not an image")
    _assert_clean_error(_cli("run", "--method", "telea", "--image", str(t / "img.png"), "--mask", str(t / "empty.png"), "--out", str(t / "o.png"), cwd=t), "no pixel")
    _assert_clean_error(_cli("run", "--method", "telea", "--image", str(t / "img.png"), "--mask", str(t / "small.png"), "--out", str(t / "o.png"), cwd=t), "must match")
    _assert_clean_error(_cli("run", "--method", "telea", "--image", str(t / "bomb.png"), "--mask", str(t / "mask.png"), "--out", str(t / "o.png"), cwd=t), "30000x30000")
    _assert_clean_error(_cli("run", "--method", "nope", "--image", str(t / "img.png"), "--mask", str(t / "mask.png"), "--out", str(t / "o.png"), cwd=t), "unknown method")
    _assert_clean_error(_cli("run", "--method", "telea", "--image", str(t / "img.png"), "--mask", str(t / "mask.png"), "--out", str(t / "o.png"), "--param", "radius=abc", cwd=t), "radius")


def test_cli_run_and_compare(files):
    t = files
    proc = _cli("run", "--method", "biharmonic", "--image", str(t / "img.png"), "--mask", str(t / "mask.png"), "--out", str(t / "out.png"), cwd=t)
    assert proc.returncode == 0, proc.stderr
    out = load_image(t / "out.png")
    src = load_image(t / "img.png")
    hole = load_mask(t / "mask.png")
    assert np.array_equal(out[~hole], src[~hole])

    proc = _cli("compare", "--image", str(t / "img.png"), "--mask", str(t / "mask.png"), "--out", str(t / "cmp"), "--methods", "telea,harmonic", cwd=t)
    assert proc.returncode == 0, proc.stderr
    import pandas as pd

    table = pd.read_csv(t / "cmp" / "metrics.csv")
    assert {"method", "psnr", "ssim", "psnr_hole", "ssim_hole", "seconds"} <= set(table.columns)
    assert list(table["method"]) == ["telea", "harmonic"]
    assert (t / "cmp" / "telea.png").exists() and (t / "cmp" / "harmonic.png").exists()
    assert np.isfinite(table[["psnr", "ssim", "psnr_hole", "ssim_hole"]].to_numpy()).all()

    proc = _cli("methods", "--json", cwd=t)
    import json

    names = {m["name"] for m in json.loads(proc.stdout)}
    assert {"telea", "navier_stokes", "harmonic", "biharmonic", "total_variation"} <= names
