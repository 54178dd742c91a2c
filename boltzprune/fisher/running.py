"""Local Fisher information tracked during learning: each synapse keeps running averages of
what is available to it (paper 2.2-2.3) and so has its importance at every update.

Per weight matrix l (layers l-1 and l; an RBM has one): the coincidence rate
<x_{l-1,i} x_{l,j}>, and per layer the firing rate <x_{l,i}>, as exponential moving
averages over updates with bias correction,

    m_t = decay m_{t-1} + (1 - decay) x_t,   estimate_t = m_t / (1 - decay^t),

x_t the mean over the update's minibatch (or chains) of one phase's layer states
(``training.hooks.UpdateState``). The default phase is the model's (the negative phase's
chains), which estimates the model's Fisher information as eq. 3-4 require; the data phase
is the alternative. From them:

- ``variance``: eq. 4, p (1 - p) with p the coincidence rate (``variance_fi_from_rates``);
- ``heuristic``: eq. 10 from the two firing rates and the current weight
  (``heuristic_fi_from_rates``).

With decay 0 the estimate is the last update's states alone; as decay -> 1 it averages over
about 1 / (1 - decay) updates. Use it as a hook: ``train_rbm(..., hooks=[tracker])``.
"""

from __future__ import annotations

import torch

from boltzprune._validate import check_choice, check_fraction
from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.fisher.config import RUNNING_PHASES
from boltzprune.fisher.diagonal import LocalRates, heuristic_fi_from_rates, variance_fi_from_rates
from boltzprune.models.dbm import DBM
from boltzprune.models.rbm import RBM
from boltzprune.training.hooks import UpdateState, model_masks

__all__ = ["PHASES", "RUNNING_CRITERIA", "RunningFisher"]

PHASES = RUNNING_PHASES
RUNNING_CRITERIA = ("variance", "heuristic")


def _weights(model: RBM | DBM) -> list[torch.Tensor]:
    if isinstance(model, RBM):
        return [model.W]
    if isinstance(model, DBM):
        return list(model.weights)
    raise InvalidTypeError(f"model must be an RBM or a DBM, got {type(model).__name__}")


class RunningFisher:
    """Running coincidence and firing rates of a model's layers (a training hook).

    model: the RBM or DBM to be trained (its sizes and device); decay in [0, 1); phase
    "model" (default) or "data". Statistics are kept in the model's dtype and device.
    """

    def __init__(self, model: RBM | DBM, *, decay: float = 0.99, phase: str = "model"):
        ws = _weights(model)
        self.decay = check_fraction("decay", decay, zero=True)
        self.phase = check_choice("phase", phase, PHASES)
        sizes = [ws[0].shape[0]] + [w.shape[1] for w in ws]
        self._rates = [ws[0].new_zeros(n) for n in sizes]
        self._coinc = [torch.zeros_like(w) for w in ws]
        self.n_updates = 0

    def __call__(self, state: UpdateState) -> None:
        x = state.model_phase if self.phase == "model" else state.data_phase
        if len(x) != len(self._rates) or any(
                t.shape[1] != r.shape[0] for t, r in zip(x, self._rates, strict=True)):
            raise InvalidInputError(f"the update's layers {[t.shape[1] for t in x]} do not "
                                    f"match the tracked sizes {self.sizes}")
        a = 1.0 - self.decay
        n = x[0].shape[0]
        for l, t in enumerate(x):
            self._rates[l].mul_(self.decay).add_(t.mean(0), alpha=a)
        for l, c in enumerate(self._coinc):  # one fused product-and-average per matrix
            c.addmm_(x[l].T, x[l + 1], beta=self.decay, alpha=a / n)
        self.n_updates += 1

    @property
    def sizes(self) -> list[int]:
        return [r.shape[0] for r in self._rates]

    def _scale(self) -> float:
        if self.n_updates == 0:
            raise InvalidInputError("no update seen yet: pass the tracker to training as a "
                                    "hook (train_rbm(..., hooks=[tracker]))")
        return 1.0 / (1.0 - self.decay ** self.n_updates)

    def rates(self, layer: int) -> torch.Tensor:
        """The bias-corrected firing rates of ``layer`` (0 = visible), (n_layer,)."""
        return self._rates[layer] * self._scale()

    def coincidence(self, matrix: int = 0) -> torch.Tensor:
        """The bias-corrected coincidence rates of weight matrix ``matrix``."""
        return self._coinc[matrix] * self._scale()

    def statistics(self) -> list[LocalRates]:
        """Per weight matrix, the bias-corrected coincidence and firing rates: what a
        criterion sees through ``ImportanceContext.coincidence()`` and ``firing_rates()``
        (``pruning.registry.importance(..., statistics=tracker.statistics())``)."""
        return [LocalRates(self.coincidence(l), self.rates(l), self.rates(l + 1))
                for l in range(len(self._coinc))]

    def importance(self, criterion: str, model: RBM | DBM) -> list[torch.Tensor]:
        """Per weight matrix, the running estimate of each weight's FI (float32; 0 where the
        model has no weight): "variance" (eq. 4) or "heuristic" (eq. 10, with ``model``'s
        current weights)."""
        check_choice("criterion", criterion, RUNNING_CRITERIA)
        ws = _weights(model)
        masks = model_masks(model)
        sizes = [ws[0].shape[0]] + [w.shape[1] for w in ws]
        if sizes != self.sizes:
            raise InvalidInputError(f"the model's layers {sizes} do not match the tracked "
                                    f"sizes {self.sizes}")
        out = []
        for l, (w, m) in enumerate(zip(ws, masks, strict=True)):
            if criterion == "variance":
                f = variance_fi_from_rates(self.coincidence(l))
            else:
                f = heuristic_fi_from_rates(self.rates(l), self.rates(l + 1), w)
            out.append(f * m)
        return out

    def keep_units(self, layer: int, keep: torch.Tensor) -> None:
        """Follow a unit removal: keep only the units ``keep`` (indices or a bool mask) of
        ``layer`` in its rates and in the coincidences of the matrices it touches."""
        self._rates[layer] = self._rates[layer][keep]
        if layer > 0:
            self._coinc[layer - 1] = self._coinc[layer - 1][:, keep]
        if layer < len(self._coinc):
            self._coinc[layer] = self._coinc[layer][keep]
