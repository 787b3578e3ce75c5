"""The Vote tab's pair images: lossless PNGs served as static files, under a fresh random name per showing."""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict, deque
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

__all__ = ["PairImageFiles"]


class PairImageFiles:
    """Image files for the pairs: one PNG per distinct image, shown under a fresh random name each time.

    A showing is a hard link with a random name in a folder that Gradio serves as static files
    (``gr.set_static_paths``), so Gradio neither hashes nor copies it per request, and its URL can
    be linked neither to the method nor to an earlier showing (or reveal) of the same image.
    Showings older than ``ttl_s`` are unlinked as new ones are made; the distinct PNGs are an LRU of
    ``keep`` files. Everything lives in a per-instance folder under ``root`` removed at exit.
    """

    def __init__(self, root: Path | None = None, ttl_s: float = 1800.0, keep: int = 1024):
        root = Path(tempfile.gettempdir()) / "inpaint-lab-votes" / "pairs" if root is None else root
        root.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix="pairs-", dir=root))
        self.showings = self.folder / "shown"
        self.encoded = self.folder / "encoded"
        self.showings.mkdir()
        self.encoded.mkdir()
        self.ttl_s, self.keep = ttl_s, keep
        self._by_content: OrderedDict[str, Path] = OrderedDict()
        self._shown: deque[tuple[float, Path]] = deque()
        self._lock = threading.Lock()
        gr.set_static_paths([self.showings])
        atexit.register(shutil.rmtree, self.folder, ignore_errors=True)

    def show(self, image: np.ndarray) -> str:
        """The path of a new showing of ``image`` (uint8 RGB)."""
        key = hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest() + "x".join(map(str, image.shape))
        with self._lock:
            source = self._by_content.get(key)
            if source is not None:
                self._by_content.move_to_end(key)
        if source is None:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="PNG", compress_level=1)  # lossless; fast over small
            partial = self.encoded / f"{key}.{secrets.token_hex(4)}.part"
            partial.write_bytes(buffer.getvalue())
            source = self.encoded / f"{key}.png"
            os.replace(partial, source)
        shown = self.showings / f"{secrets.token_hex(12)}.png"
        now = time.monotonic()
        with self._lock:
            try:
                os.link(source, shown)
            except OSError:  # a file system without hard links
                shutil.copyfile(source, shown)
            self._by_content[key] = source
            self._by_content.move_to_end(key)
            while len(self._by_content) > self.keep:
                _, old = self._by_content.popitem(last=False)
                old.unlink(missing_ok=True)  # its showings are links: they stay readable
            self._shown.append((now, shown))
            while self._shown and now - self._shown[0][0] > self.ttl_s:
                self._shown.popleft()[1].unlink(missing_ok=True)
        return str(shown)
