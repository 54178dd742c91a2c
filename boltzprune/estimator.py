"""A scikit-learn estimator for a prunable Bernoulli RBM.

``PrunableRBM`` wraps the library (``init_rbm``, ``train_rbm``, ``prune_retrain``,
``log_partition``, ``sample_rbm``) behind scikit-learn's estimator API, so that an RBM that
is trained with CD-k / PCD-k and pruned with Fisher-information criteria (Scholl, Rule &
Hennig 2020) drops into a ``Pipeline`` before a classifier::

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from boltzprune.estimator import PrunableRBM

    clf = make_pipeline(PrunableRBM(criterion="variance", prune_fraction=0.5, random_state=0),
                        LogisticRegression(max_iter=1000))

Data are binary patterns. ``X`` is mapped to 0/1 by ``x > binarize`` (default 0.5, for data
scaled to [0, 1]), in ``fit`` and in every other method alike, as scikit-learn's
``BernoulliNB`` does; ``binarize=None`` requires ``X`` to contain only 0 and 1.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from contextlib import contextmanager
from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from boltzprune._validate import (
    check_bool,
    check_choice,
    check_device,
    check_fraction,
    check_positive_float,
    check_positive_int,
)
from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.models.enumerate import MAX_ENUMERATED_UNITS, log_partition
from boltzprune.models.rbm import RBM, init_rbm
from boltzprune.pruning.criteria import available_criteria, get_criterion
from boltzprune.pruning.pipeline import PruneConfig, prune_retrain
from boltzprune.sampling import SamplingConfig, sample_rbm
from boltzprune.seeding import stage_generator, stage_seed
from boltzprune.training.cd import TrainConfig, train_rbm

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - scikit-learn < 1.6

    def _sk_validate_data(estimator, X, **kwargs):
        return estimator._validate_data(X, **kwargs)


__all__ = ["PrunableRBM", "SCORE_METHODS", "AUTO_EXACT_MAX_UNITS", "EXACT_SAMPLING_MAX_VISIBLE"]

SCORE_METHODS = ("auto", "exact", "ais", "pseudo")
# score_method "auto" computes the exact log-likelihood when the smaller layer has at most
# this many units (2^16 terms in log Z), else log Z by AIS; "exact" goes up to
# MAX_ENUMERATED_UNITS (24).
AUTO_EXACT_MAX_UNITS = 16
# Model samples for the importance of weights are drawn exactly (enumerating all visible
# patterns) up to this many visible units, else with Gibbs chains started at the data.
EXACT_SAMPLING_MAX_VISIBLE = 16
_PSEUDO_CHUNK_ELEMENTS = 1 << 22  # rows x n_visible x n_hidden per pseudo-likelihood chunk


def _one_line(err: ValueError) -> InvalidInputError:
    """scikit-learn's input errors, shortened to their first line (with a hint for 1-D)."""
    lines = str(err).strip().splitlines() or [type(err).__name__]
    msg = lines[0].rstrip(": ")
    if msg.startswith("Expected 2D array"):
        msg += (". Reshape your data with X.reshape(-1, 1) if it has a single feature or "
                "X.reshape(1, -1) if it is a single sample")
    return InvalidInputError(msg)


@contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` torch CPU threads (None: leave the setting), restored afterwards."""
    before = torch.get_num_threads()
    if n is None or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _with_threads(method):
    """Run an estimator method under its ``n_threads`` setting."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        n = self.n_threads
        if n is not None:
            check_positive_int("n_threads", n)
        with _torch_threads(None if n is None else int(n)):
            return method(self, *args, **kwargs)

    return wrapper


def _double(rbm: RBM) -> RBM:
    """A float64 copy of ``rbm`` for evaluation (same device)."""
    return RBM(rbm.W.double(), rbm.b_v.double(), rbm.b_h.double(), rbm.mask,
               rbm.hidden_index)


def _pseudo_log_likelihood(rbm: RBM, v: torch.Tensor) -> torch.Tensor:
    """sum_i log p(v_i | v_-i) for every row of v: (n, n_visible) binary -> (n,), float64.

    Flipping unit i changes the free energy by
        F(v^i) - F(v) = -d_i b_v_i - sum_j [softplus(a_j + d_i w_ij) - softplus(a_j)],
    with a = v W + b_h and d_i = 1 - 2 v_i, and log p(v_i | v_-i) = log sigma(F(v^i) - F(v)).
    All n_visible flips are summed exactly (scikit-learn's BernoulliRBM draws one at random).
    """
    d = _double(rbm)
    v = v.to(d.W)
    n_v, n_h = d.W.shape
    rows = max(1, _PSEUDO_CHUNK_ELEMENTS // max(1, n_v * n_h))
    out = []
    for start in range(0, v.shape[0], rows):
        vc = v[start:start + rows]
        a = vc @ d.W + d.b_h  # (c, n_h)
        sign = 1.0 - 2.0 * vc  # (c, n_v)
        flipped = a[:, None, :] + sign[:, :, None] * d.W[None, :, :]  # (c, n_v, n_h)
        delta_f = -sign * d.b_v - (F.softplus(flipped) - F.softplus(a)[:, None, :]).sum(-1)
        out.append(F.logsigmoid(delta_f).sum(-1))
    return torch.cat(out)


class PrunableRBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Bernoulli RBM trained with CD-k / PCD-k and pruned by Fisher-information criteria.

    ``fit`` trains an RBM (paper 4.3.1: W ~ N(0, 0.1^2), b_h = -2, b_v = logit of each
    feature's on-fraction) and, when ``criterion`` is set and ``prune_fraction > 0``, runs
    ``prune_iterations`` rounds of the prune -> drop dead hidden units -> retrain loop
    (paper 4.4.1). ``prune`` runs the same loop on an already fitted model.

    Parameters
    ----------
    n_components : int, default=70
        Number of hidden units before pruning (the paper's RBM has 70).
    learning_rate : float, default=0.05
        Learning rate of the first epoch.
    learning_rate_end : float or None, default=None
        Learning rate of the last epoch, reached by log-decay (the paper: 0.1 -> 0.01);
        None keeps ``learning_rate`` constant.
    batch_size : int, default=10
        Patterns per update; 1 gives online updates as in the paper (slower).
    n_iter : int, default=10
        Training epochs (passes over the data).
    momentum : float, default=0.5
        Momentum in [0, 1); removed weights have their momentum masked too.
    k : int, default=1
        Gibbs steps in the negative phase (CD-k / PCD-k).
    persistent : bool, default=False
        Persistent chains for the negative phase (PCD) instead of CD.
    binarize : float or None, default=0.5
        Threshold mapping ``X`` to binary patterns: ``x > binarize`` is 1. Applied in every
        method. None: ``X`` must contain only 0 and 1 (InvalidInputError, a ValueError,
        otherwise).
    criterion : str or None, default=None
        Name of an importance criterion in the registry
        (``boltzprune.pruning.available_criteria()``: "variance", "heuristic",
        "eigenvector", "abs_w", "random", "anti_fi", and any registered with
        ``register_criterion``). None: ``fit`` does not prune.
    prune_fraction : float, default=0.5
        Fraction of the remaining weights removed per round, in [0, 1); 0 disables pruning
        in ``fit``. The paper: 0.5.
    prune_iterations : int, default=1
        Prune -> retrain rounds run by ``fit`` (the paper: 3).
    retrain_iter : int, default=2
        Epochs of retraining after each cut (the paper: 2).
    fi_samples : int, default=1000
        Model samples (v, h) from which the importance of the weights is computed.
    fi_burn_in : int, default=100
        Gibbs sweeps before the samples are taken, from chains started at training
        patterns. Models with at most 16 visible units are sampled exactly (enumeration)
        and ignore this.
    score_method : {"auto", "exact", "ais", "pseudo"}, default="auto"
        What ``score_samples`` returns: "exact" log p(v) (log Z by enumerating the smaller
        layer, at most 24 units), "ais" log p(v) with log Z by annealed importance sampling
        (``boltzprune.evaluate.ais_log_partition``: 100 runs over 14,500 inverse
        temperatures from a base-rate model with the RBM's visible biases; computed once per
        fitted model, seeded by ``random_state``; it tends to underestimate log Z a little,
        so to overstate log p(v); docs/likelihood.md), "pseudo" the pseudo-log-likelihood
        sum_i log p(v_i|v_-i), "auto" exact when the smaller layer has at most 16 units,
        else AIS.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, training, sampling and pruning. An int makes ``fit``
        reproducible (for the same ``device`` and ``n_threads``: other thread counts round
        differently, and the sampled trajectories then part).
    device : str, default="cpu"
        Torch device for the model and the data, e.g. "cuda".
    n_threads : int or None, default=1
        Torch CPU threads while a method of this estimator runs (torch's process-wide
        setting, restored when the method returns). One thread is typically the fastest
        for the small matrices of these RBMs and does not stall on a busy machine (digits,
        64 x 64 with pruning, on 2 busy cores: 0.4 s, against 0.45-12 s with 2 threads);
        None leaves torch's setting (by default all cores), which can help large models.
    verbose : bool, default=False
        Show progress bars.

    Attributes
    ----------
    rbm_ : boltzprune.models.RBM
        The library's model after fitting (and pruning); the arrays below are copies of it.
    components_ : ndarray of shape (n_hidden_alive, n_features), float32
        Weights, transposed like scikit-learn's BernoulliRBM; 0 where pruned. Hidden units
        left without any weight are dropped, so n_hidden_alive <= n_components.
    intercept_hidden_ : ndarray of shape (n_hidden_alive,)
    intercept_visible_ : ndarray of shape (n_features,)
    mask_ : ndarray of shape (n_hidden_alive, n_features), bool
        True where a weight exists; ``mask_.sum()`` is the number of weights left.
    hidden_index_ : ndarray of shape (n_hidden_alive,), int64
        Each hidden unit's index in the unpruned model (0 .. n_components - 1).
    pruning_history_ : list of dict
        One entry after training (round 0) and one per pruning round, with keys "round",
        "criterion", "fraction", "n_weights", "n_hidden", "n_removed_weights",
        "removed_hidden" (original indices of hidden units removed in that round).
    reconstruction_error_ : list of float
        Mean squared one-step reconstruction error after each training epoch of ``fit``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.
    """

    def __init__(
        self,
        n_components=70,
        *,
        learning_rate=0.05,
        learning_rate_end=None,
        batch_size=10,
        n_iter=10,
        momentum=0.5,
        k=1,
        persistent=False,
        binarize=0.5,
        criterion=None,
        prune_fraction=0.5,
        prune_iterations=1,
        retrain_iter=2,
        fi_samples=1000,
        fi_burn_in=100,
        score_method="auto",
        random_state=None,
        device="cpu",
        n_threads=1,
        verbose=False,
    ):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.learning_rate_end = learning_rate_end
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.momentum = momentum
        self.k = k
        self.persistent = persistent
        self.binarize = binarize
        self.criterion = criterion
        self.prune_fraction = prune_fraction
        self.prune_iterations = prune_iterations
        self.retrain_iter = retrain_iter
        self.fi_samples = fi_samples
        self.fi_burn_in = fi_burn_in
        self.score_method = score_method
        self.random_state = random_state
        self.device = device
        self.n_threads = n_threads
        self.verbose = verbose

    # -- scikit-learn plumbing ----------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    @property
    def _n_features_out(self) -> int:
        """Number of transformed output features (for get_feature_names_out)."""
        return self.components_.shape[0]

    # -- validation -----------------------------------------------------------------------
    def _check_params(self) -> None:
        check_positive_int("n_components", self.n_components)
        check_positive_float("learning_rate", self.learning_rate)
        if self.learning_rate_end is not None:
            check_positive_float("learning_rate_end", self.learning_rate_end)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("n_iter", self.n_iter)
        check_fraction("momentum", self.momentum, zero=True)
        check_positive_int("k", self.k)
        check_bool("persistent", self.persistent)
        self._check_binarize()
        if self.criterion is not None:
            self._check_criterion(self.criterion)
        check_fraction("prune_fraction", self.prune_fraction, zero=True)
        check_positive_int("prune_iterations", self.prune_iterations)
        check_positive_int("retrain_iter", self.retrain_iter)
        check_positive_int("fi_samples", self.fi_samples)
        check_positive_int("fi_burn_in", self.fi_burn_in, minimum=0)
        check_choice("score_method", self.score_method, SCORE_METHODS)
        self._device()

    def _check_binarize(self) -> None:
        b = self.binarize
        if b is None:
            return
        if isinstance(b, bool) or not isinstance(b, Real) or not math.isfinite(float(b)):
            raise InvalidInputError(f"binarize must be a finite threshold or None, got {b!r}")

    @staticmethod
    def _check_criterion(criterion: object) -> str:
        if not isinstance(criterion, str):
            raise InvalidTypeError(f"criterion must be the name of a registered criterion (one of "
                                   f"{', '.join(available_criteria())}) or None, got {criterion!r}")
        get_criterion(criterion)  # raises, naming the available criteria
        return criterion

    def _device(self) -> torch.device:
        return check_device("device", self.device)

    def _validate_X(self, X, *, reset: bool) -> np.ndarray:
        """Check X with scikit-learn's rules (one-line errors) and map it to 0/1 float32."""
        self._check_binarize()
        try:
            X = _sk_validate_data(self, X, reset=reset, accept_sparse=("csr", "csc"),
                                  dtype=(np.float64, np.float32))
        except ValueError as err:
            raise _one_line(err) from None
        if hasattr(X, "toarray"):
            X = X.toarray()
        if self.binarize is None:
            ok = (X == 0) | (X == 1)
            if not ok.all():
                bad = X[~ok].flat[0]
                raise InvalidInputError("X must be binary (only 0 and 1) when binarize=None, "
                                        f"found the value {bad}; set binarize to a threshold")
            return np.ascontiguousarray(X, dtype=np.float32)
        return np.ascontiguousarray(X > self.binarize, dtype=np.float32)

    def _tensor(self, X: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(X).to(self.rbm_.device if hasattr(self, "rbm_")
                                      else self._device())

    # -- configuration handed to the library ----------------------------------------------
    def _train_config(self, epochs: int) -> TrainConfig:
        constant = self.learning_rate_end is None
        return TrainConfig(
            epochs=int(epochs),
            batch_size=int(self.batch_size),
            k=int(self.k),
            persistent=bool(self.persistent),
            lr_schedule="constant" if constant else "log",
            lr_start=float(self.learning_rate),
            lr_end=float(self.learning_rate if constant else self.learning_rate_end),
            momentum=float(self.momentum),
            initial_momentum=float(self.momentum),
        )

    def _sampling_config(self, n_visible: int) -> SamplingConfig:
        n = int(self.fi_samples)
        exact = n_visible <= EXACT_SAMPLING_MAX_VISIBLE
        return SamplingConfig(n_samples=n, method="exact" if exact else "gibbs", n_chains=n,
                              burn_in=int(self.fi_burn_in), thin=1, init="data")

    # -- fitted state -----------------------------------------------------------------------
    def _set_model(self, rbm: RBM) -> None:
        self.rbm_ = rbm
        W = rbm.W.detach().cpu()
        self.components_ = W.T.contiguous().numpy().copy()
        self.intercept_hidden_ = rbm.b_h.detach().cpu().numpy().copy()
        self.intercept_visible_ = rbm.b_v.detach().cpu().numpy().copy()
        self.mask_ = rbm.mask.cpu().T.contiguous().numpy().copy()
        self.hidden_index_ = rbm.hidden_index.cpu().numpy().copy()

    def _history_entry(self, rbm: RBM, round_: int, criterion, fraction, n_removed, removed
                       ) -> dict:
        return {"round": round_, "criterion": criterion, "fraction": fraction,
                "n_weights": rbm.n_weights, "n_hidden": rbm.n_hidden,
                "n_removed_weights": int(n_removed),
                "removed_hidden": [int(i) for i in removed]}

    def _init_model(self, V: np.ndarray) -> RBM:
        self._seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        self._n_partial_fit = 0
        rbm = init_rbm(V.shape[1], int(self.n_components),
                       generator=stage_generator(self._seed, "init", device=self._device()),
                       visible_on_fraction=torch.from_numpy(V.mean(0)))
        return rbm.to(self._device())

    # -- public API -----------------------------------------------------------------------
    @_with_threads
    def fit(self, X, y=None) -> PrunableRBM:
        """Train the RBM on X and, if ``criterion`` is set and ``prune_fraction > 0``, prune
        it ``prune_iterations`` times with retraining.

        X : array-like or sparse matrix of shape (n_samples, n_features); binarised with
            ``binarize``. y : ignored. Returns self.
        """
        self._check_params()
        V = self._validate_X(X, reset=True)
        rbm = self._init_model(V)
        data = torch.from_numpy(V).to(rbm.device)
        res = train_rbm(rbm, data, self._train_config(self.n_iter), progress=bool(self.verbose),
                        generator=stage_generator(self._seed, "fit", device=rbm.device),
                        desc="fit")
        rbm, history = res.rbm, [self._history_entry(res.rbm, 0, None, None, 0, [])]
        if self.criterion is not None and self.prune_fraction > 0:
            rbm, history = self._prune(rbm, history, data, self.criterion,
                                       float(self.prune_fraction), int(self.prune_iterations),
                                       int(self.retrain_iter))
        self.reconstruction_error_ = list(res.reconstruction_error)
        self.pruning_history_ = history
        self._set_model(rbm)
        return self

    @_with_threads
    def partial_fit(self, X, y=None) -> PrunableRBM:
        """One epoch of CD-k / PCD-k on X (in minibatches of ``batch_size``), starting from
        the current model; the first call initialises it. Momentum and persistent chains
        restart with every call. A pruned model keeps its mask. Returns self."""
        first = not hasattr(self, "rbm_")
        self._check_params()
        V = self._validate_X(X, reset=first)
        rbm = self._init_model(V) if first else self.rbm_
        self._n_partial_fit += 1
        res = train_rbm(rbm, torch.from_numpy(V).to(rbm.device), self._train_config(1),
                        generator=stage_generator(self._seed, "partial_fit",
                                                  self._n_partial_fit, device=rbm.device),
                        progress=bool(self.verbose), desc="partial_fit")
        if first:
            self.reconstruction_error_ = []
            self.pruning_history_ = [self._history_entry(res.rbm, 0, None, None, 0, [])]
        self.reconstruction_error_.extend(res.reconstruction_error)
        self._set_model(res.rbm)
        return self

    @_with_threads
    def prune(self, X, y=None, *, criterion=None, fraction=None, iterations=None,
              retrain_iter=None) -> PrunableRBM:
        """Prune the fitted model: ``iterations`` rounds of (sample the model -> importance
        under ``criterion`` -> remove ``fraction`` of the remaining weights -> drop hidden
        units without weights -> retrain ``retrain_iter`` epochs on X).

        Arguments left None take the estimator's parameters (``criterion``,
        ``prune_fraction``, ``prune_iterations``, ``retrain_iter``); ``fraction`` must be
        in (0, 1). ``fit`` with the same settings gives the same model as ``fit`` without
        pruning followed by ``prune``. Returns self.
        """
        check_is_fitted(self)
        criterion = self.criterion if criterion is None else criterion
        if criterion is None:
            raise InvalidInputError("prune needs a criterion: pass criterion= or set the criterion "
                                    f"parameter (available: {', '.join(available_criteria())})")
        self._check_criterion(criterion)
        fraction = check_fraction("fraction",
                                  self.prune_fraction if fraction is None else fraction)
        iterations = check_positive_int(
            "iterations", self.prune_iterations if iterations is None else iterations)
        retrain_iter = check_positive_int(
            "retrain_iter", self.retrain_iter if retrain_iter is None else retrain_iter)
        V = self._validate_X(X, reset=False)
        rbm, history = self._prune(self.rbm_, self.pruning_history_, self._tensor(V),
                                   criterion, fraction, iterations, retrain_iter)
        self.pruning_history_ = history
        self._set_model(rbm)
        return self

    def _prune(self, rbm: RBM, history: list[dict], data: torch.Tensor, criterion: str,
               fraction: float, iterations: int, retrain_iter: int
               ) -> tuple[RBM, list[dict]]:
        """The library's prune -> retrain loop on ``rbm``; returns the final model and the
        extended history (the estimator is not changed, so a failure leaves it intact).
        Each call draws from its own seed, derived from the rounds already done."""
        done = len(history) - 1
        result = prune_retrain(
            rbm, data, PruneConfig(criterion, iterations=iterations, fraction=fraction),
            retrain=self._train_config(retrain_iter),
            sampling=self._sampling_config(rbm.n_visible),
            seed=stage_seed(self._seed, "prune", done), progress=bool(self.verbose))
        history = list(history)
        for rec in result.rounds:
            history.append(self._history_entry(rec.retrained, done + rec.iteration, criterion,
                                               fraction, rec.n_cut[0],
                                               rec.removed_units[0].tolist()))
        return result.final, history

    @_with_threads
    def transform(self, X) -> np.ndarray:
        """Hidden activation probabilities p(h_j = 1 | v) (paper eq. 7).

        X : array-like or sparse of shape (n_samples, n_features); binarised with
        ``binarize``. Returns ndarray (n_samples, n_hidden_alive), float64: one column per
        hidden unit that still has a weight (pruned-away units are dropped; see
        ``hidden_index_`` for their original indices).
        """
        check_is_fitted(self)
        V = self._validate_X(X, reset=False)
        return _double(self.rbm_).p_h(self._tensor(V).double()).cpu().numpy()

    @_with_threads
    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood of each (binarised) sample under the model.

        With ``score_method`` "exact" (or "auto" and a smaller layer of at most 16 units):
        log p(v) = -F(v) - log Z, with log Z by enumeration
        (``boltzprune.models.enumerate.log_partition``; paper eq. 5-6). Otherwise the
        pseudo-log-likelihood sum_i log p(v_i | v_-i), summed over every feature
        (deterministic, unlike BernoulliRBM's one random feature). Returns (n_samples,)
        float64.
        """
        check_is_fitted(self)
        V = self._validate_X(X, reset=False)
        v = self._tensor(V).double()
        rbm = self.rbm_
        small = min(rbm.n_visible, rbm.n_hidden)
        method = check_choice("score_method", self.score_method, SCORE_METHODS)
        if method == "auto":
            method = "exact" if small <= AUTO_EXACT_MAX_UNITS else "ais"
        if method == "exact":
            if small > MAX_ENUMERATED_UNITS:
                raise InvalidInputError(f"score_method='exact' needs a layer of at most "
                                        f"{MAX_ENUMERATED_UNITS} units; this RBM is "
                                        f"{rbm.n_visible} x {rbm.n_hidden}: use 'ais', "
                                        "'pseudo' or 'auto'")
            out = -_double(rbm).free_energy(v) - log_partition(rbm)
        elif method == "ais":
            out = -_double(rbm).free_energy(v) - self._ais_log_z()
        else:
            out = _pseudo_log_likelihood(rbm, v)
        return out.cpu().numpy()

    def _ais_log_z(self) -> float:
        """log Z of the fitted RBM by forward AIS, kept until the weights change."""
        from boltzprune.evaluate.ais import ais_log_partition

        rbm = self.rbm_
        key = (id(rbm), rbm.W._version, rbm.b_v._version, rbm.b_h._version)
        cached = getattr(self, "_ais_cache", None)
        if cached is None or cached[0] != key:
            est = ais_log_partition(rbm, generator=stage_generator(self._seed, "ais",
                                                                    device=rbm.device))
            self._ais_cache = cached = (key, est.log_z)
        return cached[1]

    def score(self, X, y=None) -> float:
        """Mean of ``score_samples(X)`` (exact, AIS or pseudo log-likelihood per pattern)."""
        return float(np.mean(self.score_samples(X)))

    @_with_threads
    def gibbs(self, X, random_state=None) -> np.ndarray:
        """One Gibbs step from each (binarised) row of X: h ~ p(h|v), then v' ~ p(v|h).
        Returns ndarray (n_samples, n_features) float64 of 0/1."""
        check_is_fitted(self)
        V = self._validate_X(X, reset=False)
        rbm = self.rbm_
        g = self._generator(random_state, rbm.device)
        return rbm.sample_v(rbm.sample_h(self._tensor(V), g), g).double().cpu().numpy()

    @_with_threads
    def sample(self, n_samples=1, *, burn_in=1000, random_state=None) -> np.ndarray:
        """``n_samples`` visible patterns from the model: exact (enumeration) for at most
        16 visible units, else one Gibbs chain per sample from uniform random bits after
        ``burn_in`` sweeps. Returns ndarray (n_samples, n_features) float64 of 0/1."""
        check_is_fitted(self)
        n_samples = check_positive_int("n_samples", n_samples)
        burn_in = check_positive_int("burn_in", burn_in, minimum=0)
        exact = self.rbm_.n_visible <= EXACT_SAMPLING_MAX_VISIBLE
        cfg = SamplingConfig(n_samples=n_samples, method="exact" if exact else "gibbs",
                             n_chains=n_samples, burn_in=burn_in, thin=1, init="random")
        s = sample_rbm(self.rbm_, cfg, generator=self._generator(random_state, self.rbm_.device))
        return s.v.double().cpu().numpy()

    @staticmethod
    def _generator(random_state, device: torch.device) -> torch.Generator:
        """A torch generator on ``device`` seeded from ``random_state`` (int, RandomState or
        None)."""
        seed = int(check_random_state(random_state).randint(2**31 - 1))
        return torch.Generator(device=device).manual_seed(seed)
