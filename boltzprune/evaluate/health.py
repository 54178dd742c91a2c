"""Health of a trained RBM or DBM: is it a working model of the data, or degenerate?

A schedule that does not suit the data can train a model that looks trained but is not:
most deep units never fire in the model's samples (the zero-FI rule then removes most of a
weight matrix in the first round), the hidden layers barely respond to the data, the
weights sit at the max-norm cap, or the deepest encoding reads out worse than raw pixels.
``model_health`` measures each of these from what a pruning run already has (the model,
its training data, its model samples) and names every one that fails in ``warnings``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from boltzprune.errors import InvalidInputError
from boltzprune.models.dbm import DBM, MeanFieldConfig
from boltzprune.models.rbm import RBM

__all__ = ["LayerHealth", "ModelHealth", "model_health", "SILENT_SHARE", "RESPONSE_RANGE",
           "CAPPED_SHARE"]

SILENT_SHARE = 0.5  # warn when more than this share of a layer never fires in the samples
RESPONSE_RANGE = (0.01, 0.99)  # warn when a layer's mean activation on the data leaves it
CAPPED_SHARE = 0.9  # warn when more than this share of a layer's units is at the max norm
_DATA_LIMIT = 10_000  # patterns used for reconstructions when no marginals are given


@dataclass(frozen=True)
class LayerHealth:
    """One hidden layer (1 = the layer above the visible units)."""

    layer: int
    n_units: int
    silent: int  # units never on in the model samples
    saturated: int  # units always on in the model samples
    mean_data: float  # mean activation (mean-field marginal) given the training data
    mean_model: float  # mean activation in the model samples
    capped: int | None  # units whose incoming weight vector is at the max-norm cap (None:
    #                     trained without a cap)


@dataclass(frozen=True)
class ModelHealth:
    """What ``model_health`` measured, and a sentence for every check that failed."""

    layers: tuple[LayerHealth, ...]
    visible_silent: int  # visible units never on in the model samples
    reconstruction_error: float  # mean over patterns and units of (v - p(v | mu_1))^2
    reconstruction_baseline: float  # the same error of predicting each unit's data mean
    readout_error: float | None  # of the deepest encoding, when measured
    raw_readout_error: float | None  # of raw pixels, when measured
    warnings: tuple[str, ...]

    @property
    def degenerate(self) -> bool:
        return bool(self.warnings)


def _layers(model: RBM | DBM) -> tuple[list[torch.Tensor], list[torch.Tensor],
                                       list[torch.Tensor]]:
    if isinstance(model, RBM):
        return [model.W], [model.mask], [model.b_v, model.b_h]
    return list(model.weights), list(model.masks), list(model.biases)


def model_health(model: RBM | DBM, data: torch.Tensor, samples: list[torch.Tensor], *,
                 mean_field: MeanFieldConfig | None = None,
                 marginals: list[torch.Tensor] | None = None, max_norm: float | None = None,
                 readout_error: float | None = None, raw_readout_error: float | None = None
                 ) -> ModelHealth:
    """Measure the health of ``model`` (an RBM or a DBM) and warn where it is degenerate.

    data: (n, n_visible) training patterns on the model's device. samples: joint model
    samples, one (n_samples, n_l) tensor per layer, visible first (as the pruning pipeline
    draws them). marginals: [v, mu_1, ..., mu_L] of ``data`` when already computed (DBM
    mean-field with ``mean_field``, RBM p(h | v)); otherwise computed on the first 10,000
    patterns. max_norm: the cap on each unit's incoming weight norm during training, if
    any. readout_error, raw_readout_error: test errors of a readout of the deepest encoding
    and of raw pixels; the check that the encoding beats raw pixels runs when both are
    given.
    """
    weights, masks, biases = _layers(model)
    L = len(weights)
    if len(samples) != L + 1:
        raise InvalidInputError(f"samples must hold {L + 1} tensors (visible and every hidden "
                                f"layer), got {len(samples)}")
    if marginals is None:
        v = data[:_DATA_LIMIT].float()
        if isinstance(model, RBM):
            marginals = [v, model.p_h(v)]
        else:
            marginals = model.mean_field(v, mean_field or MeanFieldConfig())
    v = marginals[0]
    recon = torch.sigmoid(marginals[1] @ weights[0].T + biases[0])
    err = float(((v - recon) ** 2).mean())
    mean_v = v.mean(0)
    baseline = float((mean_v * (1 - mean_v)).mean())  # = mean (v - <v>)^2 for binary v
    warn: list[str] = []
    layers = []
    for l in range(1, L + 1):
        s = samples[l]
        rate = s.float().mean(0)
        silent, saturated = int((rate == 0).sum()), int((rate == 1).sum())
        n = int(rate.numel())
        capped = None
        if max_norm is not None:
            norms = (weights[l - 1] * masks[l - 1]).norm(dim=0)
            capped = int((norms >= max_norm * (1 - 1e-4)).sum())
        h = LayerHealth(l, n, silent, saturated, float(marginals[l].mean()), float(rate.mean()),
                        capped)
        layers.append(h)
        if n and silent > SILENT_SHARE * n:
            warn.append(f"h{l}: {silent} of {n} units ({silent / n:.0%}) never fire in the "
                        "model samples")
        lo, hi = RESPONSE_RANGE
        if not lo <= h.mean_data <= hi:
            what = "barely responds to" if h.mean_data < lo else "is saturated by"
            warn.append(f"h{l} {what} the data (mean activation {h.mean_data:.3f})")
        if capped is not None and n and capped > CAPPED_SHARE * n:
            warn.append(f"h{l}: {capped} of {n} units ({capped / n:.0%}) have incoming weights "
                        f"at the max-norm cap {max_norm:g}")
    if err >= baseline:
        warn.append(f"reconstructions of the data are no better than each unit's mean (error "
                    f"{err:.4f} against {baseline:.4f})")
    if readout_error is not None and raw_readout_error is not None \
            and readout_error >= raw_readout_error:
        warn.append(f"the h{L} encoding reads out worse than raw pixels ({readout_error:.3f} "
                    f"against {raw_readout_error:.3f})")
    return ModelHealth(tuple(layers), int((samples[0].float().mean(0) == 0).sum()), err,
                       baseline, readout_error, raw_readout_error, tuple(warn))
