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
    # let the study use users' recent compares, each only if its user ticked "Offer this compare to the
    # public voting study" (off by default: a user's upload stays out of the public study)
    vote_include_recent: bool = False
    vote_min_response_ms: int = 300  # faster votes are kept but flagged and excluded from results
    vote_rate_limit: tuple[int, float] = (60, 60.0)  # at most this many votes per session per window (s)

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
            vote_include_recent=env.get("INPAINT_LAB_VOTE_INCLUDE_RECENT", "0").strip().lower() in {"1", "true", "yes", "on"},
            vote_min_response_ms=int(env.get("INPAINT_LAB_VOTE_MIN_MS", base.vote_min_response_ms)),
            vote_rate_limit=(int(env.get("INPAINT_LAB_VOTE_RATE", base.vote_rate_limit[0])), base.vote_rate_limit[1]),
        )
