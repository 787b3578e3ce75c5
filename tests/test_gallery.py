"""The gallery builder, the benchmark, the shipped gallery and the Gallery tab."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from gallery.benchmark import bin_label, run_benchmark
from gallery.builder import OUTPUT_EXT, build, read_results, recompute_row
from gallery.specs import CaseSpec, drawn_scene, shipped_cases, square_resize
from inpaint_core import inpaint
from inpaint_core.registry import get_method
from inpaint_core.cases import list_cases, read_case
from inpaint_core.imageio import load_image, load_mask
from inpaint_core.masks import generate_mask
from inpaint_core.metrics import METRICS, psnr, ssim, vif
from tests.netutil import free_port

METHODS = ["telea", "harmonic"]
SHIPPED = Path(__file__).resolve().parent.parent / "gallery" / "data"


def tiny_cases(size: int = 48) -> list[CaseSpec]:
    import skimage.data

    scene = drawn_scene(size)
    camera = square_resize(skimage.data.camera(), size)
    return [
        CaseSpec("scene-centre", "scene", "centre", scene, generate_mask("centre", (size, size), 1), "drawn", 1),
        CaseSpec("camera-thick", "camera", "thick", camera, generate_mask("thick", (size, size), 2), "skimage", 2),
    ]


def _mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_builder_writes_outputs_and_table_then_recomputes_only_what_changed(tmp_path):
    cases = tiny_cases()
    first = build(tmp_path, cases, methods=METHODS, timing_sizes=(32, 48))
    assert sorted(first.computed) == sorted((c.case_id, m) for c in cases for m in METHODS)
    table = read_results(tmp_path)
    assert len(table) == 4 and set(table["status"]) == {"ok"}
    for spec in cases:
        folder = tmp_path / spec.case_id
        assert np.array_equal(load_image(folder / "original.webp"), spec.original)  # lossless ground truth
        assert np.array_equal(load_mask(folder / "mask.png"), spec.mask)
        rows, cols = np.flatnonzero(spec.mask.any(1)), np.flatnonzero(spec.mask.any(0))
        for method in METHODS:
            stored = load_image(folder / f"{method}{OUTPUT_EXT}")  # the hole's box only
            assert stored.shape[:2] == (rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
            # the table scores the output: recompute it independently of the builder
            direct = inpaint(spec.original, spec.mask, method)
            row = table[(table["case"] == spec.case_id) & (table["method"] == method)].iloc[0]
            assert row["psnr_hole"] == pytest.approx(psnr(spec.original, direct, mask=spec.mask), rel=1e-6)
            assert row["ssim"] == pytest.approx(ssim(spec.original, direct), rel=1e-6)
            assert row["hole_percent"] == pytest.approx(100 * spec.mask.mean(), abs=0.01)
            # what a viewer is shown is exactly what was scored: lossless, known pixels the original's
            assert np.array_equal(read_case(folder).image(method), direct)
    timing = pd.read_csv(tmp_path / "timing.csv")
    assert sorted(zip(timing["method"], timing["size"])) == sorted((m, s) for m in METHODS for s in (32, 48))

    before = _mtimes(tmp_path)
    second = build(tmp_path, cases, methods=METHODS, timing_sizes=(32, 48))
    assert second.computed == [] and second.timed == [] and second.skipped == 4
    assert {k: v for k, v in _mtimes(tmp_path).items() if k != "results.csv"} == {
        k: v for k, v in before.items() if k != "results.csv"}

    third = build(tmp_path, cases, methods=METHODS, params={"telea": {"radius": 2}}, timing_sizes=(32, 48))
    assert sorted(third.computed) == sorted((c.case_id, "telea") for c in cases)
    assert sorted(third.timed) == [("telea", 32), ("telea", 48)]
    after = read_results(tmp_path)
    old_h, new_h = (t[t["method"] == "harmonic"].set_index("case") for t in (table, after))
    pd.testing.assert_frame_equal(old_h, new_h)
    new_t = after[after["method"] == "telea"]
    assert (new_t["params"].map(json.loads) == [{"radius": 2}] * 2).all()
    assert set(new_t["params_hash"]).isdisjoint(set(table.loc[table["method"] == "telea", "params_hash"]))


def test_rescore_fills_a_new_metric_from_the_stored_images(tmp_path):
    """A metric added after a build is computed from the stored fills, which are lossless: the
    same value as on the method's output itself."""
    from gallery.builder import rescore

    cases = tiny_cases()
    build(tmp_path, cases, methods=METHODS, timing_sizes=None)
    table = pd.read_csv(tmp_path / "results.csv")
    table["vif"] = np.nan  # as built before VIF was registered
    table.to_csv(tmp_path / "results.csv", index=False)
    assert rescore(tmp_path, only_missing=True) == 4
    again = read_results(tmp_path)
    for spec in cases:
        for method in METHODS:
            row = again[(again["case"] == spec.case_id) & (again["method"] == method)].iloc[0]
            direct = inpaint(spec.original, spec.mask, method)
            assert row["vif"] == pytest.approx(vif(spec.original, direct), rel=1e-9)
    assert rescore(tmp_path, only_missing=True) == 0


