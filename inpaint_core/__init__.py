"""Inpaint Lab's core library: methods, metrics, masks, the compare engine. Never imports gradio."""

from .api import inpaint, solve
from .base import Citation, InpaintMethod, MethodCard, Param, RunContext
from .errors import InpaintInputError, MethodCancelled, MethodUnavailable
from .problem import Problem
from .registry import all_methods, find_method, get_method

__all__ = [
    "Citation", "InpaintMethod", "MethodCard", "Param", "RunContext", "all_methods", "find_method", "get_method",
    "inpaint", "solve", "Problem", "InpaintInputError", "MethodCancelled", "MethodUnavailable",
]
__version__ = "0.1.0"
