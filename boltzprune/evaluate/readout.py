"""Read-outs of a trained DBM through a logistic classifier (paper 2.4, 2.5 and 4.5).

* Encoding quality: a multinomial logistic regression is trained on the deepest layer's
  mean-field encodings of the training digits and its error on the test encodings is the
  encoding error; the same function on raw pixels gives the baseline (paper Fig 3 B).
* Generative quality: a classifier trained on raw digits labels generated samples; the mean
  winning-class probability is the quality ("confidence"), the class fractions and their
  entropy the diversity (paper 2.5, 4.5).
* Bootstrap entropy of the class distribution of generated digits, over sample sizes, with a
  linear extrapolation in 1/k to k -> infinity (paper 2.5, 4.5).

Classifier settings (DESIGN section 3): C = 1 on encodings, C = 0.1 for the classifier of
generated digits; both multinomial logistic regression fitted by L-BFGS.

Where the classifiers run (``backend``): numpy arrays and CPU tensors go to scikit-learn's
``LogisticRegression`` on the host, exactly as always; torch tensors on another device (a GPU)
are fitted and classified there by :func:`boltzprune.evaluate.logistic.fit_logistic`, which
solves the same problem in float64 with the same C, max_iter and tol, and nothing but the
scalar results (and the labels of generated samples) is copied to the host. The device path
checks its input with the same messages, with torch ops on the device and one host sync.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.evaluate.logistic import TorchLogistic, fit_logistic
from boltzprune.seeding import stage_rng

__all__ = [
    "GenerationQuality",
    "bootstrap_entropy",
    "class_entropy",
    "encoding_error",
    "fit_classifier",
    "generation_quality",
]


# --------------------------------------------------------------------------- validation


def _as_array(name: str, x: object) -> np.ndarray:
    """A numpy view of x (numpy array, torch tensor or array-like of numbers)."""
    if isinstance(x, torch.Tensor):
        return np.asarray(x.detach().cpu())
    if isinstance(x, (str, bytes)) or x is None:
        raise InvalidTypeError(f"{name} must be a numpy array or torch tensor, got "
                               f"{type(x).__name__}")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise InvalidTypeError(f"{name} must be a numpy array or torch tensor, got "
                               f"{type(x).__name__}") from err
    return arr


def _features(name: str, x: object, *, n_columns: int | None = None) -> np.ndarray:
    """A finite (n, d) float64 matrix with n >= 1 and d >= 1."""
    arr = _as_array(name, x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or arr.dtype == np.bool_):
        raise InvalidTypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise InvalidInputError(f"{name} must be 2-D (n_samples, n_features), got shape "
                                f"{arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidInputError(f"{name} must have at least one row and one column, got shape "
                                f"{arr.shape}")
    if n_columns is not None and arr.shape[1] != n_columns:
        raise InvalidInputError(f"{name} must have {n_columns} columns, got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        raise InvalidInputError(f"{name} must be finite, found {int((~np.isfinite(arr)).sum())} "
                                "NaN/inf entries")
    return arr


def _labels(name: str, y: object, *, n: int | None = None,
            n_classes: int | None = None) -> np.ndarray:
    """A 1-D int64 vector of class labels >= 0 (and < n_classes when given)."""
    arr = _as_array(name, y)
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be 1-D (n_samples,), got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise InvalidInputError(f"{name} must have {n} entries to match the features, got "
                                f"{arr.shape[0]}")
    if arr.shape[0] == 0:
        raise InvalidInputError(f"{name} must not be empty, got shape {arr.shape}")
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise InvalidTypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.isfinite(arr).all() or np.any(arr != np.round(arr)):
            raise InvalidInputError(f"{name} must hold integer class labels, found non-integer "
                                    "values")
    out = arr.astype(np.int64)
    high = np.iinfo(np.int64).max if n_classes is None else n_classes
    bad = (out < 0) | (out >= high)
    if bad.any():
        upper = "" if n_classes is None else f" and < {n_classes}"
        raise InvalidInputError(f"{name} must be class labels >= 0{upper}, found {out[bad][0]}")
    return out


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidTypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise InvalidInputError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def _check_c(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidTypeError(f"C must be a finite number > 0, got {value!r}")
    c = float(value)
    if not math.isfinite(c) or c <= 0:
        raise InvalidInputError(f"C must be a finite number > 0, got {value}")
    return c


# --------------------------------------------------------------------------- device checks

Backend = Literal["auto", "sklearn", "torch"]
_BACKENDS = ("auto", "sklearn", "torch")
_TOL = 1e-4  # scikit-learn LogisticRegression's default tol, used by the torch backend too
_REAL_DTYPES = tuple(getattr(torch, t) for t in ("bool", "uint8", "int8", "int16", "int32",
                                                  "int64", "uint16", "uint32", "uint64")
                     if hasattr(torch, t))  # the unsigned wide ones from torch 2.3


def _torch_device(backend: object, *arrays: object) -> torch.device | None:
    """The device of the torch path, or None for the scikit-learn path.

    "auto": the torch path on the device of the first tensor not on the CPU, if any;
    "sklearn": always scikit-learn; "torch": the torch path on that device, else the CPU.
    """
    if not isinstance(backend, str) or backend not in _BACKENDS:
        raise InvalidInputError(f"backend must be one of {', '.join(_BACKENDS)}, got "
                                f"{backend!r}")
    if backend == "sklearn":
        return None
    device = next((a.device for a in arrays
                   if isinstance(a, torch.Tensor) and a.device.type != "cpu"), None)
    if backend == "torch" and device is None:
        return torch.device("cpu")
    return device


class _DeviceChecks:
    """Value checks of tensors, queued as int64 scalars on their device and resolved in
    order with one host sync (:meth:`resolve`)."""

    def __init__(self) -> None:
        self._queued: list[tuple[torch.Tensor, torch.Tensor, Callable[[int, int], str]]] = []

    def add(self, count: torch.Tensor, detail: torch.Tensor,
            message: Callable[[int, int], str]) -> None:
        """Fail with ``message(count, detail)`` if the scalar ``count`` is non-zero."""
        self._queued.append((count.to(torch.int64), detail.to(torch.int64), message))

    def resolve(self) -> None:
        """Copy the queued scalars to the host at once; raise the first failed check."""
        if not self._queued:
            return
        values = torch.stack([torch.stack([c, d]) for c, d, _ in self._queued]).tolist()
        for (count, detail), (_, _, message) in zip(values, self._queued, strict=True):
            if count:
                raise InvalidInputError(message(count, detail))


def _tensor_features(name: str, x: object, device: torch.device, checks: _DeviceChecks, *,
                     n_columns: int | None = None) -> torch.Tensor:
    """As :func:`_features`, as a tensor on ``device`` (dtype kept); a tensor is checked
    there, its finiteness queued in ``checks``; anything else is checked on the host."""
    if not isinstance(x, torch.Tensor):
        return torch.from_numpy(_features(name, x, n_columns=n_columns)).to(device)
    if not (x.dtype.is_floating_point or x.dtype in _REAL_DTYPES):
        raise InvalidTypeError(f"{name} must be numeric, got dtype {x.dtype}")
    shape = tuple(x.shape)
    if x.ndim != 2:
        raise InvalidInputError(f"{name} must be 2-D (n_samples, n_features), got shape "
                                f"{shape}")
    if shape[0] == 0 or shape[1] == 0:
        raise InvalidInputError(f"{name} must have at least one row and one column, got shape "
                                f"{shape}")
    if n_columns is not None and shape[1] != n_columns:
        raise InvalidInputError(f"{name} must have {n_columns} columns, got shape {shape}")
    x = x.detach().to(device)
    if x.dtype.is_floating_point:
        bad = torch.isfinite(x).logical_not_().sum()
        checks.add(bad, bad, lambda c, _: f"{name} must be finite, found {c} NaN/inf entries")
    return x


def _tensor_labels(name: str, y: object, device: torch.device, checks: _DeviceChecks, *,
                   n: int | None = None, n_classes: int | None = None) -> torch.Tensor:
    """As :func:`_labels`, as an int64 tensor on ``device``; a tensor is checked there, its
    values' checks queued in ``checks``; anything else is checked on the host."""
    if not isinstance(y, torch.Tensor):
        return torch.from_numpy(_labels(name, y, n=n, n_classes=n_classes)).to(device)
    shape = tuple(y.shape)
    if y.ndim != 1:
        raise InvalidInputError(f"{name} must be 1-D (n_samples,), got shape {shape}")
    if n is not None and shape[0] != n:
        raise InvalidInputError(f"{name} must have {n} entries to match the features, got "
                                f"{shape[0]}")
    if shape[0] == 0:
        raise InvalidInputError(f"{name} must not be empty, got shape {shape}")
    if y.dtype == torch.bool or not (y.dtype.is_floating_point or y.dtype in _REAL_DTYPES):
        raise InvalidTypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    y = y.detach().to(device)
    if y.dtype.is_floating_point:
        finite = torch.isfinite(y)
        bad = (finite.logical_not() | (y != torch.round(y))).sum()
        checks.add(bad, bad, lambda *_: f"{name} must hold integer class labels, found "
                                        "non-integer values")
        y = torch.where(finite, y, 0)
    out = y.to(torch.int64)
    bad = out < 0
    if n_classes is not None:
        bad |= out >= n_classes
    upper = "" if n_classes is None else f" and < {n_classes}"
    checks.add(bad.sum(), out[bad.to(torch.uint8).argmax()],
               lambda _, v: f"{name} must be class labels >= 0{upper}, found {v}")
    return out