def test_builder_recomputes_on_version_bump_and_changed_case(tmp_path, monkeypatch):
    cases = tiny_cases()
    build(tmp_path, cases, methods=METHODS, timing_sizes=None)
    monkeypatch.setattr(type(get_method("harmonic")), "version", "test-bump")
    bumped = build(tmp_path, cases, methods=METHODS, timing_sizes=None)
    assert sorted(bumped.computed) == sorted((c.case_id, "harmonic") for c in cases)
    cases[1].mask = generate_mask("thick", cases[1].mask.shape, 99)
    changed = build(tmp_path, cases, methods=METHODS, timing_sizes=None)
    assert sorted(changed.computed) == [("camera-thick", m) for m in sorted(METHODS)]
    assert np.array_equal(load_mask(tmp_path / "camera-thick" / "mask.png"), cases[1].mask)


def test_builder_records_failures_and_goes_on(tmp_path, monkeypatch):
    cases = tiny_cases()
    monkeypatch.setattr(type(get_method("harmonic")), "max_pixels", 10)  # the size guard refuses
    report = build(tmp_path, cases, methods=METHODS, timing_sizes=None)
    table = read_results(tmp_path)
    assert report.statuses == {"ok": 2, "error": 2}
    failed = table[table["method"] == "harmonic"]
    assert (failed["status"] == "error").all() and failed["error"].str.contains("pixels").all()
    assert not any((tmp_path / c.case_id / f"harmonic{OUTPUT_EXT}").exists() for c in cases)
    assert build(tmp_path, cases, methods=METHODS, timing_sizes=None).computed == []  # failures are kept


def test_dask_engine_gives_the_same_rows(tmp_path):
    import distributed  # noqa: F401  (a test requirement: the dask engine runs on a real LocalCluster)

    assert distributed.LocalCluster

    cases = tiny_cases()
    build(tmp_path / "local", cases, methods=METHODS, timing_sizes=None, workers=1)
    build(tmp_path / "dask", cases, methods=METHODS, timing_sizes=None, workers=1, engine="dask")
    local, dask = (read_results(tmp_path / k).drop(columns="seconds") for k in ("local", "dask"))
    pd.testing.assert_frame_equal(local, dask)
    for spec in cases:
        for method in METHODS:
            a, b = (load_image(tmp_path / k / spec.case_id / f"{method}{OUTPUT_EXT}") for k in ("local", "dask"))
            assert np.array_equal(a, b)


def test_benchmark_bins_and_report(tmp_path):
    import skimage.data

    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir(), masks.mkdir()
    cv2.imwrite(str(images / "a.png"), skimage.data.astronaut()[:300, :200, ::-1])
    cv2.imwrite(str(images / "b.png"), skimage.data.coffee()[..., ::-1])
    areas = [0.05, 0.07, 0.15, 0.17, 0.19, 0.35, 0.0]
    for i, area in enumerate(areas):  # a top band covering `area` of a 128 px mask (last one empty)
        mask = np.zeros((128, 128), np.uint8)
        mask[: round(128 * area)] = 255
        cv2.imwrite(str(masks / f"{i:05d}.png"), mask)
    info = run_benchmark(images, masks, tmp_path / "out", methods=["telea"], size=64, per_bin=2)
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    # at most two masks per bin (the third of 10-20 % left out), bin by bin; the empty mask dropped
    assert list(results["mask"]) == ["00000.png", "00002.png", "00005.png", "00001.png", "00003.png"]
    assert list(results["bin"]) == ["0-10 %", "10-20 %", "30-40 %", "0-10 %", "10-20 %"]
    assert [bin_label(p) for p in results["hole_percent"]] == list(results["bin"])
    assert list(results["image"]) == ["a.png", "a.png", "a.png", "b.png", "b.png"]  # each bin cycles over the images
    assert info["n_pairs"] == 5 and (results["status"] == "ok").all()
    report = (tmp_path / "out" / "report.md").read_text()
    assert "psnr_hole_by_bin.svg" in report and (tmp_path / "out" / "psnr_hole_by_bin.svg").exists()
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    overall = summary[summary["bin"] == "all"].iloc[0]
    assert overall["psnr_hole"] == pytest.approx(results["psnr_hole"].mean())


