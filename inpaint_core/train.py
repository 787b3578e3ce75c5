"""``python -m inpaint_core.train MODEL --data DIR --out weights/NAME``: see :mod:`inpaint_core.learned.train`."""

from .learned.train import main

if __name__ == "__main__":
    main()