def _two_classes(name: str, y: torch.Tensor, checks: _DeviceChecks) -> None:
    """Queue the check that y (n,) holds at least two distinct labels."""
    one = (y != y[0]).any().logical_not()
    checks.add(one, one, lambda *_: f"{name} must contain at least 2 classes, got 1")


@dataclass(frozen=True, eq=False)
class _TorchFit:
    """A checked fitting problem of the torch backend; calling it fits (after the queued
    checks are resolved)."""

    x: torch.Tensor  # (n, d) on the device
    y: torch.Tensor  # (n,) int64 on the device
    C: float
    max_iter: int

    @property
    def n_features(self) -> int:
        return int(self.x.shape[1])

    def __call__(self) -> TorchLogistic:
        return fit_logistic(self.x, self.y, C=self.C, max_iter=self.max_iter, tol=_TOL)


def _torch_fit(x_name: str, x: object, y: object, device: torch.device, checks: _DeviceChecks,
               *, C: object, max_iter: object, seed: object) -> _TorchFit:
    """The checks of :func:`fit_classifier`'s arguments on ``device`` (value checks queued
    in ``checks``), as the problem to fit."""
    xt = _tensor_features(x_name, x, device, checks)
    yt = _tensor_labels("y", y, device, checks, n=xt.shape[0])
    c = _check_c(C)
    iters = _check_int("max_iter", max_iter, 1)
    _check_int("seed", seed, 0)
    _two_classes("y", yt, checks)
    return _TorchFit(xt, yt, c, iters)


