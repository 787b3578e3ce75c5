"""Command line: ``python -m gallery build`` and ``python -m gallery benchmark``.

Examples::

    python -m gallery build --workers 2
    python -m gallery build --methods telea,harmonic --engine dask --workers 4
    python -m gallery benchmark --images ../shared/data/benchmark/kodak24 \\
        --masks ../shared/data/masks/nvidia_irregular_test/testing_mask_dataset \\
        --out bench/out/kodak24 --per-bin 100 --bin-by-index 2000 --workers 2
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .benchmark import FAST_METHODS
from .builder import DEFAULT_TIME_LIMIT, TIMING_SIZES

DEFAULT_OUT = Path(__file__).resolve().parent / "data"


def _methods(text: str | None) -> list[str] | None:
    return [m.strip() for m in text.split(",") if m.strip()] if text else None


def _params(items: list[str] | None) -> dict[str, dict]:
    """``method.param=value`` pairs -> {method: {param: value}} (values coerced by the method)."""
    out: dict[str, dict] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot:
            raise SystemExit(f"--param takes method.name=value; got {item!r}.")
        out.setdefault(method, {})[name] = value
    return out


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--methods", help="comma-separated method names (default: see below)")
    parser.add_argument("--param", action="append", metavar="METHOD.NAME=VALUE", help="override a parameter (repeatable)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2; 1 = in this process)")
    parser.add_argument("--engine", choices=("local", "dask"), default="local",
                        help="local process pool (default) or Dask distributed (optional: pip install distributed)")
    parser.add_argument("--scheduler", help="with --engine dask: address of an existing Dask scheduler")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help="seconds per run (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gallery", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build or update the shipped gallery (incremental)")
    _common(b)
    b.add_argument("--out", type=Path, default=DEFAULT_OUT, help="gallery folder (default gallery/data)")
    b.add_argument("--no-timing", action="store_true", help="skip timing each method at 128/256/512 px")
    b.add_argument("--retry-failed", action="store_true", help="recompute rows stored as error / timeout")

    r = sub.add_parser("benchmark", help="score methods on a folder of images x a folder of masks")
    _common(r)
    r.add_argument("--images", type=Path, required=True)
    r.add_argument("--masks", type=Path, required=True, help="nonzero / white = hole")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--limit", type=int, help="use at most N (image, mask) pairs, spread over the bins")
    r.add_argument("--per-bin", type=int, help="use the first N masks of each hole-area bin")
    r.add_argument("--size", type=int, default=256, help="square side images and masks are resized to (default 256)")
    r.add_argument("--bin-by-index", type=int, metavar="N",
                   help="bin = file number // N (NVIDIA's test masks: 2000); default: by measured hole area")
    r.add_argument("--invert-masks", action="store_true", help="zero / black = hole")

    args = parser.parse_args(argv)
    from inpaint_core.errors import InpaintInputError

    try:
        if args.command == "build":
            from .builder import build

            report = build(args.out, methods=_methods(args.methods), params=_params(args.param), seed=args.seed,
                           workers=args.workers, engine=args.engine, scheduler=args.scheduler,
                           time_limit=args.time_limit, timing_sizes=None if args.no_timing else TIMING_SIZES,
                           progress=not args.quiet, retry_failed=args.retry_failed)
            print(report.summary())
        else:
            from .benchmark import run_benchmark

            command = "python -m gallery " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
            info = run_benchmark(args.images, args.masks, args.out, methods=_methods(args.methods) or FAST_METHODS,
                                 params=_params(args.param), size=args.size, per_bin=args.per_bin, limit=args.limit,
                                 invert_masks=args.invert_masks, bin_by_index=args.bin_by_index, seed=args.seed, workers=args.workers,
                                 engine=args.engine, scheduler=args.scheduler, time_limit=args.time_limit,
                                 progress=not args.quiet, command=command)
            print(f"{info['n_pairs']} pairs x {len(info['methods'])} methods in {info['wall_seconds']:.1f} s; "
                  f"report: {args.out / 'report.md'}")
    except (InpaintInputError, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
