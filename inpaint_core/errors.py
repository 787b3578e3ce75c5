"""Exceptions shared by the whole library."""


class InpaintInputError(ValueError):
    """Bad input from the user: the message is one sentence that names the problem."""


class MethodUnavailable(RuntimeError):
    """A method cannot run here (for example, its weights are missing)."""


class MethodCancelled(RuntimeError):
    """A run was stopped from outside (time limit or user cancel)."""