# --------------------------------------------------------------------------- classifiers


def fit_classifier(x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor, *, C: float,
                   max_iter: int = 1000, seed: int = 0,
                   backend: Backend = "auto") -> LogisticRegression | TorchLogistic:
    """Fit an L2-regularised multinomial logistic regression (L-BFGS) to (x, y).

    The classifier of both read-outs (paper 2.4 and 4.5): on the deepest layer's encodings
    (DESIGN: C = 1) and on raw digits for labelling generated samples (DESIGN: C = 0.1).

    Args:
        x: (n, d) numeric features (binary pixels, mean-field probabilities, ...), finite.
        y: (n,) integer class labels >= 0 (digits 0..9); at least two distinct classes.
        C: inverse regularisation strength, > 0.
        max_iter: L-BFGS iteration limit, >= 1.
        seed: passed to ``random_state`` (L-BFGS itself is deterministic; unused by the
            torch backend).
        backend: where to fit. "auto" (default): on the device of x or y when either is a
            tensor off the CPU (the torch backend), else scikit-learn on the host;
            "sklearn": always scikit-learn (tensors are copied to the host); "torch":
            :func:`~boltzprune.evaluate.logistic.fit_logistic` on that device, else on the
            CPU (tol 1e-4, scikit-learn's default).

    Returns:
        The fitted ``sklearn.linear_model.LogisticRegression``, or from the torch backend a
        :class:`~boltzprune.evaluate.logistic.TorchLogistic` on the features' device. With
        three or more classes it is the softmax (multinomial) model; with exactly two, the
        equivalent single-logit model.
    """
    device = _torch_device(backend, x, y)
    if device is not None:
        checks = _DeviceChecks()
        fit = _torch_fit("x", x, y, device, checks, C=C, max_iter=max_iter, seed=seed)
        checks.resolve()
        return fit()
    xa = _features("x", x)
    ya = _labels("y", y, n=xa.shape[0])
    c = _check_c(C)
    max_iter = _check_int("max_iter", max_iter, 1)
    seed = _check_int("seed", seed, 0)
    n_distinct = np.unique(ya).size
    if n_distinct < 2:
        raise InvalidInputError(f"y must contain at least 2 classes, got {n_distinct}")
    clf = LogisticRegression(C=c, solver="lbfgs", max_iter=max_iter, random_state=seed)
    clf.fit(xa, ya)
    return clf


