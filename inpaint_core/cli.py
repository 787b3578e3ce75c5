"""Command line: ``python -m inpaint_core {methods,metrics,run,compare,mask,apps}``.

Bad input exits with status 2 and one line on stderr (no traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from .base import FAMILY_ORDER, MAX_SEED, check_seed
from .errors import InpaintInputError, MethodCancelled, MethodUnavailable
from .registry import all_methods, get_method

MAX_TIME_LIMIT = 24 * 3600.0  # seconds; beyond it a thread join overflows, and nobody waits a day


# ------------------------------------------------------------------ parsing shared with gallery/__main__.py
class OneLineParser(argparse.ArgumentParser):
    """argparse with usage errors as one line on stderr (``error: ...``) and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message}.\n")


def _number_text(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def seconds_type(text: str) -> float:
    """argparse type: a time limit, in (0, MAX_TIME_LIMIT] seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {_number_text(text)!r}") from None
    if not math.isfinite(value) or not 0 < value <= MAX_TIME_LIMIT:
        raise argparse.ArgumentTypeError(
            f"the time limit must be more than 0 and at most {MAX_TIME_LIMIT:.0f} seconds, got {_number_text(text)!r}"
        )
    return value


def seed_type(text: str) -> int:
    """argparse type: a seed, a whole number in [0, MAX_SEED]."""
    try:
        return check_seed(int(text.strip()) if len(text) < 40 else float("nan"))
    except (ValueError, InpaintInputError):
        raise argparse.ArgumentTypeError(
            f"the seed must be a whole number from 0 to {MAX_SEED}, got {_number_text(text)!r}"
        ) from None


def int_range_type(what: str, lowest: int, highest: int):
    """argparse type: a whole number in [lowest, highest], refused with a sentence naming ``what``."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip()) if len(text) < 40 else None
        except ValueError:
            value = None
        if value is None or not lowest <= value <= highest:
            raise argparse.ArgumentTypeError(
                f"{what} must be a whole number from {lowest} to {highest}, got {_number_text(text)!r}"
            )
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def method_list(text: str | None, option: str = "--methods") -> list[str] | None:
    """A comma-separated list of method names, each checked (None when ``text`` is None)."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InpaintInputError(
            f"{option} names no method; give comma-separated names (see python -m inpaint_core methods)."
        )
    for name in names:
        get_method(name)  # unknown names: one sentence listing the known ones
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InpaintInputError(f"{option} lists {', '.join(map(repr, repeated))} more than once.")
    return names


def check_method_params(params: object, methods: list[str], option: str = "--params") -> dict[str, dict]:
    """``{method: {param: value}}`` checked against the methods that will run: the shape,
    every method name, and every value (through the method's declared parameters)."""
    if not isinstance(params, dict):
        raise InpaintInputError(
            f'{option} must be a JSON object of method name to parameters, such as {{"telea": {{"radius": 5}}}}; '
            f"got {_number_text(repr(params))}."
        )
    for name, values in params.items():
        impl = get_method(name)
        if name not in methods:
            raise InpaintInputError(
                f"{option} sets parameters of {name!r}, which is not among the methods run ({', '.join(methods)})."
            )
        if not isinstance(values, dict):
            raise InpaintInputError(
                f'{option}: the parameters of {name!r} must be an object such as {{"radius": 5}}; '
                f"got {_number_text(repr(values))}."
            )
        impl.resolve_params(values)
    return params


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InpaintInputError(f"--param expects key=value; got {pair!r}.")
        key, value = pair.split("=", 1)
        params[key.strip()] = value.strip()
    return params


def _load_pair(image_path: str, mask_path: str):
    from .imageio import load_image, load_mask

    image = load_image(image_path)
    mask = load_mask(mask_path, image.shape[:2])
    if not mask.any():
        raise InpaintInputError(f"The mask {Path(mask_path).name} marks no pixel as a hole (nonzero = hole).")
    return image, mask


def cmd_methods(args) -> int:
    methods = all_methods()
    if args.json:
        print(json.dumps([m.describe() for m in methods], indent=2))
        return 0
    width = max(len(m.name) for m in methods)
    for family in FAMILY_ORDER:
        members = [m for m in methods if m.family == family]
        if members:
            print(f"{family}:")
            for m in members:
                ok, why = m.availability()
                note = "" if ok else f"  [unavailable: {why}]"
                print(f"  {m.name:<{width}}  {m.title} ({m.citation.short()}; {m.speed}){note}")
    return 0


def cmd_metrics(args) -> int:
    from .metrics import METRICS, SSIM_VARIANT

    rows = [{"name": m.name, "label": m.label, "unit": m.unit, "higher_is_better": m.higher_is_better,
             "digits": m.digits, "region": m.region, "paper": m.paper} for m in METRICS.values()]
    if args.json:
        print(json.dumps({"metrics": rows, "ssim_variant": SSIM_VARIANT}, indent=2))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        where = "the whole image" if r["region"] == "image" else "the hole's pixels"
        unit = f" ({r['unit']})" if r["unit"] else ""
        print(f"  {r['name']:<{width}}  {r['label']}{unit}, over {where}, {'higher' if r['higher_is_better'] else 'lower'}"
              f" is better{'; ' + r['paper'] if r['paper'] else ''}")
    print(f"SSIM variant: {SSIM_VARIANT}")
    return 0


def cmd_run(args) -> int:
    from .api import inpaint
    from .imageio import check_output_file, save_image

    check_output_file(args.out)  # before any work: a bad path fails now, not after the run
    method = get_method(args.method)
    params = _parse_params(args.param)
    method.resolve_params(params)
    image, mask = _load_pair(args.image, args.mask)
    out = inpaint(image, mask, method, params, seed=args.seed)
    save_image(args.out, out)
    print(f"{method.name}: wrote {args.out}")
    return 0


def cmd_compare(args) -> int:
    from .engine import compare_iter, results_table
    from .problem import Problem
    from .imageio import check_output_dir, save_image

    out_dir = check_output_dir(args.out)  # before any work
    names = method_list(args.methods)
    if names is None:
        names = [m.name for m in all_methods() if m.speed == "fast" and m.availability()[0]]
    params = check_method_params(_load_json(args.params), names) if args.params is not None else {}
    image, mask = _load_pair(args.image, args.mask)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InpaintInputError(f"Cannot create the output folder {out_dir} ({exc.strerror or exc}).") from None
    results = []
    for result in compare_iter(Problem.check(image, mask), names, params=params, seed=args.seed, time_limit=args.time_limit):
        results.append(result)
        if result.output is not None:
            save_image(out_dir / f"{result.method}.png", result.output)
        print(result.label(), flush=True)
    save_image(out_dir / "mask.png", mask)
    table = results_table(results, mask)
    table.to_csv(out_dir / "metrics.csv", index=False)
    print(f"wrote {len(results)} results and metrics.csv to {out_dir}")
    return 0 if all(r.status == "ok" for r in results) else 1


def _load_json(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InpaintInputError(f"--params is not valid JSON ({exc.msg} at character {exc.pos}).") from None
    except ValueError as exc:  # an integer literal of thousands of digits
        raise InpaintInputError(f"--params could not be read ({exc}).") from None


def cmd_mask(args) -> int:
    from .imageio import MAX_PIXELS, check_output_file, load_image, save_image
    from .masks import generate_mask, hole_percent

    check_output_file(args.out)
    if args.image:
        shape = load_image(args.image).shape[:2]
    else:
        shape = (args.height, args.width)
        if args.width * args.height > MAX_PIXELS:
            raise InpaintInputError(
                f"A {args.width}x{args.height} mask has more than the {MAX_PIXELS:,} pixels supported."
            )
    mask = generate_mask(args.kind, shape, args.seed)
    save_image(args.out, mask)
    print(f"{args.kind}: {hole_percent(mask):.1f} % hole, wrote {args.out}")
    return 0


def _check_app_outputs(args) -> None:
    from .imageio import check_output_file

    check_output_file(args.out)  # before any work
    check_output_file(args.mask_out)
    if Path(args.out).resolve() == Path(args.mask_out).resolve():
        raise InpaintInputError("--out and --mask-out name the same file; give two different files.")
    get_method(args.method)


def cmd_apps_repair(args) -> int:
    from .apps.repair import repair
    from .imageio import load_image, save_image

    _check_app_outputs(args)
    result = repair(load_image(args.image), method=args.method, seed=args.seed)
    save_image(args.out, result.output)
    save_image(args.mask_out, result.mask)
    print(json.dumps(result.summary()))
    return 0


def cmd_apps_dewatermark(args) -> int:
    from .apps.dewatermark import dewatermark
    from .imageio import load_image, save_image

    _check_app_outputs(args)
    image = load_image(args.image)
    template = load_image(args.template)
    result = dewatermark(image, template, method=args.method, unblend_mark=args.unblend, seed=args.seed)
    save_image(args.out, result.output)
    save_image(args.mask_out, result.mask)
    print(json.dumps(result.summary()))
    return 0


def _check_outputs(*paths) -> None:
    """Every output path given (None: not asked for) is writable, checked before any work."""
    from .imageio import check_output_file

    for path in paths:
        if path:
            check_output_file(path)


def _write_app_result(summary: dict, files: dict) -> int:
    """Write each asked-for file (path -> a function giving its array; None paths are skipped), then
    print the summary as one JSON line."""
    from .imageio import save_image

    for path, array in files.items():
        if path:
            save_image(path, array())
    print(json.dumps(summary))
    return 0


def cmd_apps_remove(args) -> int:
    from .apps.remove import guides_image, remove_object
    from .imageio import load_image, load_mask

    _check_outputs(args.out, args.mask_out, args.guides_out)  # before any work
    get_method(args.method)
    image = load_image(args.image)
    mask = load_mask(args.mask)
    guides = None if args.guides is None else ("auto" if args.guides == "auto" else load_mask(args.guides))
    result = remove_object(image, mask, guides=guides, method=args.method, grow_px=args.grow, patch=args.patch,
                           seed=args.seed)
    return _write_app_result(result.summary(), {args.out: lambda: result.output, args.mask_out: lambda: result.mask,
                                                args.guides_out: lambda: guides_image(result.mask.shape, result.guides)})


def cmd_apps_demosaic(args) -> int:
    from .apps.demosaic import demosaic
    from .imageio import load_image, load_mask

    _check_outputs(args.out, args.mask_out)  # before any work
    from .restoration import get_restoration

    get_restoration(args.method, "demosaic")
    image = load_image(args.image)
    mask = load_mask(args.mask) if args.mask else None
    result = demosaic(image, block=args.block, mask=mask, method=args.method, seed=args.seed)
    return _write_app_result(result.summary(), {args.out: lambda: result.output, args.mask_out: lambda: result.mosaic.mask})


def cmd_apps_restore(args) -> int:
    """``apps deblur`` / ``apps derain``: one restoration method over the whole photo."""
    import time

    from .imageio import check_output_file, load_image, save_image
    from .restoration import get_restoration, restore

    check_output_file(args.out)  # before any work
    method = get_restoration(args.method, args.app)
    image = load_image(args.image)
    extra = {}
    if getattr(args, "kernel", None):
        extra["kernel"] = load_image(args.kernel).astype("float64")
    elif "kernel" in method.needs:
        raise InpaintInputError(f"{method.title} is non-blind: give the blur kernel with --kernel K (an image).")
    start = time.perf_counter()
    out = restore(image, method, seed=args.seed, **extra)
    save_image(args.out, out)
    print(json.dumps({"application": args.app, "method": method.name, "seconds": round(time.perf_counter() - start, 3),
                      "size": [int(image.shape[1]), int(image.shape[0])]}))
    return 0


def cmd_apps_list(args) -> int:
    from .apps import APPLICATIONS

    listing = {app: [m.name for m in methods()] for app, (_, methods) in APPLICATIONS.items()}
    if args.json:
        print(json.dumps(listing))
        return 0
    for app, (title, _) in APPLICATIONS.items():
        print(f"{app:<12} {title}: {', '.join(listing[app])}")
    return 0


def _add_apps(sub) -> None:
    from .apps.dewatermark import DEFAULT_METHOD as WM_METHOD
    from .apps.remove import DEFAULT_METHOD as REMOVE_METHOD
    from .apps.remove import MAX_GROW
    from .apps.repair import DEFAULT_METHOD as REPAIR_METHOD

    apps = sub.add_parser("apps", help="applications: photo repair, de-watermarking, object removal, de-mosaicing, de-blurring, de-raining").add_subparsers(
        dest="app", required=True)
    p = apps.add_parser("repair", help="detect scratches, dust, stamps and tears, and fill them")
    p.add_argument("--image", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--mask-out", required=True, help="where to write the detected damage (255 = filled)")
    p.add_argument("--method", default=REPAIR_METHOD)
    p.add_argument("--seed", type=seed_type, default=0)
    p.set_defaults(func=cmd_apps_repair)
    p = apps.add_parser("dewatermark", help="find a known mark (SIFT + FLANN + RANSAC) and remove it")
    p.add_argument("--image", required=True)
    p.add_argument("--template", required=True, help="the mark: RGBA (alpha = footprint) or RGB on a plain background")
    p.add_argument("--out", required=True)
    p.add_argument("--mask-out", required=True, help="where to write the mask that was inpainted (255)")
    p.add_argument("--method", default=WM_METHOD)
    p.add_argument("--unblend", action="store_true", help="invert a semi-transparent mark; inpaint only the rest")
    p.add_argument("--seed", type=seed_type, default=0)
    p.set_defaults(func=cmd_apps_dewatermark)
    p = apps.add_parser("remove", help="remove an object, continuing contours along guide curves (Sun et al. 2005)")
    p.add_argument("--image", required=True)
    p.add_argument("--mask", required=True, help="the object: nonzero (or alpha > 0) pixels are removed")
    p.add_argument("--guides", default=None, help="guide curves (nonzero pixels = curves), or 'auto' to propose them "
                   "from edges entering and leaving the object; none: no structure step")
    p.add_argument("--out", required=True)
    p.add_argument("--mask-out", default=None, help="where to write the mask that was filled (255), after --grow")
    p.add_argument("--guides-out", default=None, help="where to write the guides used (255 = on a guide)")
    p.add_argument("--method", default=REMOVE_METHOD, help="fills the rest of the hole once the structure is in")
    p.add_argument("--grow", type=int_range_type("--grow", 0, MAX_GROW), default=0,
                   help="grow the mask by this many px first (shadows, halos)")
    p.add_argument("--patch", type=int_range_type("--patch", 5, 21), default=9, help="patch side along the guides (odd)")
    p.add_argument("--seed", type=seed_type, default=0)
    p.set_defaults(func=cmd_apps_remove)
    from .apps.demosaic import DEFAULT_METHOD as MOSAIC_METHOD
    from .restoration import DEFAULT_METHODS

    p = apps.add_parser("demosaic", help="find a mosaicked (pixelated) region and restore it")
    p.add_argument("--image", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--block", type=int_range_type("--block", 2, 64), default=None,
                   help="the mosaic's block size in px (default: detected)")
    p.add_argument("--mask", default=None, help="the mosaicked region, nonzero pixels (default: detected)")
    p.add_argument("--mask-out", default=None, help="where to write the region that was restored (255)")
    p.add_argument("--method", default=MOSAIC_METHOD)
    p.add_argument("--seed", type=seed_type, default=0)
    p.set_defaults(func=cmd_apps_demosaic)
    p = apps.add_parser("deblur", help="restore a motion-blurred photo")
    p.add_argument("--image", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--method", default=DEFAULT_METHODS["deblur"])
    p.add_argument("--kernel", default=None, help="the true blur kernel as an image, for the non-blind methods")
    p.add_argument("--seed", type=seed_type, default=0)
    p.set_defaults(func=cmd_apps_restore)
    p = apps.add_parser("derain", help="remove rain streaks from a photo")
    p.add_argument("--image", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--method", default=DEFAULT_METHODS["derain"])
    p.add_argument("--seed", type=seed_type, default=0)
    p.set_defaults(func=cmd_apps_restore)
    p = apps.add_parser("list", help="every application and the methods it can use")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_apps_list)


def build_parser() -> argparse.ArgumentParser:
    from .imageio import MAX_PIXELS, MIN_SIDE
    from .masks import MASK_PRESETS

    side = int_range_type("the side", MIN_SIDE, MAX_PIXELS // MIN_SIDE)
    parser = OneLineParser(prog="python -m inpaint_core", description="Inpaint Lab: compare inpainting methods.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("methods", help="list the registered methods")
    p.add_argument("--json", action="store_true", help="full metadata as JSON")
    p.set_defaults(func=cmd_methods)

    p = sub.add_parser("metrics", help="list the metrics every table reports")
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("run", help="fill one hole with one method")
    p.add_argument("--method", required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--mask", required=True, help="mask file, nonzero = hole")
    p.add_argument("--out", required=True)
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="method parameter (repeatable)")
    p.add_argument("--seed", type=seed_type, default=0)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="run several methods and write DIR/<method>.png and DIR/metrics.csv")
    p.add_argument("--image", required=True)
    p.add_argument("--mask", required=True, help="mask file, nonzero = hole")
    p.add_argument("--out", required=True)
    p.add_argument("--methods", help="comma-separated names (default: every fast method)")
    p.add_argument("--params", help='JSON: {"method": {"param": value}}')
    p.add_argument("--seed", type=seed_type, default=0)
    p.add_argument("--time-limit", type=seconds_type, default=120.0, help="seconds per method")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("mask", help="write a generated mask (255 = hole)")
    p.add_argument("--kind", required=True, choices=sorted(MASK_PRESETS))
    p.add_argument("--out", required=True)
    p.add_argument("--image", help="take the size from this image")
    p.add_argument("--width", type=side, default=512, help=f"pixels (at least {MIN_SIDE})")
    p.add_argument("--height", type=side, default=512, help=f"pixels (at least {MIN_SIDE})")
    p.add_argument("--seed", type=seed_type, default=0)
    p.set_defaults(func=cmd_mask)
    _add_apps(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InpaintInputError, MethodUnavailable, MethodCancelled) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that vanished or cannot be read or written
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: could not access{where} ({exc.strerror or exc}).", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
