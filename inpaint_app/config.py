"""App settings, read once from environment variables (all optional)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class AppConfig:
    max_side: int = 512  # larger uploads are downscaled, with a notice
    time_limit: float = 120.0  # seconds per method in Compare
    gallery_dir: Path = ROOT / "gallery" / "data"
    recent_dir: Path = ROOT / "runs" / "recent"  # each finished compare is saved here as a case
    database_url: str = f"sqlite:///{ROOT / 'runs' / 'votes.db'}"

    @classmethod
    def from_env(cls) -> "AppConfig":
        env = os.environ
        base = cls()
        return cls(
            max_side=int(env.get("INPAINT_LAB_MAX_SIDE", base.max_side)),
            time_limit=float(env.get("INPAINT_LAB_TIME_LIMIT", base.time_limit)),
            gallery_dir=Path(env.get("INPAINT_LAB_GALLERY_DIR", base.gallery_dir)),
            recent_dir=Path(env.get("INPAINT_LAB_RECENT_DIR", base.recent_dir)),
            database_url=env.get("INPAINT_LAB_DATABASE_URL", base.database_url),
        )
