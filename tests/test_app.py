"""The Compare tab through the real server: ``python app.py`` driven with gradio_client."""

from __future__ import annotations

import csv
import io
import math
import zipfile

import numpy as np
import pytest
from PIL import Image

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402

from inpaint_core.cases import list_cases  # noqa: E402
from inpaint_core.masks import generate_mask  # noqa: E402

FAST = ["telea", "harmonic"]


@pytest.fixture(scope="module")
def client(app_server):
    url, _ = app_server
    return Client(url, verbose=False)


def _editor(value: dict) -> dict:
    """An editor value as returned by the server -> one the client can send back."""
    return {"background": handle_file(value["background"]),
            "layers": [handle_file(layer) for layer in value.get("layers") or []], "composite": None}


def _only(client, methods: list[str]) -> dict:
    """Keyword arguments for /compare_run selecting exactly ``methods`` in every family box."""
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/compare_run"]
    families = [p["parameter_name"] for p in info["parameters"] if p["parameter_name"].startswith("methods_")]
    assert "methods_diffusion" in families
    return {name: (methods if name == "methods_diffusion" else []) for name in families}


def _error_text(excinfo) -> str:
    return str(excinfo.value)


def test_every_compare_event_has_a_compare_api_name(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    for required in ("/compare_run", "/compare_example", "/compare_preset_mask", "/compare_mask_upload",
                     "/compare_card", "/compare_slider", "/compare_mask_info"):
        assert required in names


def test_round_trip_with_a_preset_mask(client, app_server):
    _, recent = app_server
    value, info = client.predict("astronaut", api_name="/compare_example")
    assert "512x512" in info and value["layers"] == []
    value, info = client.predict(_editor(value), "centre", 0, api_name="/compare_preset_mask")
    assert "25.00 %" in info
    # the layer the server put in the editor is exactly the preset mask (alpha > 0 = hole)
    layer = np.asarray(Image.open(value["layers"][0]))
    assert layer.shape[:2] == (512, 512)
    assert np.array_equal(layer[..., 3] > 0, generate_mask("centre", (512, 512), 0))

    job = client.submit(value=_editor(value), **_only(client, FAST), api_name="/compare_run")
    job.result()
    outputs = job.outputs()
    grid, table, _, status, choice, slider, zip_path = outputs[-1]
    gallery = grid["value"] if isinstance(grid, dict) else grid  # an update that also sizes the grid
    assert len(outputs) >= len(FAST) + 1  # streamed: the input, then one update per method, then the end
    assert status.startswith("Done") and "hole 25.00 %" in status
    assert len(gallery) == 1 + len(FAST)
    for item, title in zip(gallery[1:], ("Telea", "Harmonic")):
        assert item["caption"].startswith(title) and "PSNR" in item["caption"] and "SSIM" in item["caption"]
        result = np.asarray(Image.open(item["image"]).convert("RGB"))
        assert result.shape == (512, 512, 3)
    rows = {row[table["headers"].index("title")]: dict(zip(table["headers"], row)) for row in table["data"]}
    assert len(rows) == len(FAST)
    for row in rows.values():
        assert row["status"] == "ok"
        assert math.isfinite(row["psnr"]) and 10 < row["psnr"] < 60
        assert math.isfinite(row["ssim"]) and 0 < row["ssim"] <= 1
    # the slider shows the original next to the chosen (best-PSNR) result
    assert choice["value"] in FAST and len(slider) == 2
    # the zip holds a PNG per method, the mask, the original and metrics.csv that agrees with the table
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        assert {"original.png", "mask.png", "metrics.csv", *(f"{m}.png" for m in FAST)} <= names
        mask = np.asarray(Image.open(io.BytesIO(zf.read("mask.png"))))
        assert np.array_equal(mask > 0, generate_mask("centre", (512, 512), 0))
        metrics = list(csv.DictReader(io.StringIO(zf.read("metrics.csv").decode())))
    assert [r["method"] for r in metrics] == FAST
    for r in metrics:
        assert abs(float(r["psnr"]) - rows[r["title"]]["psnr"]) < 0.01
    # the compare was saved as a case for the voting study
    cases = list_cases(recent)
    assert cases and set(FAST) <= set(cases[-1].outputs)


def test_uploaded_mask_file_is_used_and_a_mask_of_another_shape_is_refused(client, tmp_path):
    value, _ = client.predict("chelsea", api_name="/compare_example")  # 451x300
    hole = np.zeros((300, 451), np.uint8)
    hole[100:140, 200:260] = 255
    Image.fromarray(hole).save(tmp_path / "mask.png")
    value, info = client.predict(_editor(value), handle_file(str(tmp_path / "mask.png")),
                                 api_name="/compare_mask_upload")
    layer = np.asarray(Image.open(value["layers"][0]))
    assert np.array_equal(layer[..., 3] > 0, hole > 0)
    assert f"{100 * 40 * 60 / (300 * 451):.2f} %" in info

    Image.fromarray(np.full((100, 100), 255, np.uint8)).save(tmp_path / "square.png")
    with pytest.raises(Exception) as excinfo:
        client.predict(_editor(value), handle_file(str(tmp_path / "square.png")), api_name="/compare_mask_upload")
    assert "The mask is 100x100 but the image is 451x300" in _error_text(excinfo)


@pytest.mark.parametrize("case, message", [
    ("empty", "Draw a hole on the image (or pick a mask preset) first."),
    ("full", "The hole covers the whole image"),
    ("no_image", "Pick an example or upload an image first."),
    ("no_method", "Select at least one method."),
])
def test_bad_input_gives_one_clear_sentence(client, tmp_path, case, message):
    value, _ = client.predict("coffee", api_name="/compare_example")
    editor = _editor(value)
    methods = FAST
    if case == "full":
        Image.fromarray(np.full((341, 512, 4), 200, np.uint8), "RGBA").save(tmp_path / "full.png")
        editor["layers"] = [handle_file(str(tmp_path / "full.png"))]
    elif case == "no_image":
        editor = None
    elif case == "no_method":
        value, _ = client.predict(editor, "centre", 0, api_name="/compare_preset_mask")
        editor, methods = _editor(value), []
    with pytest.raises(Exception) as excinfo:
        client.predict(value=editor, **_only(client, methods), api_name="/compare_run")
    assert message in _error_text(excinfo)


def test_card_shows_idea_formula_and_citation(client):
    card = client.predict("harmonic", api_name="/compare_card")
    assert "Idea." in card and "$$" in card and "doi" in card.lower()


# Bad numbers from the controls: the API (and a scripted client) can send what the browser's sliders
# never would: NaN, infinity, None (an emptied field), a bool, a fraction, a value out of range.
# Each is one gr.Error sentence naming the parameter (or the seed), never Gradio's bare "Error".
# gradio_client refuses to encode NaN and infinity itself, so those go as JSON literals over plain HTTP.
def _raw_call(url: str, api_name: str, data_json: str) -> tuple[str, dict | list]:
    """POST ``{"data": data_json}`` (raw JSON text, so NaN and Infinity literals pass) to a named
    endpoint and wait for its result: ("complete" or "error", payload)."""
    import json

    import httpx

    base = url.rstrip("/") + "/gradio_api"
    reply = httpx.post(f"{base}/call/{api_name}", content='{"data": %s}' % data_json,
                       headers={"content-type": "application/json"}, timeout=30)
    reply.raise_for_status()
    event, payload = "", None
    with httpx.stream("GET", f"{base}/call/{api_name}/{reply.json()['event_id']}", timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in {"complete", "error"}:
                payload = json.loads(line.split(":", 1)[1])
                break
    return event, payload


def _uploaded_editor(url: str, tmp_path) -> dict:
    """An editor value whose background is a PNG uploaded to the server, with a centre hole layer."""
    import httpx

    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)).save(tmp_path / "bg.png")
    layer = np.zeros((64, 96, 4), np.uint8)
    layer[20:40, 30:60] = (255, 45, 45, 153)
    Image.fromarray(layer, "RGBA").save(tmp_path / "layer.png")
    files = []
    for name in ("bg.png", "layer.png"):
        with open(tmp_path / name, "rb") as handle:
            reply = httpx.post(url.rstrip("/") + "/gradio_api/upload",
                               files=[("files", (name, handle.read(), "image/png"))], timeout=30)
        reply.raise_for_status()
        files.append({"path": reply.json()[0], "meta": {"_type": "gradio.FileData"}, "orig_name": name})
    return {"background": files[0], "layers": [files[1]], "composite": None}


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("controls, words", [
    ({"telea__radius": None}, ("radius", "telea", "integer")),
    ({"telea__radius": True}, ("radius", "telea", "true / false")),
    ({"telea__radius": 2.5}, ("radius", "telea", "integer")),
    ({"telea__radius": 1000}, ("radius", "telea", "at most 30")),
    ({"telea__radius": 1e300}, ("radius", "telea", "at most 30")),
    ({"telea__radius": -4}, ("radius", "telea", "at least 1")),
    ({"telea__radius": "nan"}, ("radius", "telea", "finite")),
    ({"telea__radius": "1e400"}, ("radius", "telea", "finite")),
    ({"telea__radius": "abc"}, ("radius", "telea", "integer")),
    ({"telea__radius": [3]}, ("radius", "telea", "integer")),
    ({"seed": -1}, ("seed", "whole number")),
    ({"seed": 2**64}, ("seed", "whole number")),
    ({"seed": 1.5}, ("seed", "whole number")),
    ({"seed": "nan"}, ("seed", "whole number")),
], ids=lambda v: repr(v)[:40])
def test_bad_numbers_from_the_controls_name_the_parameter(client, controls, words):
    value, _ = client.predict("coffee", api_name="/compare_example")
    value, _ = client.predict(_editor(value), "centre", 0, api_name="/compare_preset_mask")
    with pytest.raises(Exception) as excinfo:
        client.predict(value=_editor(value), **_only(client, ["telea"]), **controls, api_name="/compare_run")
    text = _error_text(excinfo)
    for word in words:
        assert word in text, text


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("target", ["telea__radius", "seed"])
def test_nan_and_infinity_over_http_name_the_parameter(client, app_server, tmp_path, literal, target):
    import json

    url, _ = app_server
    info = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/compare_run"]
    values = {p["parameter_name"]: p.get("parameter_default") for p in info["parameters"]}
    values.update(_only(client, ["telea"]), value=_uploaded_editor(url, tmp_path))
    parts = [literal if name == target else json.dumps(values[name]) for name in values]
    event, payload = _raw_call(url, "compare_run", "[" + ", ".join(parts) + "]")
    assert event == "error", payload
    words = ("radius", "telea", "finite") if target != "seed" else ("seed", "whole number")
    for word in words:
        assert word in (payload or {}).get("error", ""), payload