def _webp_is_lossless(path: Path) -> bool:
    """RIFF/WEBP container whose first chunk is VP8L (lossless), read from the bytes themselves."""
    head = path.read_bytes()[:16]
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:16] == b"VP8L"


def test_every_shipped_gallery_image_as_served_keeps_the_known_pixels():
    """Decode every image a gallery visitor or a rater is shown: known pixels bit-identical to the
    original, everything stored losslessly, the original the one the case spec makes."""
    from inpaint_core.study.pairs import PHOTO, PairPool

    cases = list_cases(SHIPPED)
    assert len(cases) >= len(shipped_cases()), "the shipped gallery is missing cases: python -m gallery build"
    pool = PairPool({"gallery": SHIPPED})
    specs = {spec.case_id: spec for spec in shipped_cases()}
    total = 0
    for case in cases:
        assert _webp_is_lossless(case.original_path), case.original_path
        original, hole = load_image(case.original_path), load_mask(case.mask_path)
        assert np.array_equal(original, specs[case.case_id].original), f"{case.case_id}: stale original"
        assert np.array_equal(pool.image(f"gallery/{case.case_id}", PHOTO), original)
        for method, path in case.outputs.items():
            assert _webp_is_lossless(path), path
            for shown in (case.image(method), pool.image(f"gallery/{case.case_id}", method)):
                assert shown.shape == original.shape
                assert np.array_equal(shown[~hole], original[~hole]), f"{case.case_id}/{method}"
            total += 1
    assert total > 800
    assert sum(p.stat().st_size for p in SHIPPED.rglob("*") if p.is_file()) < 40 * 2**20


def test_shipped_gallery_is_current_and_agrees_with_recomputed_rows():
    """Every row of the shipped gallery is up to date with the registered methods (a stale row is a
    failure: rebuild with python -m gallery build), and a seeded sample of fast rows recomputes to
    the stored scores and to the stored images."""
    from gallery.builder import method_key

    table = read_results(SHIPPED)
    assert len(table), "The shipped gallery is not built (python -m gallery build)."
    stale = [f"{r['case']}/{r['method']}" for _, r in table.iterrows()
             if method_key(r["method"], json.loads(r["params"]), int(r["seed"]))[2] != r["params_hash"]]
    assert not stale, f"{len(stale)} stale gallery rows, e.g. {stale[:3]}: run python -m gallery build"
    specs = {spec.case_id: spec for spec in shipped_cases()}
    assert set(table["case"]) == set(specs)
    seed = int(os.environ.get("INPAINT_LAB_TEST_SEED", "0"))
    candidates = table[(table["status"] == "ok") & (table["seconds"] < 2)]
    sample = candidates.sample(n=min(4, len(candidates)), random_state=seed)
    for _, row in sample.iterrows():
        assert specs[row["case"]].content_hash() == row["case_hash"], f"{row['case']}: stored case differs"
        again = recompute_row(SHIPPED, row)
        assert again["status"] == "ok"
        for metric in METRICS:
            assert again[metric] == pytest.approx(row[metric], rel=1e-6, abs=1e-6), (
                f"{row['case']} / {row['method']} / {metric} (sample seed {seed})")
        assert np.array_equal(read_case(SHIPPED / row["case"]).image(row["method"]), again["output"])


def test_gallery_tab_through_client(tmp_path):
    import gradio as gr
    from gradio_client import Client

    from inpaint_app.gallery_tab import build_gallery_tab
    from inpaint_core.services.gallery import GalleryService

    cases = tiny_cases(64)
    build(tmp_path, cases, methods=METHODS, timing_sizes=(32, 64))
    with gr.Blocks() as demo:
        build_gallery_tab(GalleryService(tmp_path))
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        tiles, slider_choice, slider, table, title = client.predict(
            "camera-thick", ["diffusion"], False, api_name="/gallery_case")
        captions = [t["caption"] for t in tiles]
        assert len(tiles) == 2 + len(METHODS)
        for method in METHODS:
            assert any(c.startswith(get_method(method).title) for c in captions)
        shown = [load_image(t["image"]) for t in tiles[2:]]
        assert all(im.shape[:2] == (64, 64) for im in shown)
        assert sorted(table["data"], key=str) and len(table["data"]) == len(METHODS)
        assert "camera-thick" in title
        zoomed, *_ = client.predict("camera-thick", ["diffusion"], True, api_name="/gallery_case")
        assert len(zoomed) == len(tiles)
        board = client.predict("hole-area bin", "psnr_hole", ["diffusion"], api_name="/gallery_leaderboard")
        method_col = board["headers"].index("method")
        assert sorted(r[method_col] for r in board["data"]) == sorted(METHODS)
    finally:
        demo.close()


