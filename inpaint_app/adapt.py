"""How a tab binds a service to its events: user mistakes become ``gr.Error``.

Services (plain Python: :mod:`inpaint_core.services`, :mod:`inpaint_core.study.service`) raise
``ValueError`` subclasses with one sentence for anything a user did wrong. A tab binds a service
to an event as ``handler(functools.partial(adapter, service))``: :func:`handler` lets the sentence
reach the browser as a ``gr.Error`` (for streaming handlers too) and catches nothing else.
:func:`with_api_names` names a handler's inputs in the API docs when they arrive as ``*values``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence

import gradio as gr


def _as_gr_error(exc: ValueError) -> gr.Error:
    return exc if isinstance(exc, gr.Error) else gr.Error(str(exc))


def handler(fn: Callable) -> Callable:
    """``fn`` (a function or a generator function, or a partial of one) with its ``ValueError``
    (one-sentence user mistakes) shown as ``gr.Error``."""
    if inspect.isgeneratorfunction(fn):
        def streaming(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except ValueError as exc:
                raise _as_gr_error(exc) from None

        wrapped = streaming
    else:
        def wrapped(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except ValueError as exc:
                raise _as_gr_error(exc) from None

    functools.update_wrapper(wrapped, fn)
    wrapped.__signature__ = inspect.signature(fn)
    # Gradio finds its special arguments (gr.SelectData, gr.Request...) from type hints, resolved in
    # this module: keep those annotations of the wrapped function (a partial has none of its own)
    base = fn.func if isinstance(fn, functools.partial) else fn
    wrapped.__annotations__ = {name: getattr(gr, hint[3:]) for name, hint in getattr(base, "__annotations__", {}).items()
                               if isinstance(hint, str) and hint.startswith("gr.") and hasattr(gr, hint[3:])}
    return wrapped


def with_api_names(fn: Callable, names: Sequence[str]) -> Callable:
    """``fn(*values, progress=...)`` exposed with one named positional parameter per input (in
    input order), so API clients can pass ``telea__radius=5`` by name; Gradio's progress tracker
    is passed on."""
    streaming = inspect.isgeneratorfunction(fn)

    def named(*args, progress=gr.Progress()):
        return fn(*args, progress=progress)

    def named_stream(*args, progress=gr.Progress()):
        yield from fn(*args, progress=progress)

    out = named_stream if streaming else named
    out.__name__ = getattr(fn, "__name__", "handler")
    out.__doc__ = getattr(fn, "__doc__", None)
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    out.__signature__ = inspect.Signature(
        [inspect.Parameter(name, positional) for name in names]
        + [inspect.Parameter("progress", positional, default=gr.Progress())])
    return out
