"""Inpaint Lab's core library: methods, metrics, masks, the compare engine. Never imports gradio."""

from .base import Citation, InpaintMethod, MethodCard, Param, RunContext, all_methods, get_method, inpaint, register
from .errors import InpaintInputError, MethodCancelled, MethodUnavailable

__all__ = [
    "Citation", "InpaintMethod", "MethodCard", "Param", "RunContext", "all_methods", "get_method", "inpaint",
    "register", "InpaintInputError", "MethodCancelled", "MethodUnavailable",
]
__version__ = "0.1.0"
