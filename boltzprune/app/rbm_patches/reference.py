"""The paper's reference numbers (DESIGN.md section 4), for side-by-side reporting."""

from __future__ import annotations

__all__ = ["PAPER_TABLE1", "PAPER_WEIGHTS", "PAPER_FIM_EIGENVALUES"]

# Remaining hidden units of the 13 x 70 RBM after each 50 % pruning (paper Table 1).
PAPER_WEIGHTS = (910, 455, 227, 113)
PAPER_TABLE1: dict[str, tuple[int, int, int, int]] = {
    "variance": (70, 69, 50, 9),
    "heuristic": (70, 61, 50, 10),
    "eigenvector": (70, 65, 48, 9),
    "abs_w": (70, 70, 62, 35),
    "random": (70, 70, 68, 60),
    "anti_fi": (70, 57, 49, 35),
}
# Leading FIM eigenvalues of the unpruned RBM (paper 2.2 and its code's notebooks).
PAPER_FIM_EIGENVALUES = (23.97, 1.602, 1.424)