@pytest.mark.parametrize("seed", [-1, 2**64, 0.5, "nan"], ids=repr)
def test_bad_mask_seed_names_the_mask_seed(client, app_server, tmp_path, seed):
    import json

    value, _ = client.predict("coffee", api_name="/compare_example")
    for api_name in ("/compare_preset_mask", "/compare_preset_reroll"):
        with pytest.raises(Exception) as excinfo:
            client.predict(_editor(value), "centre", seed, api_name=api_name)
        assert "mask seed must be a whole number" in _error_text(excinfo)
    url, _ = app_server
    editor = json.dumps(_uploaded_editor(url, tmp_path))
    for literal in ("NaN", "Infinity"):
        event, payload = _raw_call(url, "compare_preset_mask", f'[{editor}, "centre", {literal}]')
        assert event == "error" and "mask seed must be a whole number" in (payload or {}).get("error", ""), payload


def test_numbers_from_the_api_that_are_fine_still_run(client):
    """A slider's float (5.0) for an integer parameter, a float seed (3.0) and an empty seed field are accepted."""
    value, _ = client.predict("coffee", api_name="/compare_example")
    value, _ = client.predict(_editor(value), "centre", 2.0, api_name="/compare_preset_mask")
    for seed in (3.0, None):
        job = client.submit(value=_editor(value), **_only(client, ["telea"]), telea__radius=5.0, seed=seed,
                            api_name="/compare_run")
        job.result()
        status = job.outputs()[-1][3]
        assert status.startswith("Done") and "failed" not in status, status
