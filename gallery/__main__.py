"""Command line: ``python -m gallery build`` and ``python -m gallery benchmark``.

Examples::

    python -m gallery build --workers 2
    python -m gallery build --methods telea,harmonic --engine dask --workers 4
    python -m gallery rescore           # every metric again, from the stored (lossless) images
    python -m gallery benchmark --images ../shared/data/benchmark/kodak24 \\
        --masks ../shared/data/masks/nvidia_irregular_test/testing_mask_dataset \\
        --out bench/out/kodak24 --per-bin 100 --bin-by-index 2000 --workers 2
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from inpaint_core.registry import all_methods, get_method
from inpaint_core.cli import OneLineParser, int_range_type, method_list, seconds_type, seed_type
from inpaint_core.errors import InpaintInputError
from inpaint_core.imageio import MIN_SIDE, check_output_dir

from .benchmark import FAST_METHODS
from .builder import DEFAULT_TIME_LIMIT, TIMING_SIZES

DEFAULT_OUT = Path(__file__).resolve().parent / "data"
MAX_WORKERS = 256


def _params(items: list[str] | None, methods: list[str]) -> dict[str, dict]:
    """``method.param=value`` pairs -> {method: {param: value}}, each checked against the
    methods that will run and coerced by the method (so a bad value fails before any work)."""
    out: dict[str, dict] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        method, dot, name = key.partition(".")
        if not sep or not dot or not method.strip() or not name.strip():
            raise InpaintInputError(f"--param takes method.name=value, such as telea.radius=5; got {item!r}.")
        method, name = method.strip(), name.strip()
        get_method(method)  # an unknown method: one sentence listing the known ones
        if method not in methods:
            raise InpaintInputError(f"--param {item!r} sets a parameter of {method!r}, which is not among the "
                                    f"methods run ({', '.join(methods)}).")
        out.setdefault(method, {})[name] = value.strip()
    for method, values in out.items():
        get_method(method).resolve_params(values)
    return out


def _folder(option: str, path: Path) -> Path:
    if not path.exists():
        raise InpaintInputError(f"{option} {path} does not exist.")
    if not path.is_dir():
        raise InpaintInputError(f"{option} {path} is a file; give a folder of images.")
    return path


def _check_options(args) -> tuple[list[str] | None, dict[str, dict]]:
    """Every option of build / benchmark, checked before the first case is written or run:
    (methods, params)."""
    methods = method_list(args.methods)
    if args.command == "build":
        check_output_dir(args.out, "the gallery folder")
        return methods, _params(args.param, methods or [m.name for m in all_methods()])
    _folder("--images", args.images)
    _folder("--masks", args.masks)
    check_output_dir(args.out)
    methods = methods or list(FAST_METHODS)
    return methods, _params(args.param, methods)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--methods", help="comma-separated method names (default: see below)")
    parser.add_argument("--param", action="append", metavar="METHOD.NAME=VALUE", help="override a parameter (repeatable)")
    parser.add_argument("--workers", type=int_range_type("the number of workers", 1, MAX_WORKERS), default=2,
                        help="worker processes (default 2; 1 = in this process)")
    parser.add_argument("--engine", choices=("local", "dask"), default="local",
                        help="local process pool (default) or Dask distributed (optional: pip install distributed)")
    parser.add_argument("--scheduler", help="with --engine dask: address of an existing Dask scheduler")
    parser.add_argument("--time-limit", type=seconds_type, default=DEFAULT_TIME_LIMIT,
                        help="seconds per run (default 60)")
    parser.add_argument("--seed", type=seed_type, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m gallery", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build or update the shipped gallery (incremental)")
    _common(b)
    b.add_argument("--out", type=Path, default=DEFAULT_OUT, help="gallery folder (default gallery/data)")
    b.add_argument("--no-timing", action="store_true", help="skip timing each method at 128/256/512 px")
    b.add_argument("--retry-failed", action="store_true", help="recompute rows stored as error / timeout")

    s = sub.add_parser("rescore", help="recompute every metric of the gallery's rows from the stored images")
    s.add_argument("--out", type=Path, default=DEFAULT_OUT, help="gallery folder (default gallery/data)")
    s.add_argument("--missing", action="store_true", help="only rows that lack a metric")

    r = sub.add_parser("benchmark", help="score methods on a folder of images x a folder of masks")
    _common(r)
    r.add_argument("--images", type=Path, required=True)
    r.add_argument("--masks", type=Path, required=True, help="nonzero / white = hole")
    r.add_argument("--out", type=Path, required=True)
    count = int_range_type("the count", 1, 10**9)
    r.add_argument("--limit", type=count, help="use at most N (image, mask) pairs, spread over the bins")
    r.add_argument("--per-bin", type=count, help="use the first N masks of each hole-area bin")
    r.add_argument("--size", type=int_range_type("the size", MIN_SIDE, 4096), default=256,
                   help="square side images and masks are resized to (default 256)")
    r.add_argument("--bin-by-index", type=count, metavar="N",
                   help="bin = file number // N (NVIDIA's test masks: 2000); default: by measured hole area")
    r.add_argument("--invert-masks", action="store_true", help="zero / black = hole")

    args = parser.parse_args(argv)
    try:
        if args.command in {"build", "benchmark"}:
            methods, params = _check_options(args)
        if args.command == "build":
            from .builder import build

            report = build(args.out, methods=methods, params=params, seed=args.seed,
                           workers=args.workers, engine=args.engine, scheduler=args.scheduler,
                           time_limit=args.time_limit, timing_sizes=None if args.no_timing else TIMING_SIZES,
                           progress=not args.quiet, retry_failed=args.retry_failed)
            print(report.summary())
        elif args.command == "rescore":
            from .builder import rescore

            print(f"rescored {rescore(args.out, only_missing=args.missing)} rows of {args.out / 'results.csv'}")
        else:
            from .benchmark import run_benchmark

            command = "python -m gallery " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
            info = run_benchmark(args.images, args.masks, args.out, methods=methods,
                                 params=params, size=args.size, per_bin=args.per_bin, limit=args.limit,
                                 invert_masks=args.invert_masks, bin_by_index=args.bin_by_index, seed=args.seed, workers=args.workers,
                                 engine=args.engine, scheduler=args.scheduler, time_limit=args.time_limit,
                                 progress=not args.quiet, command=command)
            print(f"{info['n_pairs']} pairs x {len(info['methods'])} methods in {info['wall_seconds']:.1f} s; "
                  f"report: {args.out / 'report.md'}")
    except (InpaintInputError, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder that cannot be written after all (disk full, permissions)
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: could not write{where} ({exc.strerror or exc}).", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
