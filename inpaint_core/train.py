"""``python -m inpaint_core.train MODEL --data DIR --out weights/NAME``: see :mod:`inpaint_core.networks.train`."""

from .networks.train import main

if __name__ == "__main__":
    main()