def encoding_error(train_x: np.ndarray | torch.Tensor, train_y: np.ndarray | torch.Tensor,
                   test_x: np.ndarray | torch.Tensor, test_y: np.ndarray | torch.Tensor, *,
                   C: float = 1.0, max_iter: int = 1000, seed: int = 0,
                   backend: Backend = "auto") -> float:
    """Test error rate of a logistic classifier trained on training-set encodings.

    Encoding quality (paper 2.4, Fig 3 B, and 4.5): train on the deepest hidden layer's
    mean-field encodings of the training digits, report the fraction of misclassified test
    encodings. Called on raw pixels it gives the baseline (dotted line in Fig 3 B).

    Args:
        train_x: (n_train, d) training features.
        train_y: (n_train,) integer labels (0..9).
        test_x: (n_test, d) test features, same d.
        test_y: (n_test,) integer labels.
        C: inverse regularisation strength (DESIGN: 1 on encodings).
        max_iter, seed: as in :func:`fit_classifier`.
        backend: as in :func:`fit_classifier`; "auto" fits and predicts on the device of
            the first of the four that is a tensor off the CPU (the others are moved there),
            and only the error rate comes back to the host.

    Returns:
        The error rate in [0, 1].
    """
    device = _torch_device(backend, train_x, train_y, test_x, test_y)
    if device is not None:
        checks = _DeviceChecks()
        fit = _torch_fit("train_x", train_x, train_y, device, checks, C=C, max_iter=max_iter,
                         seed=seed)
        sx = _tensor_features("test_x", test_x, device, checks, n_columns=fit.n_features)
        sy = _tensor_labels("test_y", test_y, device, checks, n=sx.shape[0])
        checks.resolve()
        return (fit().predict(sx) != sy).sum().item() / sx.shape[0]
    tx = _features("train_x", train_x)
    sx = _features("test_x", test_x, n_columns=tx.shape[1])
    sy = _labels("test_y", test_y, n=sx.shape[0])
    clf = fit_classifier(tx, train_y, C=C, max_iter=max_iter, seed=seed, backend="sklearn")
    return float(np.mean(clf.predict(sx) != sy))


# --------------------------------------------------------------------------- generation


@dataclass(frozen=True, eq=False)
class GenerationQuality:
    """Quality and diversity of generated samples as judged by a classifier (paper 2.5, 4.5).

    Attributes:
        confidence: mean over samples of the winning class probability (digit quality).
        class_fractions: (n_classes,) fraction of samples assigned to each class (diversity),
            indexed by label value; sums to 1.
        entropy_nats: plug-in entropy of ``class_fractions`` in nats (ln 10 = 2.303 when
            balanced over ten digits).
        n_samples: number of samples classified.
        labels: (n_samples,) assigned class of each sample (the argmax), e.g. for
            :func:`bootstrap_entropy`.
    """

    confidence: float
    class_fractions: np.ndarray
    entropy_nats: float
    n_samples: int
    labels: np.ndarray


