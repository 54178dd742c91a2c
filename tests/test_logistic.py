"""fit_logistic (L-BFGS in torch) against scikit-learn's LogisticRegression(lbfgs): the same
objective, minimum, parameters and predictions; its input checks."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from boltzprune.errors import InvalidInputError
from boltzprune.evaluate.logistic import TorchLogistic, fit_logistic


def overlapping(n: int, d: int, labels: list[int], seed: int):
    """Gaussian clusters (unit noise around centres of sd 0.35) that overlap, so the fit has
    misclassified points and a non-trivial minimum; labels drawn from ``labels``."""
    rng = np.random.default_rng(seed)
    centres = 0.35 * rng.standard_normal((len(labels), d))
    index = rng.integers(0, len(labels), n)
    x = centres[index] + rng.standard_normal((n, d))
    return x, np.asarray(labels)[index]


def objective(coef: np.ndarray, intercept: np.ndarray, x: np.ndarray, y: np.ndarray,
              classes: np.ndarray, C: float) -> float:
    """scikit-learn's lbfgs objective divided by C n: mean log loss + ||W||^2 / (2 C n)."""
    n = x.shape[0]
    z = x @ coef.T + intercept
    if coef.shape[0] == 1:
        t = (y == classes[1]).astype(np.float64)
        loss = np.logaddexp(0.0, z[:, 0]) - t * z[:, 0]
    else:
        loss = np.logaddexp.reduce(z, axis=1) - z[np.arange(n), np.searchsorted(classes, y)]
    return float(loss.mean() + 0.5 / (C * n) * np.sum(coef ** 2))


CASES = [([0, 1], 1.0), ([4, 7], 0.1), ([0, 1, 2], 1.0), ([2, 5, 9], 0.3),
         (list(range(10)), 1.0), (list(range(10)), 10.0)]


@pytest.mark.parametrize(("labels", "C"), CASES)
def test_matches_sklearn(labels, C):
    x, y = overlapping(300, 20, labels, seed=len(labels) + int(10 * C))
    sk = LogisticRegression(C=C, solver="lbfgs", max_iter=1000, tol=1e-8).fit(x, y)
    model = fit_logistic(torch.from_numpy(x), torch.from_numpy(y), C=C, max_iter=1000,
                         tol=1e-8)
    assert isinstance(model, TorchLogistic)
    k = len(labels)
    rows = 1 if k == 2 else k
    assert model.coef.shape == (rows, 20) and model.intercept.shape == (rows,)
    assert model.coef.dtype == model.intercept.dtype == torch.float64
    assert model.classes.tolist() == labels == sk.classes_.tolist()

    coef, intercept = model.coef.numpy(), model.intercept.numpy()
    f_sk = objective(sk.coef_, sk.intercept_, x, y, sk.classes_, C)
    f_t = objective(coef, intercept, x, y, sk.classes_, C)
    assert f_t == pytest.approx(f_sk, rel=1e-6)
    # both at the same (strictly convex) minimum, not just close in value
    np.testing.assert_allclose(coef, sk.coef_, atol=1e-3)
    np.testing.assert_allclose(intercept, sk.intercept_, atol=1e-3)
    if k > 2:
        assert abs(intercept.sum()) < 1e-8  # centred

    xt = torch.from_numpy(x)
    pred = model.predict(xt)
    assert pred.dtype == torch.int64
    assert np.mean(pred.numpy() == sk.predict(x)) >= 0.99
    assert 0.05 < np.mean(pred.numpy() != y) < 0.7  # the problem is not trivially separable
    proba = model.predict_proba(xt)
    assert proba.shape == (300, k)
    np.testing.assert_allclose(proba.sum(dim=1).numpy(), 1.0, atol=1e-12)
    np.testing.assert_allclose(proba.numpy(), sk.predict_proba(x), atol=1e-3)
    scores = model.decision_function(xt)
    assert scores.shape == ((300,) if k == 2 else (300, k))
    np.testing.assert_allclose(scores.numpy(), sk.decision_function(x), atol=1e-2)


def test_default_tol_reaches_sklearn_minimum():
    """With scikit-learn's default tol (1e-4) both stop near the same minimum."""
    x, y = overlapping(300, 20, list(range(10)), seed=21)
    sk = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    model = fit_logistic(torch.from_numpy(x), torch.from_numpy(y), C=1.0)
    f_sk = objective(sk.coef_, sk.intercept_, x, y, sk.classes_, 1.0)
    f_t = objective(model.coef.numpy(), model.intercept.numpy(), x, y, sk.classes_, 1.0)
    assert f_t == pytest.approx(f_sk, rel=1e-5)
    assert np.mean(model.predict(torch.from_numpy(x)).numpy() == sk.predict(x)) >= 0.99


