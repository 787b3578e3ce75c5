"""Inpaint Lab's Gradio front end: one module per tab, plain handlers outside the layout.

Importing the package also trims two per-event costs of Gradio's server (measured with
``bench/vote_load.py`` and py-spy; both are plain settings, not patches of Gradio):

- Gradio rebuilds a pandas table of its last 10,000 events after every event for its monitoring
  summary, which this app does not show: rebuilding it every 500 events over the last 1,000 keeps
  it off the hot path (``GRADIO_ANALYTICS_*``; an environment value set by the user wins).
- Gradio wraps every event in ``import matplotlib``; where matplotlib is not installed, each failed
  import searches ``sys.path`` again. A ``None`` entry in ``sys.modules`` makes that import fail at
  once, exactly as Python's import system documents.
"""

import importlib.util
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "500")
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
if "matplotlib" not in sys.modules and importlib.util.find_spec("matplotlib") is None:
    sys.modules["matplotlib"] = None
