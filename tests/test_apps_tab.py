"""The Applications tab through gradio_client: load an example, detect, fill with a fast method."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_core.imageio import load_image
from inpaint_core.masks import mask_from_layers

from tests.netutil import free_port


@pytest.fixture(scope="module")
def client():
    """One server with the Applications tab for the whole module (each test is its own client session)."""
    import gradio as gr
    from gradio_client import Client

    from inpaint_app.apps_tab import build_apps_tab
    from inpaint_core.services.apps import AppsService

    with gr.Blocks() as demo:
        build_apps_tab(AppsService(max_side=256, time_limit=60))
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield lambda: Client(f"http://127.0.0.1:{port}/", verbose=False)
    finally:
        demo.close()


def test_repair_through_client(client):
    client = client()
    _editor, line = client.predict("chelsea", "heavy", 3, api_name="/apps_repair_example")
    assert "Chelsea" in line
    editor, line = client.predict(api_name="/apps_repair_detect")
    assert "precision" in line
    photo = load_image(editor["background"])[..., :3]
    mask = mask_from_layers([load_image(editor["layers"][0])], photo.shape[:2]) \
        if editor["layers"] else np.zeros(photo.shape[:2], bool)
    assert mask.any() and not mask.all()
    tiles, table, zip_path, status = client.predict(_value(editor), ["telea"], 0, api_name="/apps_repair_fill")
    assert len(tiles) == 1 and tiles[0]["caption"].startswith("Telea")
    result = load_image(tiles[0]["image"])[..., :3]
    assert np.array_equal(result[~mask], photo[~mask])  # known pixels bit-identical to the input
    assert not np.array_equal(result[mask], photo[mask])
    assert {"PSNR", "SSIM", "VIF"} <= set(table["headers"]) and len(table["data"]) == 2
    assert zip_path.endswith(".zip") and "scored" in status


def _value(editor):
    from gradio_client import handle_file

    return {"background": handle_file(editor["background"]), "layers": [handle_file(p) for p in editor["layers"]],
            "composite": None}


def test_object_removal_through_client(client):
    client = client()
    editor, guides, grow_px, line, _proposals = client.predict("scene", 0, api_name="/apps_remove_example")
    assert "Drawn scene" in line and grow_px > 0
    photo = load_image(editor["background"])[..., :3]
    ball = mask_from_layers([load_image(editor["layers"][0])], photo.shape[:2])
    assert ball.any() and not guides["layers"]  # the ball is brushed; no guide yet
    guides, proposals, line = client.predict(_value(editor), _value(guides), grow_px,
                                             api_name="/apps_remove_propose")
    assert "Proposed 1 guide" in line and len(proposals["value"]) == 1
    drawn = mask_from_layers([load_image(p) for p in guides["layers"]], photo.shape[:2])
    assert drawn.any()
    # unticking the proposal removes it from the guide layer
    cleared = client.predict(_value(guides), [], grow_px, _value(editor), api_name="/apps_remove_toggle")
    assert not mask_from_layers([load_image(p) for p in cleared["layers"]], photo.shape[:2]).any()
    tiles, table, zip_path, status = client.predict(_value(editor), _value(guides), ["patchmatch"], grow_px, True,
                                                    0, api_name="/apps_remove_fill")
    captions = [t["caption"] for t in tiles]
    assert len(tiles) == 2 and "1 guide" in captions[0] and "no guides" in captions[1], captions
    for tile in tiles:
        result = load_image(tile["image"])[..., :3]
        hole = np.zeros_like(ball)
        hole[:] = ~np.all(result == photo, axis=2)
        assert not (hole & ~_grown(ball, grow_px)).any()  # only the grown object changed
    rows = {r[0]: r for r in table["data"]}
    psnr = table["headers"].index("Hole PSNR")
    with_guide, without = (rows[c.split(" · ")[0]][psnr] for c in captions)
    assert with_guide > without + 1.0, (with_guide, without)  # the wire goes on through the ball
    assert zip_path.endswith(".zip") and "scored" in status


def _grown(mask, px):
    from inpaint_core.apps.remove import grow

    return grow(mask, int(px))


def test_demosaicing_through_client(client):
    client = client()
    _editor, line = client.predict("coffee", 4, 1, api_name="/apps_demosaic_example")
    assert "4 px mosaic" in line
    editor, line = client.predict(api_name="/apps_demosaic_detect")
    assert "Found a 4 px mosaic" in line and float(line.rsplit(" ", 1)[1]) >= 0.9, line
    photo = load_image(editor["background"])[..., :3]
    region = mask_from_layers([load_image(p) for p in editor["layers"]], photo.shape[:2])
    tiles, table, _zip, status = client.predict(_value(editor), ["mosaic_nearest", "mosaic_bicubic"], 0,
                                                api_name="/apps_demosaic_fill")
    assert len(tiles) == 2 and status.startswith("Restored")
    for tile in tiles:
        result = load_image(tile["image"])[..., :3]
        np.testing.assert_array_equal(result[~region], photo[~region])
    psnr = table["headers"].index("Hole PSNR")
    nearest, bicubic = (row[psnr] for row in table["data"][1:])
    assert bicubic > nearest + 0.5


def test_deblurring_and_deraining_through_client(client, require_available):
    client = client()
    for app, methods, learned in (("deblur", ["deblur_unsharp", "deblur_richardson_lucy", "deblurgan"], "DeblurGAN"),
                                  ("derain", ["derain_none", "derain_guided_median", "did_mdn"], "DID-MDN")):
        require_available(methods[-1])
        _photo, line = client.predict("chelsea", "heavy", 1, api_name=f"/apps_{app}_example")
        assert "heavy" in line
        tiles, table, zip_path, status = client.predict(methods, 0, api_name=f"/apps_{app}_fill")
        assert len(tiles) == 3 and status.startswith("Restored 100.00 %") and zip_path.endswith(".zip")
        psnr = table["headers"].index("PSNR")
        scores = {r[0]: r[psnr] for r in table["data"]}
        degraded = scores["(input, degraded)"]
        best = next(v for k, v in scores.items() if k.startswith(("Richardson", "Guided")))
        assert best > degraded + 0.5, (app, scores)  # quality itself: tests/test_restoration.py
        assert next(v for k, v in scores.items() if k.startswith(learned)) > degraded + 0.5, (app, scores)
