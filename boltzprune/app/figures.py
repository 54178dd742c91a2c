"""What every report's figures share: criterion labels and colours, and figures built on
matplotlib's object API (``matplotlib.figure.Figure``), so that drawing never switches the
process's plotting backend or touches pyplot's global state."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

from boltzprune.io import atomic_write_bytes

__all__ = ["CRITERION_LABELS", "COLORS", "label", "color", "md_label", "new_figure",
           "save_figure"]

CRITERION_LABELS = {"variance": "variance FI", "heuristic": "heuristic FI",
                    "eigenvector": "first eigenvector", "abs_w": "|w|", "random": "random",
                    "anti_fi": "anti-FI"}
COLORS = {"variance": "tab:blue", "heuristic": "tab:cyan", "eigenvector": "tab:purple",
          "abs_w": "tab:orange", "random": "tab:gray", "anti_fi": "tab:red"}


def label(c: str) -> str:
    """A criterion's label for figures and reports (custom criteria keep their name)."""
    return CRITERION_LABELS.get(c, c)


def md_label(c: str) -> str:
    """A criterion's label, safe inside a Markdown table ("|w|" -> "\\|w\\|")."""
    return label(c).replace("|", "\\|")


def color(c: str) -> str | None:
    return COLORS.get(c)


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A figure independent of pyplot (no backend switch, nothing to close)."""
    return Figure(figsize=figsize)


def save_figure(fig: Figure, path: Path, dpi: int = 110) -> None:
    """Write ``fig`` as PNG to ``path`` atomically."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