def test_float32_and_bool_features_and_labels_on_other_dtypes():
    x, y = overlapping(200, 8, [0, 1, 2], seed=3)
    ref = fit_logistic(torch.from_numpy(x), torch.from_numpy(y), C=1.0, tol=1e-8)
    f32 = fit_logistic(torch.from_numpy(x).float(), torch.from_numpy(y).int(), C=1.0,
                       tol=1e-8)
    assert f32.coef.dtype == torch.float64
    np.testing.assert_allclose(f32.coef.numpy(), ref.coef.numpy(), atol=1e-4)
    xb = torch.from_numpy(x > 0)
    sk = LogisticRegression(C=1.0, max_iter=1000, tol=1e-8).fit(x > 0, y)
    mb = fit_logistic(xb, torch.from_numpy(y), C=1.0, tol=1e-8)
    np.testing.assert_allclose(mb.coef.numpy(), sk.coef_, atol=1e-3)


def test_deterministic():
    x, y = overlapping(200, 10, [1, 3, 6], seed=5)
    a = fit_logistic(torch.from_numpy(x), torch.from_numpy(y), C=0.5)
    b = fit_logistic(torch.from_numpy(x), torch.from_numpy(y), C=0.5)
    assert torch.equal(a.coef, b.coef) and torch.equal(a.intercept, b.intercept)


@pytest.mark.parametrize("labels", [[0, 1], list(range(10))])
def test_few_iterations_give_finite_params_on_the_way(labels):
    """max_iter small: stops early with finite parameters, the objective falling from the
    start towards the minimum with each allowed iteration; after 10 about as close to it as
    scikit-learn after 10."""
    x, y = overlapping(300, 20, labels, seed=8)
    classes = np.asarray(labels)
    rows = 1 if len(labels) == 2 else len(labels)
    f_zero = objective(np.zeros((rows, 20)), np.zeros(rows), x, y, classes, 1.0)
    full = fit_logistic(torch.from_numpy(x), torch.from_numpy(y), C=1.0, tol=1e-8)
    f_min = objective(full.coef.numpy(), full.intercept.numpy(), x, y, classes, 1.0)
    gaps = []
    for max_iter in (1, 3, 10):
        m = fit_logistic(torch.from_numpy(x), torch.from_numpy(y), C=1.0, max_iter=max_iter)
        assert torch.isfinite(m.coef).all() and torch.isfinite(m.intercept).all()
        assert m.coef.abs().max() > 0
        gaps.append(objective(m.coef.numpy(), m.intercept.numpy(), x, y, classes, 1.0) - f_min)
    assert f_zero - f_min > gaps[0] > gaps[1] > gaps[2] >= -1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = LogisticRegression(C=1.0, max_iter=10).fit(x, y)
    gap_sk = objective(sk.coef_, sk.intercept_, x, y, classes, 1.0) - f_min
    assert gaps[2] < 2 * gap_sk + 1e-3 * (f_zero - f_min)


def test_input_errors():
    x, y = overlapping(50, 4, [0, 1, 2], seed=9)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    with pytest.raises(InvalidInputError, match=r"x must be \(n, d\) and y \(n,\), got shapes "
                                                r"\(50,\) and \(50,\)"):
        fit_logistic(xt[:, 0], yt, C=1.0)
    with pytest.raises(InvalidInputError, match=r"got shapes \(50, 4\) and \(50, 1\)"):
        fit_logistic(xt, yt[:, None], C=1.0)
    with pytest.raises(InvalidInputError, match=r"got shapes \(50, 4\) and \(49,\)"):
        fit_logistic(xt, yt[1:], C=1.0)
    with pytest.raises(InvalidInputError, match="y must hold at least 2 classes, got 1"):
        fit_logistic(xt, torch.full((50,), 3), C=1.0)
    model = fit_logistic(xt, yt, C=1.0)
    with pytest.raises(InvalidInputError, match=r"x must have shape \(n, 4\), got \(50, 3\)"):
        model.predict(xt[:, :3])
    with pytest.raises(InvalidInputError, match=r"x must have shape \(n, 4\), got \(4,\)"):
        model.predict_proba(xt[0])
