"""The Applications tab through gradio_client: load an example, detect, fill with a fast method."""

from __future__ import annotations

import numpy as np

from inpaint_core.imageio import load_image
from inpaint_core.masks import mask_from_layers

from tests.netutil import free_port


def test_repair_through_client():
    import gradio as gr
    from gradio_client import Client, handle_file

    from inpaint_app.apps_tab import build_apps_tab
    from inpaint_core.services.apps import AppsService

    with gr.Blocks() as demo:
        build_apps_tab(AppsService(max_side=256, time_limit=60))
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        _editor, line = client.predict("chelsea", "heavy", 3, api_name="/apps_repair_example")
        assert "Chelsea" in line
        editor, line = client.predict(api_name="/apps_repair_detect")
        assert "precision" in line
        photo = load_image(editor["background"])[..., :3]
        mask = mask_from_layers([load_image(editor["layers"][0])], photo.shape[:2]) \
            if editor["layers"] else np.zeros(photo.shape[:2], bool)
        assert mask.any() and not mask.all()
        value = {"background": handle_file(editor["background"]),
                 "layers": [handle_file(p) for p in editor["layers"]], "composite": None}
        tiles, table, zip_path, status = client.predict(value, ["telea"], 0, api_name="/apps_repair_fill")
        assert len(tiles) == 1 and tiles[0]["caption"].startswith("Telea")
        result = load_image(tiles[0]["image"])[..., :3]
        assert np.array_equal(result[~mask], photo[~mask])  # known pixels bit-identical to the input
        assert not np.array_equal(result[mask], photo[mask])
        assert {"PSNR", "SSIM", "VIF"} <= set(table["headers"]) and len(table["data"]) == 2
        assert zip_path.endswith(".zip") and "scored" in status
    finally:
        demo.close()