def test_leaderboard_ranks_only_methods_that_completed_every_case(tmp_path, monkeypatch):
    """A mean over the few cases a method could do is not ranked beside means over all cases."""
    from inpaint_core.services.gallery import GalleryService

    cases = tiny_cases() + [CaseSpec("camera-centre", "camera", "centre", tiny_cases()[1].original,
                                     generate_mask("centre", (48, 48), 3), "skimage", 3)]
    build(tmp_path, cases, methods=METHODS, timing_sizes=None)
    # harmonic "fails" on two of three cases (as Efros-Leung refuses large holes): its mean covers one
    table = pd.read_csv(tmp_path / "results.csv")
    partial = (table["method"] == "harmonic") & (table["case"] != "scene-centre")
    table.loc[partial, "status"] = "error"
    table.loc[(table["method"] == "harmonic") & ~partial, "psnr_hole"] = 99.0  # a best-looking mean
    table.to_csv(tmp_path / "results.csv", index=False)
    board = GalleryService(tmp_path).leaderboard("hole type", "psnr_hole").set_index("method")
    assert board.loc["telea", "rank"] == "1"
    assert board.loc["harmonic", "rank"] == "unranked: 1 of 3 cases"
    assert list(board.index) == ["telea", "harmonic"]


def test_demosaic_cases_are_true_mosaics_restored_by_the_demosaic_methods_only():
    """Each de-mosaicing case's input is the mosaic operator's output over whole grid cells (the hole),
    only the registry's de-mosaicing methods have rows on it, their PSNR is scikit-image's over what a
    visitor sees, and a row recomputes to its stored image."""
    from skimage.metrics import peak_signal_noise_ratio

    from gallery.specs import MOSAIC_CASES
    from inpaint_core.restoration import all_restorations
    from inpaint_core.restoration.demosaic import mosaic, mosaic_cells

    table = read_results(SHIPPED)
    names = {m.name for m in all_restorations("demosaic")}
    assert not (set(table[~table["case"].isin(list(MOSAIC_CASES))]["method"]) & names)
    for case_id in MOSAIC_CASES:
        case = read_case(SHIPPED / case_id)
        block, offset = case.meta["block"], tuple(case.meta["offset"])
        original, hole, damaged = case.original(), case.mask(), case.damaged()
        assert case.meta["task"] == "demosaic" and damaged is not None
        assert np.array_equal(mosaic_cells(hole.shape, block, hole, offset), hole)  # whole cells only
        assert np.array_equal(mosaic(original, block, hole, offset), damaged)
        assert np.array_equal(case.image("mosaic_nearest"), damaged)  # the methods read the mosaic, not the photo
        rows = table[table["case"] == case_id]
        assert set(rows["method"]) == names, case_id
        for _, row in rows[rows["status"] == "ok"].iterrows():
            shown = case.image(row["method"])
            assert row["psnr"] == pytest.approx(peak_signal_noise_ratio(original, shown), abs=1e-6), (case_id, row["method"])
    row = table[(table["case"] == "face-mosaic8") & (table["method"] == "mosaic_bicubic")].iloc[0]
    again = recompute_row(SHIPPED, row)
    assert again["status"] == "ok" and np.array_equal(read_case(SHIPPED / "face-mosaic8").image("mosaic_bicubic"), again["output"])


def test_gallery_shows_a_demosaic_case_with_its_mosaic_and_restorations():
    from inpaint_core.services.gallery import GalleryService

    service = GalleryService(SHIPPED)
    families = service.families()
    assert "demosaic" in families and families[0] != "demosaic"  # after the inpainting families
    view = service.case_view("face-mosaic8", families)
    assert view.tiles[1][1] == "Input: damaged photo"
    assert np.array_equal(view.tiles[1][0], read_case(SHIPPED / "face-mosaic8").damaged())
    assert {name for _, name in view.methods} >= {"mosaic_nearest", "mosaic_bicubic", "mosaic_lanczos"}
    assert all(title.startswith(("Nearest", "Bicubic", "Lanczos", "Face", "Scene")) for title, _ in view.methods)
