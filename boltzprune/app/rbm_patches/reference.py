"""The paper's reference numbers (DESIGN.md section 4), and the set-up they hold for, for
side-by-side reporting: a report sets its numbers against these only where its own set-up
is this one."""

from __future__ import annotations

__all__ = ["PAPER_TABLE1", "PAPER_WEIGHTS", "PAPER_FIM_EIGENVALUES", "PAPER_N_VISIBLE",
           "PAPER_N_HIDDEN", "PAPER_FRACTION", "PAPER_CUTS", "PAPER_ANTI_FI_DAMAGES_MOST"]

# The set-up of Table 1 and of the FIM eigenvalues (paper 2.2-2.3): an RBM of 13 visible
# (circular patches of 13 pixels) and 70 hidden units, pruned in 3 cuts of 50 % of the
# remaining weights each, with retraining after each cut.
PAPER_N_VISIBLE = 13
PAPER_N_HIDDEN = 70
PAPER_FRACTION = 0.5
# Remaining weights of that RBM before the first cut and after each cut (paper Table 1).
PAPER_WEIGHTS = (910, 455, 227, 113)
PAPER_CUTS = len(PAPER_WEIGHTS) - 1  # the cuts Table 1 has a column for: 1..3
# Remaining hidden units before the first cut and after each cut (paper Table 1).
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
# The paper's finding in words (2.3, Figure 2), for its cuts 1..3: "Anti-FI pruning clearly
# damaged the network's generative performance even in the first iteration of pruning",
# while the other criteria's models kept matching the data; it gives no number for it.
PAPER_ANTI_FI_DAMAGES_MOST = True

assert PAPER_WEIGHTS[0] == PAPER_N_VISIBLE * PAPER_N_HIDDEN
assert all(len(v) == len(PAPER_WEIGHTS) and v[0] == PAPER_N_HIDDEN
           for v in PAPER_TABLE1.values())
