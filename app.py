"""Inpaint Lab: compare image-inpainting methods side by side, browse the gallery, vote.

Run ``python app.py`` (honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT like any Gradio app).
Settings: see ``inpaint_app/config.py`` (INPAINT_LAB_* environment variables).
"""

from __future__ import annotations

import gradio as gr

from inpaint_app.apps_tab import build_apps_tab
from inpaint_app.compare_tab import build_compare_tab
from inpaint_app.config import AppConfig
from inpaint_app.gallery_tab import build_gallery_tab
from inpaint_app.vote_tab import build_vote_tab, make_study_service
from inpaint_core.services.apps import AppsService
from inpaint_core.services.compare import CompareService
from inpaint_core.services.gallery import GalleryService

TITLE = "Inpaint Lab"
INTRO = (
    "Sketch a hole on a photo and watch every inpainting method fill it, side by side, with PSNR, SSIM and VIF "
    "against the intact original. Browse the precomputed gallery, or take part in the human-preference study."
)


def build_app(config: AppConfig | None = None) -> gr.Blocks:
    config = config or AppConfig.from_env()
    # delete_cache: Gradio removes its cached files (uploads, results) older than an hour, hourly
    with gr.Blocks(title=TITLE, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        with gr.Tabs():
            with gr.Tab("Compare", id="compare"):
                build_compare_tab(CompareService(max_side=config.max_side, time_limit=config.time_limit,
                                                 recent_dir=config.recent_dir), config)
            with gr.Tab("Applications", id="applications"):
                build_apps_tab(AppsService(max_side=config.max_side, time_limit=config.time_limit))
            with gr.Tab("Gallery", id="gallery"):
                build_gallery_tab(GalleryService(config.gallery_dir))
            with gr.Tab("Vote", id="vote"):
                build_vote_tab(make_study_service(config), config)
    return demo


if __name__ == "__main__":
    build_app().queue(default_concurrency_limit=4).launch()