def generation_quality(classifier: LogisticRegression | TorchLogistic,
                       samples: np.ndarray | torch.Tensor, *,
                       n_classes: int = 10) -> GenerationQuality:
    """Classify generated samples and summarise quality and diversity (paper 2.5, 4.5).

    Args:
        classifier: a fitted classifier, normally :func:`fit_classifier` on raw digits with
            C = 0.1: either a scikit-learn one with ``predict_proba`` and integer
            ``classes_`` in [0, n_classes) (run on the host; tensors are copied there), or a
            :class:`~boltzprune.evaluate.logistic.TorchLogistic` with ``classes`` in
            [0, n_classes) (run on its device; samples are moved there, and only the
            labels, fractions and confidence come back).
        samples: (n, d) generated visible patterns, d = the classifier's number of features.
        n_classes: length of ``class_fractions`` (10 digits).

    Returns:
        :class:`GenerationQuality` (numpy arrays and floats).
    """
    n_classes = _check_int("n_classes", n_classes, 1)
    if isinstance(classifier, TorchLogistic):
        return _generation_quality_torch(classifier, samples, n_classes)
    if not hasattr(classifier, "predict_proba") or not hasattr(classifier, "classes_"):
        raise InvalidTypeError("classifier must be a fitted classifier with predict_proba and "
                               f"classes_, got {type(classifier).__name__}")
    classes = _labels("classifier.classes_", classifier.classes_, n_classes=n_classes)
    n_features = getattr(classifier, "n_features_in_", None)
    xa = _features("samples", samples, n_columns=n_features)
    proba = np.asarray(classifier.predict_proba(xa), dtype=np.float64)
    assert proba.shape == (xa.shape[0], classes.size)
    winner = proba.argmax(axis=1)
    labels = classes[winner]
    fractions = np.bincount(labels, minlength=n_classes).astype(np.float64) / xa.shape[0]
    labels.setflags(write=False)
    fractions.setflags(write=False)
    return GenerationQuality(
        confidence=float(proba[np.arange(xa.shape[0]), winner].mean()),
        class_fractions=fractions,
        entropy_nats=class_entropy(fractions),
        n_samples=int(xa.shape[0]),
        labels=labels,
    )


def _generation_quality_torch(classifier: TorchLogistic, samples: object,
                              n_classes: int) -> GenerationQuality:
    """:func:`generation_quality` on the classifier's device."""
    device = classifier.device
    checks = _DeviceChecks()
    classes = _tensor_labels("classifier.classes", classifier.classes, device, checks,
                             n_classes=n_classes)
    x = _tensor_features("samples", samples, device, checks,
                         n_columns=classifier.coef.shape[1])
    checks.resolve()
    n = x.shape[0]
    proba = classifier.predict_proba(x)  # (n, K) float64
    assert proba.shape == (n, classes.numel())
    winner = proba.argmax(dim=1)
    labels_t = classes[winner]
    summary = torch.cat([torch.bincount(labels_t, minlength=n_classes).to(torch.float64) / n,
                         proba.gather(1, winner[:, None]).mean().reshape(1)]).cpu().numpy()
    fractions = summary[:n_classes].copy()
    labels = labels_t.cpu().numpy().copy()
    labels.setflags(write=False)
    fractions.setflags(write=False)
    return GenerationQuality(
        confidence=float(summary[n_classes]),
        class_fractions=fractions,
        entropy_nats=class_entropy(fractions),
        n_samples=int(n),
        labels=labels,
    )


# --------------------------------------------------------------------------- entropy


