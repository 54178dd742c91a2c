"""Names the Fisher estimates' settings take, torch-free, so that configs are built (and the
command line answers) without loading torch."""

from __future__ import annotations

__all__ = ["RUNNING_PHASES"]

# whose layer states the running statistics average (``running.RunningFisher``): the model
# phase's (the negative phase: CD's reconstructions or the persistent chains) or the data's
RUNNING_PHASES = ("model", "data")
