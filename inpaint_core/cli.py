"""Command line: ``python -m inpaint_core {methods,run,compare,mask}``.

Bad input exits with status 2 and one line on stderr (no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .base import FAMILY_ORDER, all_methods, get_method
from .errors import InpaintInputError, MethodCancelled, MethodUnavailable


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


def cmd_run(args) -> int:
    from .base import inpaint
    from .imageio import save_image

    image, mask = _load_pair(args.image, args.mask)
    method = get_method(args.method)
    out = inpaint(image, mask, method, _parse_params(args.param), seed=args.seed)
    save_image(args.out, out)
    print(f"{method.name}: wrote {args.out}")
    return 0


def cmd_compare(args) -> int:
    from .engine import compare_iter, results_table
    from .imageio import save_image

    image, mask = _load_pair(args.image, args.mask)
    if args.methods:
        names = [n.strip() for n in args.methods.split(",") if n.strip()]
    else:
        names = [m.name for m in all_methods() if m.speed == "fast" and m.availability()[0]]
    params = json.loads(args.params) if args.params else {}
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for result in compare_iter(image, mask, names, params=params, seed=args.seed, time_limit=args.time_limit):
        results.append(result)
        if result.output is not None:
            save_image(out_dir / f"{result.method}.png", result.output)
        print(result.label(), flush=True)
    save_image(out_dir / "mask.png", mask)
    table = results_table(results, mask)
    table.to_csv(out_dir / "metrics.csv", index=False)
    print(f"wrote {len(results)} results and metrics.csv to {out_dir}")
    return 0 if all(r.status == "ok" for r in results) else 1


def cmd_mask(args) -> int:
    from .imageio import load_image, save_image
    from .masks import generate_mask, hole_percent

    if args.image:
        shape = load_image(args.image).shape[:2]
    else:
        shape = (args.height, args.width)
    mask = generate_mask(args.kind, shape, args.seed)
    save_image(args.out, mask)
    print(f"{args.kind}: {hole_percent(mask):.1f} % hole, wrote {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .masks import MASK_PRESETS

    parser = argparse.ArgumentParser(prog="python -m inpaint_core", description="Inpaint Lab: compare inpainting methods.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("methods", help="list the registered methods")
    p.add_argument("--json", action="store_true", help="full metadata as JSON")
    p.set_defaults(func=cmd_methods)

    p = sub.add_parser("run", help="fill one hole with one method")
    p.add_argument("--method", required=True)
    p.add_argument("--image", required=True)
    p.add_argument("--mask", required=True, help="mask file, nonzero = hole")
    p.add_argument("--out", required=True)
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="method parameter (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="run several methods and write DIR/<method>.png and DIR/metrics.csv")
    p.add_argument("--image", required=True)
    p.add_argument("--mask", required=True, help="mask file, nonzero = hole")
    p.add_argument("--out", required=True)
    p.add_argument("--methods", help="comma-separated names (default: every fast method)")
    p.add_argument("--params", help='JSON: {"method": {"param": value}}')
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=120.0, help="seconds per method")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("mask", help="write a generated mask (255 = hole)")
    p.add_argument("--kind", required=True, choices=sorted(MASK_PRESETS))
    p.add_argument("--out", required=True)
    p.add_argument("--image", help="take the size from this image")
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--height", type=int, default=512)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_mask)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (InpaintInputError, MethodUnavailable, MethodCancelled) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:
        print(f"error: --params is not valid JSON ({exc.msg}).", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