def class_entropy(values: np.ndarray | torch.Tensor | Sequence[float]) -> float:
    """Plug-in entropy in nats of a class distribution, with 0 log 0 = 0 (paper 4.5).

    Args:
        values: either (n,) integer class labels (integer dtype; the empirical class
            distribution is used) or (n_classes,) class fractions (floating dtype,
            non-negative, summing to 1 within 1e-6). Pass counts as labels or normalise them.

    Returns:
        -sum_c p_c ln p_c; ln K for K equally frequent classes, 0 for a single class.
    """
    arr = _as_array("values", values)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise InvalidInputError(f"values must be a non-empty 1-D array, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.integer):
        labels = _labels("values", arr)
        p = np.bincount(labels).astype(np.float64) / labels.size
    elif np.issubdtype(arr.dtype, np.floating):
        p = arr.astype(np.float64)
        bad = ~np.isfinite(p) | (p < 0)
        if bad.any():
            raise InvalidInputError("values (fractions) must be finite and >= 0, found "
                                    f"{p[bad][0]}")
        total = float(p.sum())
        if abs(total - 1.0) > 1e-6:
            raise InvalidInputError(f"values (fractions) must sum to 1, got {total:.6g}; pass "
                                    "integer labels or normalised fractions")
        p = p / total
    else:
        raise InvalidTypeError(f"values must be integer labels or float fractions, got dtype "
                               f"{arr.dtype}")
    nz = p[p > 0]
    return float(max(0.0, -np.sum(nz * np.log(nz))))


def bootstrap_entropy(labels: np.ndarray | torch.Tensor, sizes: Sequence[int], *,
                      n_resamples: int = 10_000, n_classes: int = 10,
                      seed: int = 0) -> dict[str, np.ndarray | float]:
    """Bootstrap the plug-in class entropy over sample sizes and extrapolate to k -> inf.

    Paper 2.5 and 4.5: draw ``n_resamples`` samples of size k with replacement from the
    assigned classes of the generated digits (k from 100 to 80,000, also beyond the number
    of labels), compute the plug-in entropy of each, and report its mean and standard
    deviation per k. A resample of size k has class counts ~ Multinomial(k, p_hat), with
    p_hat the class fractions of ``labels``; the counts are drawn directly (vectorised over
    resamples).

    The plug-in entropy is biased low by about -(K-1)/(2k) for K occupied classes (Miller
    1955), i.e. linear in 1/k; the mean entropies are therefore fitted by least squares as
    ``mean = extrapolated + slope / k`` ("extrapolated linearly", paper 2.5) and the
    intercept is the k -> infinity estimate. It estimates the entropy of p_hat (the plug-in
    entropy of all labels, returned as ``full_sample``), itself biased low by about
    (K-1)/(2n) relative to the generating distribution.

    Args:
        labels: (n,) integer class labels in [0, n_classes).
        sizes: resample sizes k, each >= 1, at least two distinct values.
        n_resamples: resamples per size (paper: 10,000), >= 2.
        n_classes: number of classes K (10 digits).
        seed: the draws for size k come from ``stage_rng(seed, "bootstrap_entropy", k)``, so
            each size's numbers do not depend on the other sizes requested.

    Returns:
        dict with
        ``sizes`` (m,) int64 as given; ``mean`` (m,) and ``sd`` (m,) (ddof = 1) of the
        entropy in nats per size; ``extrapolated`` (float) the intercept at 1/k = 0;
        ``slope`` (float) the fitted coefficient of 1/k (about -(K-1)/2); ``full_sample``
        (float) the plug-in entropy of all labels.
    """
    n_classes = _check_int("n_classes", n_classes, 1)
    lab = _labels("labels", labels, n_classes=n_classes)
    n_resamples = _check_int("n_resamples", n_resamples, 2)
    seed = _check_int("seed", seed, 0)
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise InvalidTypeError(f"sizes must be a sequence of integers >= 1, got "
                               f"{type(sizes).__name__}")
    ks = np.array([_check_int(f"sizes[{i}]", k, 1) for i, k in enumerate(sizes)],
                  dtype=np.int64)
    if np.unique(ks).size < 2:
        raise InvalidInputError(f"sizes must hold at least 2 distinct sizes for the extrapolation, "
                                f"got {ks.tolist()}")

    p_hat = np.bincount(lab, minlength=n_classes).astype(np.float64) / lab.size
    means = np.empty(ks.size)
    sds = np.empty(ks.size)
    for i, k in enumerate(ks):
        rng = stage_rng(seed, "bootstrap_entropy", int(k))
        counts = rng.multinomial(int(k), p_hat, size=n_resamples).astype(np.float64)
        # H = -sum (c/k) ln(c/k) = ln k - (1/k) sum c ln c, with 0 ln 0 = 0
        c_log_c = counts * np.log(np.where(counts > 0, counts, 1.0))
        h = np.log(float(k)) - c_log_c.sum(axis=1) / float(k)
        np.maximum(h, 0.0, out=h)  # round-off guard for single-class resamples
        means[i] = h.mean()
        sds[i] = h.std(ddof=1)

    design = np.column_stack([np.ones(ks.size), 1.0 / ks.astype(np.float64)])
    (intercept, slope), *_ = np.linalg.lstsq(design, means, rcond=None)
    return {
        "sizes": ks,
        "mean": means,
        "sd": sds,
        "extrapolated": float(intercept),
        "slope": float(slope),
        "full_sample": class_entropy(lab),
    }
