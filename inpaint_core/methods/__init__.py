"""One module per method family; :mod:`inpaint_core.registry` lists their classes."""
