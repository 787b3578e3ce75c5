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
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
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



# ------------------------------------------------------------------- bad parameters, seeds, numbers and paths
# Every one exits with status 2 and one line on stderr that names the problem, before any work is done.
# The commands run in this process (fd-level capture), so an exception that escapes is a failing test
# rather than a traceback; test_cli_bad_inputs_one_line_no_traceback above covers the real subprocess.
from inpaint_core import inpaint  # noqa: E402
from inpaint_core.base import MAX_SEED, Param, check_seed  # noqa: E402
from inpaint_core.registry import get_method  # noqa: E402
from inpaint_core.imageio import check_output_dir, check_output_file, save_image  # noqa: E402


def _main(module: str, argv: list[str], capfd) -> tuple[int, str, str]:
    """Run ``python -m <module> argv`` in this process: (exit status, stdout, stderr)."""
    if module == "gallery":
        from gallery.__main__ import main
    else:
        from inpaint_core.cli import main
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capfd.readouterr()
    return code, out, err


def _assert_one_line(code, err: str, *patterns: str) -> None:
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for pattern in patterns:
        assert pattern.lower() in lines[0].lower(), lines[0]


def _nothing_written(folder: Path, before: set) -> None:
    assert set(folder.rglob("*")) == before, "a refused command must not write anything"


RADIUS_OF_TELEA = ("radius", "telea")
CLI_BAD = [
    # (argv after the input files' options, words the one line must contain)
    (["run", "--method", "telea", "--out", "{t}/out.foo"], ("out.foo", ".foo", ".png")),
    (["run", "--method", "telea", "--out", "{t}/out"], ("no extension",)),
    (["run", "--method", "telea", "--out", "{t}"], ("is a folder",)),
    (["run", "--method", "telea", "--out", "{t}/text.png/sub/o.png"], ("text.png", "not a folder")),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--param", "radius=nan"], (*RADIUS_OF_TELEA, "finite")),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--param", "radius=inf"], (*RADIUS_OF_TELEA, "finite")),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--param", "radius=1e400"], (*RADIUS_OF_TELEA, "finite")),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--param", "radius=true"], (*RADIUS_OF_TELEA, "integer")),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--param", "radius=2.5"], (*RADIUS_OF_TELEA, "integer")),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--param", "radius=0"], (*RADIUS_OF_TELEA, "at least")),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--param", "radius=" + "9" * 5000], (*RADIUS_OF_TELEA,)),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--param", "bogus=1"], ("bogus", "no parameter")),
    (["run", "--method", "patchmatch", "--out", "{t}/o.png", "--param", "patch_size=8"], ("patch_size", "steps of 2")),
    (["run", "--method", "total_variation", "--out", "{t}/o.png", "--param", "lam=-inf"], ("lam", "finite")),
    (["run", "--method", "context_encoder", "--out", "{t}/o.png", "--param", "blend=2"], ("blend", "true or false")),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--seed", "-1"], ("--seed", "0 to")),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--seed", str(MAX_SEED + 1)], ("--seed",)),
    (["run", "--method", "telea", "--out", "{t}/o.png", "--seed", "1.5"], ("--seed",)),
    (["compare", "--out", "{t}/cmp", "--params", "[1]"], ("--params", "json object")),
    (["compare", "--out", "{t}/cmp", "--params", "null"], ("--params", "json object")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", '{"telea": 5}'], ("--params", "telea")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", '{"telea": {"radius": 1e400}}'],
     (*RADIUS_OF_TELEA, "finite")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", '{"telea": {"radius": NaN}}'],
     (*RADIUS_OF_TELEA, "finite")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", '{"telea": {"radius": [3]}}'],
     (*RADIUS_OF_TELEA, "integer")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", '{"telea": {"radius": {"a": 3}}}'],
     (*RADIUS_OF_TELEA, "integer")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", '{"telea": {"radius": true}}'],
     (*RADIUS_OF_TELEA, "true / false")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", '{"telea": {"radius": null}}'],
     (*RADIUS_OF_TELEA, "integer")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", '{"telea": {"radius": 1' + "0" * 5000 + "}}"],
     ("--params",)),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", '{"harmonic": {}}'],
     ("harmonic", "not among the methods")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", '{"nope": {}}'], ("unknown method", "nope")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--params", "{bad"], ("--params", "not valid json")),
    (["compare", "--out", "{t}/cmp", "--methods", ""], ("--methods", "no method")),
    (["compare", "--out", "{t}/cmp", "--methods", " , "], ("--methods", "no method")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea,nope"], ("unknown method", "nope")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea,telea"], ("telea", "more than once")),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--time-limit", "nan"], ("--time-limit",)),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--time-limit", "inf"], ("--time-limit",)),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--time-limit", "0"], ("--time-limit",)),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--time-limit", "-1"], ("--time-limit",)),
    (["compare", "--out", "{t}/cmp", "--methods", "telea", "--seed", "-1"], ("--seed",)),
    (["compare", "--out", "{t}/text.png", "--methods", "telea"], ("text.png", "is a file")),
    (["compare", "--out", "{t}/text.png/sub", "--methods", "telea"], ("text.png", "not a folder")),
]


@pytest.mark.parametrize("argv, words", CLI_BAD, ids=lambda v: " ".join(v)[:60] if isinstance(v, list) else None)
def test_cli_bad_parameters_and_paths(files, capfd, argv, words):
    t = files
    before = set(t.rglob("*"))
    argv = [a.replace("{t}", str(t)) for a in argv]
    command, rest = argv[0], argv[1:]
    argv = [command, "--image", str(t / "img.png"), "--mask", str(t / "mask.png"), *rest]
    code, out, err = _main("inpaint_core", argv, capfd)
    _assert_one_line(code, err, *words)
    _nothing_written(t, before)


def test_bad_parameters_in_a_real_process(files):
    """The same refusals from ``python -m ...`` itself: status 2, one line, no traceback."""
    t = files
    pair = ["--image", str(t / "img.png"), "--mask", str(t / "mask.png")]
    _assert_clean_error(_cli("run", "--method", "telea", *pair, "--out", str(t / "out.foo"), cwd=t), ".foo")
    _assert_clean_error(_cli("compare", *pair, "--out", str(t / "cmp"), "--params", "[1]", cwd=t), "--params")
    _assert_clean_error(_cli("run", "--method", "telea", *pair, "--out", str(t / "o.png"), "--param", "radius=nan",
                             cwd=t), "radius")
    _assert_clean_error(_cli("mask", "--kind", "centre", "--out", str(t / "m.png"), "--width", "0", cwd=t), "--width")
    proc = subprocess.run([sys.executable, "-m", "gallery", "build", "--out", str(t / "gal"), "--time-limit", "nan"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    _assert_clean_error(proc, "--time-limit")
    assert not (t / "gal").exists() and not (t / "cmp").exists() and not (t / "o.png").exists()


def test_cli_output_path_is_checked_before_the_inputs(files, capfd):
    """The output is refused at the start: even a missing image is not reached."""
    t = files
    code, _, err = _main("inpaint_core", ["run", "--method", "telea", "--image", str(t / "missing.png"),
                                          "--mask", str(t / "mask.png"), "--out", str(t / "out.foo")], capfd)
    _assert_one_line(code, err, "out.foo")
    code, _, err = _main("inpaint_core", ["mask", "--kind", "centre", "--image", str(t / "missing.png"),
                                          "--out", str(t / "m.gif2")], capfd)
    _assert_one_line(code, err, "m.gif2")


@pytest.mark.parametrize("argv, words", [
    (["mask", "--kind", "centre", "--out", "{t}/m.png", "--width", "0"], ("--width",)),
    (["mask", "--kind", "centre", "--out", "{t}/m.png", "--height", "-5"], ("--height",)),
    (["mask", "--kind", "centre", "--out", "{t}/m.png", "--height", "7"], ("--height", "8")),
    (["mask", "--kind", "centre", "--out", "{t}/m.png", "--width", "1e3"], ("--width",)),
    (["mask", "--kind", "centre", "--out", "{t}/m.png", "--width", "40000", "--height", "40000"], ("40000x40000",)),
    (["mask", "--kind", "nope", "--out", "{t}/m.png"], ("--kind", "nope")),
    (["mask", "--kind", "centre", "--out", "{t}/m.foo"], ("m.foo",)),
    (["mask", "--kind", "centre", "--out", "{t}/m.png", "--seed", "-3"], ("--seed",)),
    (["mask", "--kind", "centre", "--out", "{t}/m.png", "--image", "{t}"], ("is a folder",)),
    (["run", "--method", "telea", "--image", "{t}", "--mask", "{t}/mask.png", "--out", "{t}/o.png"], ("is a folder",)),
    (["run", "--method", "telea", "--image", "{t}/img.png", "--mask", "{t}", "--out", "{t}/o.png"], ("is a folder",)),
    (["run", "--image", "{t}/img.png", "--mask", "{t}/mask.png", "--out", "{t}/o.png"], ("--method", "required")),
])
def test_cli_bad_mask_sizes_and_files(files, capfd, argv, words):
    t = files
    before = set(t.rglob("*"))
    code, _, err = _main("inpaint_core", [a.replace("{t}", str(t)) for a in argv], capfd)
    _assert_one_line(code, err, *words)
    _nothing_written(t, before)


GALLERY_BAD = [
    (["build", "--param", "telea.radius=nan"], (*RADIUS_OF_TELEA, "finite")),
    (["build", "--methods", "telea", "--param", "telea.radius=1e400"], (*RADIUS_OF_TELEA, "finite")),
    (["build", "--methods", "telea", "--param", "telea.radius=[1]"], (*RADIUS_OF_TELEA, "integer")),
    (["build", "--methods", "telea", "--param", "telea.bogus=1"], ("bogus", "no parameter")),
    (["build", "--methods", "telea", "--param", "telea=3"], ("--param", "method.name=value")),
    (["build", "--methods", "telea", "--param", ".radius=3"], ("--param", "method.name=value")),
    (["build", "--methods", "telea", "--param", "harmonic.radius=3"], ("harmonic", "not among the methods")),
    (["build", "--param", "nope.radius=3"], ("unknown method", "nope")),
    (["build", "--methods", ""], ("--methods", "no method")),
    (["build", "--methods", "telea,bogus"], ("unknown method", "bogus")),
    (["build", "--time-limit", "nan"], ("--time-limit",)),
    (["build", "--time-limit", "0"], ("--time-limit",)),
    (["build", "--time-limit", "-1"], ("--time-limit",)),
    (["build", "--time-limit", "1e400"], ("--time-limit",)),
    (["build", "--seed", "-1"], ("--seed",)),
    (["build", "--seed", "1e30"], ("--seed",)),
    (["build", "--seed", str(10**30)], ("--seed",)),
    (["build", "--workers", "0"], ("--workers",)),
    (["build", "--workers", "nan"], ("--workers",)),
    (["build", "--engine", "spark"], ("--engine", "spark")),
    (["build", "--out", "{t}/text.png"], ("text.png", "is a file")),
    (["build", "--out", "{t}/text.png/gallery"], ("text.png", "not a folder")),
    (["benchmark", "--images", "{t}/missing", "--masks", "{t}"], ("--images", "does not exist")),
    (["benchmark", "--images", "{t}/img.png", "--masks", "{t}"], ("--images", "is a file")),
    (["benchmark", "--images", "{t}", "--masks", "{t}/mask.png"], ("--masks", "is a file")),
    (["benchmark", "--images", "{t}", "--masks", "{t}", "--size", "0"], ("--size",)),
    (["benchmark", "--images", "{t}", "--masks", "{t}", "--per-bin", "-3"], ("--per-bin",)),
    (["benchmark", "--images", "{t}", "--masks", "{t}", "--limit", "0"], ("--limit",)),
    (["benchmark", "--images", "{t}", "--masks", "{t}", "--bin-by-index", "nan"], ("--bin-by-index",)),
    (["benchmark", "--images", "{t}", "--masks", "{t}", "--param", "biharmonic.radius=3"], ("radius", "no parameter")),
    (["benchmark", "--images", "{t}", "--masks", "{t}", "--param", "telea.radius=inf"], (*RADIUS_OF_TELEA, "finite")),
]


@pytest.mark.parametrize("argv, words", GALLERY_BAD, ids=lambda v: " ".join(v)[:60] if isinstance(v, list) else None)
def test_gallery_cli_bad_options(files, capfd, argv, words):
    t = files
    argv = [a.replace("{t}", str(t)) for a in argv]
    if "--out" not in argv:  # never the shipped gallery/data
        argv += ["--out", str(t / "out")]
    before = set(t.rglob("*"))
    code, out, err = _main("gallery", argv, capfd)
    _assert_one_line(code, err, *words)
    _nothing_written(t, before)


# ------------------------------------------------------------------- the library
@pytest.mark.parametrize("value, words", [
    (float("nan"), "finite"), (float("inf"), "finite"), (-float("inf"), "finite"), ("nan", "finite"),
    ("1e400", "finite"), ("-inf", "finite"), (1e400, "finite"), (True, "true / false"), (np.bool_(True), "true / false"),
    ("true", "integer"), (2.5, "integer"), ("2.5", "integer"), (None, "integer"), ([3], "integer"),
    ({"a": 3}, "integer"), ("abc", "integer"), (b"3", "integer"), (0, "at least"), (31, "at most"),
    (10**400, "at most"), (np.float64("nan"), "finite"),
], ids=lambda v: repr(v)[:20])
def test_param_coerce_refuses_bad_values_by_name(value, words):
    radius = get_method("telea").params[0]
    with pytest.raises(InpaintInputError, match="radius") as excinfo:
        radius.coerce(value)
    message = str(excinfo.value)
    assert words in message and "\n" not in message and message.endswith(".") and len(message) < 160
    with pytest.raises(InpaintInputError, match="'radius' of method 'telea'"):
        get_method("telea").resolve_params({"radius": value})


def test_param_coerce_float_bool_and_grid():
    lam = Param("lam", 1000.0, "", 1.0, 1e5)
    for bad in (float("nan"), "inf", "1e400", 10**400, True, [1.0], None, "x"):
        with pytest.raises(InpaintInputError, match="lam"):
            lam.coerce(bad)
    assert lam.coerce("5") == 5.0 and isinstance(lam.coerce(5), float) and lam.coerce(np.float32(2.5)) == 2.5
    blend = Param("blend", True, "")
    for bad in (2, 0.5, None, "maybe", [True], float("nan")):
        with pytest.raises(InpaintInputError, match="blend.*true or false"):
            blend.coerce(bad)
    assert blend.coerce("off") is False and blend.coerce(1) is True and blend.coerce(np.bool_(False)) is False
    odd = Param("patch_size", 7, "", 3, 15, 2)
    assert odd.coerce("9") == 9 and odd.coerce(11.0) == 11
    with pytest.raises(InpaintInputError, match="patch_size.*steps of 2"):
        odd.coerce(8)
    radius = get_method("telea").params[0]
    with pytest.raises(InpaintInputError, match="radius.*at most 30.*too large to print"):
        radius.coerce(10**5000)  # no str() at all past 4,300 digits
    assert radius.coerce(" 4 ") == 4 and radius.coerce(np.int64(5)) == 5 and radius.coerce("3.0") == 3


@pytest.mark.parametrize("params, words", [
    ({"radius": float("nan")}, "finite"), ({"radius": float("inf")}, "finite"), ({"radius": 1e400}, "finite"),
    ({"radius": "1e400"}, "finite"), ({"radius": True}, "true / false"), ([1], "mapping"), (5, "mapping"),
    ("radius=3", "mapping"),
])
def test_inpaint_api_refuses_bad_params(params, words):
    image = np.zeros((20, 20, 3), np.uint8)
    mask = np.zeros((20, 20), bool)
    mask[5:9, 5:9] = True
    with pytest.raises(InpaintInputError, match="telea") as excinfo:
        inpaint(image, mask, "telea", params)
    assert isinstance(excinfo.value, ValueError) and words in str(excinfo.value)


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 1.5, float("nan"), float("inf"), True, "3", None, [1]])
def test_bad_seed_is_one_sentence(seed):
    image = np.zeros((20, 20, 3), np.uint8)
    mask = np.zeros((20, 20), bool)
    mask[5:9, 5:9] = True
    with pytest.raises(InpaintInputError, match="seed must be a whole number"):
        inpaint(image, mask, "telea", seed=seed)
    assert check_seed(3.0) == 3 and check_seed(np.int64(MAX_SEED)) == MAX_SEED


def test_save_image_checks_the_path_before_any_work(tmp_path):
    (tmp_path / "file").write_text("x")
    # an object that is not even an image: the path is refused before the pixels are looked at
    for path, words in ((tmp_path / "out.foo", "'.foo'"), (tmp_path / "out", "no extension"),
                        (tmp_path, "is a folder"), (tmp_path / "file" / "sub" / "o.png", "not a folder")):
        with pytest.raises(InpaintInputError, match=words):
            save_image(path, object())
        with pytest.raises(InpaintInputError, match=words):
            check_output_file(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    with pytest.raises(InpaintInputError, match="is a file"):
        check_output_dir(tmp_path / "file")
    assert check_output_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    save_image(tmp_path / "sub" / "o.JPG", np.full((16, 16, 3), 30000, np.uint16))  # 16-bit -> 8-bit JPEG
    assert abs(load_image(tmp_path / "sub" / "o.JPG").mean() - 30000 / 257) < 3
