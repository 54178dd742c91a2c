"""Read-outs through a logistic classifier: encoding error, generation quality and the
bootstrap entropy of the class distribution (paper 2.4, 2.5, 4.5)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.evaluate.logistic import TorchLogistic
from boltzprune.evaluate.readout import (
    GenerationQuality,
    bootstrap_entropy,
    class_entropy,
    encoding_error,
    fit_classifier,
    generation_quality,
)

LN10 = math.log(10)


def separable(n: int, seed: int, n_classes: int = 10, d: int = 12):
    """Ten tight clusters far apart: one-hot centres scaled by 10, noise sd 0.1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    x = 10.0 * np.eye(n_classes, d)[y] + 0.1 * rng.standard_normal((n, d))
    return x, y


# ------------------------------------------------------------------- classifiers


def test_fit_classifier_is_multinomial_lbfgs():
    x, y = separable(300, 0)
    clf = fit_classifier(x, y, C=0.1)
    assert clf.solver == "lbfgs" and clf.C == 0.1 and clf.max_iter == 1000
    assert clf.classes_.tolist() == list(range(10))
    assert clf.coef_.shape == (10, 12)  # one weight vector per class: softmax model
    assert np.allclose(clf.predict_proba(x).sum(1), 1.0)


def test_fit_classifier_accepts_torch_tensors():
    x, y = separable(200, 1)
    a = fit_classifier(torch.from_numpy(x).float(), torch.from_numpy(y), C=1.0)
    b = fit_classifier(x.astype(np.float32), y, C=1.0)
    np.testing.assert_allclose(a.coef_, b.coef_)


def test_encoding_error_separable_is_zero():
    x, y = separable(500, 2)
    tx, ty = separable(500, 3)
    assert encoding_error(x, y, tx, ty) == 0.0


def test_encoding_error_random_labels_near_chance():
    rng = np.random.default_rng(4)
    x, tx = rng.standard_normal((2000, 20)), rng.standard_normal((2000, 20))
    y, ty = rng.integers(0, 10, 2000), rng.integers(0, 10, 2000)
    err = encoding_error(x, y, tx, ty, C=1.0)
    assert abs(err - 0.9) < 0.04


def test_encoding_error_binary_pixels_with_integral_float_labels():
    x, y = separable(400, 5)
    tx, ty = separable(200, 6)
    err = encoding_error(x > 5, y.astype(np.float64), torch.from_numpy(tx > 5),
                         torch.from_numpy(ty))
    assert err == 0.0


# ------------------------------------------------------------------- generation


def test_generation_quality_at_cluster_centres():
    centres = {3: np.array([8.0, 0.0]), 7: np.array([-8.0, 0.0])}
    rng = np.random.default_rng(7)
    y = np.repeat([3, 7], 100)
    x = np.stack([centres[c] for c in y]) + 0.3 * rng.standard_normal((200, 2))
    clf = fit_classifier(x, y, C=0.1)

    samples = np.stack([centres[3]] * 3 + [centres[7]])
    q = generation_quality(clf, samples)
    assert isinstance(q, GenerationQuality)
    assert q.n_samples == 4
    assert q.confidence > 0.99
    expected = np.zeros(10)
    expected[3], expected[7] = 0.75, 0.25
    np.testing.assert_array_equal(q.class_fractions, expected)
    assert q.labels.tolist() == [3, 3, 3, 7]
    assert q.entropy_nats == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    with pytest.raises(ValueError):
        q.class_fractions[0] = 1.0  # read-only


def test_generation_quality_ten_classes_balanced():
    x, y = separable(500, 8)
    clf = fit_classifier(x, y, C=0.1)
    centres = torch.from_numpy(10.0 * np.eye(10, 12)).repeat(2, 1)  # each class twice
    q = generation_quality(clf, centres)
    np.testing.assert_array_equal(q.class_fractions, np.full(10, 0.1))
    assert q.entropy_nats == pytest.approx(LN10)
    assert q.confidence > 0.95


class FixedProba:
    """A stand-in classifier that returns fixed probabilities."""

    classes_ = np.array([0, 2, 5])
    n_features_in_ = 3

    def predict_proba(self, x):
        return np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1],
                         [0.5, 0.25, 0.25]])[: len(x)]


def test_generation_quality_exact_confidence_and_fractions():
    q = generation_quality(FixedProba(), np.zeros((4, 3)))
    assert q.confidence == pytest.approx((0.6 + 0.6 + 0.8 + 0.5) / 4)
    np.testing.assert_allclose(q.class_fractions, [0.5, 0, 0.25, 0, 0, 0.25, 0, 0, 0, 0])
    assert q.labels.tolist() == [0, 5, 2, 0]


# ------------------------------------------------------------------- entropy


def test_class_entropy_uniform_and_single():
    assert class_entropy(np.arange(10)) == pytest.approx(LN10)
    assert class_entropy(np.full(10, 0.1)) == pytest.approx(LN10)
    assert class_entropy(np.array([4, 4, 4])) == 0.0
    assert class_entropy(np.array([0.0, 1.0, 0.0])) == 0.0
    assert class_entropy(torch.tensor([0, 1, 0, 1])) == pytest.approx(math.log(2))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=200))
def test_class_entropy_bounds_and_fraction_form_agree(labels):
    lab = np.array(labels)
    h = class_entropy(lab)
    assert -1e-12 <= h <= math.log(np.unique(lab).size) + 1e-12
    fractions = np.bincount(lab, minlength=10) / lab.size
    assert class_entropy(fractions) == pytest.approx(h, abs=1e-12)


@pytest.fixture(scope="module")
def uniform_boot():
    labels = np.random.default_rng(9).integers(0, 10, 60_000)
    sizes = [100, 210, 442, 928, 1951, 4100, 8618, 18112, 38065, 80_000]
    return labels, sizes, bootstrap_entropy(labels, sizes, n_resamples=10_000, seed=3)


def test_bootstrap_entropy_mean_rises_sd_falls(uniform_boot):
    labels, sizes, r = uniform_boot
    assert set(r) >= {"sizes", "mean", "sd", "extrapolated", "slope"}
    assert r["sizes"].tolist() == sizes
    assert r["mean"].shape == r["sd"].shape == (len(sizes),)
    assert np.all(np.diff(r["mean"]) > 0)
    assert np.all(r["mean"] < r["full_sample"])
    assert np.all(np.diff(r["sd"]) < 0)
    assert r["full_sample"] - r["mean"][-1] < 1e-3


def test_bootstrap_entropy_extrapolation(uniform_boot):
    labels, _, r = uniform_boot
    assert r["full_sample"] == pytest.approx(class_entropy(labels))
    assert abs(r["extrapolated"] - class_entropy(labels)) < 0.01
    assert abs(r["extrapolated"] - LN10) < 0.01
    assert r["slope"] == pytest.approx(-(10 - 1) / 2, rel=0.1)  # Miller bias -(K-1)/(2k)


def test_bootstrap_entropy_reproducible_and_per_size():
    labels = np.random.default_rng(10).integers(0, 10, 1000)
    a = bootstrap_entropy(labels, [100, 1000], n_resamples=500, seed=1)
    b = bootstrap_entropy(labels, [100, 1000], n_resamples=500, seed=1)
    c = bootstrap_entropy(labels, [1000, 5000], n_resamples=500, seed=1)
    d = bootstrap_entropy(labels, [100, 1000], n_resamples=500, seed=2)
    np.testing.assert_array_equal(a["mean"], b["mean"])
    np.testing.assert_array_equal(a["sd"], b["sd"])
    assert a["mean"][1] == c["mean"][0]  # a size's draws do not depend on the other sizes
    assert not np.array_equal(a["mean"], d["mean"])


def test_bootstrap_entropy_sizes_beyond_the_sample():
    labels = np.random.default_rng(11).integers(0, 4, 200)
    r = bootstrap_entropy(torch.from_numpy(labels), [50, 2_000, 20_000], n_resamples=200)
    assert np.all(np.isfinite(r["mean"])) and r["mean"][-1] <= r["full_sample"]
    assert abs(r["extrapolated"] - r["full_sample"]) < 0.01


def test_bootstrap_entropy_single_class_is_zero():
    r = bootstrap_entropy(np.full(50, 6), [10, 100], n_resamples=20)
    np.testing.assert_array_equal(r["mean"], 0.0)
    np.testing.assert_array_equal(r["sd"], 0.0)
    assert r["extrapolated"] == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------------------------- validation


def test_fit_classifier_validation():
    x, y = separable(50, 12)
    with pytest.raises(InvalidInputError, match="y must have 50 entries"):
        fit_classifier(x, y[:-1], C=1.0)
    with pytest.raises(InvalidInputError, match="at least 2 classes, got 1"):
        fit_classifier(x, np.zeros(50, int), C=1.0)
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(InvalidInputError, match="x must be finite"):
        fit_classifier(bad, y, C=1.0)
    with pytest.raises(InvalidInputError, match="x must be 2-D"):
        fit_classifier(x[:, 0], y, C=1.0)
    with pytest.raises(InvalidInputError, match="C must be a finite number > 0, got 0"):
        fit_classifier(x, y, C=0)
    with pytest.raises(InvalidTypeError, match="C must be a finite number"):
        fit_classifier(x, y, C=True)
    with pytest.raises(InvalidInputError, match="y must hold integer class labels"):
        fit_classifier(x, y + 0.5, C=1.0)
    with pytest.raises(InvalidInputError, match="y must be class labels >= 0, found -1"):
        fit_classifier(x, np.where(y == 0, -1, y), C=1.0)
    with pytest.raises(InvalidTypeError, match="max_iter must be an integer"):
        fit_classifier(x, y, C=1.0, max_iter=10.0)


def test_encoding_error_validation():
    x, y = separable(50, 13)
    with pytest.raises(InvalidInputError, match="test_x must have 12 columns"):
        encoding_error(x, y, x[:, :5], y)
    with pytest.raises(InvalidInputError, match="test_y must have 50 entries"):
        encoding_error(x, y, x, y[:10])


def test_generation_quality_validation():
    with pytest.raises(InvalidInputError, match="samples must have 3 columns"):
        generation_quality(FixedProba(), np.zeros((4, 2)))
    with pytest.raises(InvalidInputError, match=r"classifier.classes_ must be class labels >= 0 "
                                                r"and < 4, found 5"):
        generation_quality(FixedProba(), np.zeros((4, 3)), n_classes=4)
    with pytest.raises(InvalidTypeError, match="classifier must be a fitted classifier"):
        generation_quality(object(), np.zeros((4, 3)))


def test_class_entropy_validation():
    with pytest.raises(InvalidInputError, match="must sum to 1, got 3"):
        class_entropy(np.array([1.0, 2.0]))
    with pytest.raises(InvalidInputError, match="must be finite and >= 0, found -0.5"):
        class_entropy(np.array([1.5, -0.5]))
    with pytest.raises(InvalidInputError, match="non-empty 1-D"):
        class_entropy(np.ones((2, 2)))
    with pytest.raises(InvalidTypeError, match="integer labels or float fractions"):
        class_entropy(np.array(["a", "b"]))


def test_bootstrap_entropy_validation():
    labels = np.arange(10)
    with pytest.raises(InvalidInputError, match="at least 2 distinct sizes"):
        bootstrap_entropy(labels, [100, 100])
    with pytest.raises(InvalidInputError, match=r"sizes\[1\] must be an integer >= 1, got 0"):
        bootstrap_entropy(labels, [100, 0])
    with pytest.raises(InvalidTypeError, match="sizes must be a sequence"):
        bootstrap_entropy(labels, "100")
    with pytest.raises(InvalidInputError,
                       match="labels must be class labels >= 0 and < 10, found 10"):
        bootstrap_entropy(np.arange(11), [10, 20])
    with pytest.raises(InvalidInputError, match="n_resamples must be an integer >= 2, got 1"):
        bootstrap_entropy(labels, [10, 20], n_resamples=1)


# ------------------------------------------------------------------- backends


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's 8x8 digits, binarised (pixel > 7): 1200 training and 597 test."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x > 7).astype(np.float32)
    return x[:1200], y[:1200], x[1200:], y[1200:]


def test_auto_backend_on_cpu_is_sklearn_exactly(digits):
    x, y, tx, ty = digits
    xt, yt, txt, tyt = (torch.from_numpy(a) for a in digits)
    clf = fit_classifier(xt, yt, C=1.0, max_iter=50)
    ref = fit_classifier(x, y, C=1.0, max_iter=50, backend="sklearn")
    assert isinstance(clf, LogisticRegression)
    np.testing.assert_array_equal(clf.coef_, ref.coef_)
    np.testing.assert_array_equal(clf.intercept_, ref.intercept_)
    assert encoding_error(xt, yt, txt, tyt, max_iter=50) == encoding_error(
        x, y, tx, ty, max_iter=50, backend="sklearn")


@pytest.mark.parametrize("as_tensor", [True, False])
def test_torch_backend_encoding_error_matches_sklearn(digits, as_tensor):
    """backend="torch" on the CPU (numpy input converted, or CPU tensors) gives the
    scikit-learn path's error within 0.01, both converged (C = 1) and stopped early."""
    args = tuple(torch.from_numpy(a) for a in digits) if as_tensor else digits
    for max_iter in (1000, 30):
        sk = encoding_error(*digits, C=1.0, max_iter=max_iter)
        t = encoding_error(*args, C=1.0, max_iter=max_iter, backend="torch")
        assert isinstance(t, float)
        assert 0.03 < sk < 0.2  # a real readout: far from 0 and from chance (0.9)
        assert abs(t - sk) <= 0.01


def test_torch_backend_fit_classifier_is_torch_logistic(digits):
    x, y, tx, ty = digits
    clf = fit_classifier(torch.from_numpy(x), torch.from_numpy(y), C=0.1, backend="torch")
    assert isinstance(clf, TorchLogistic) and clf.device.type == "cpu"
    assert clf.coef.shape == (10, 64) and clf.classes.tolist() == list(range(10))
    ref = fit_classifier(x, y, C=0.1)
    pred = clf.predict(torch.from_numpy(tx)).numpy()
    assert np.mean(pred == ref.predict(tx)) >= 0.98
    np.testing.assert_allclose(clf.coef.numpy(), ref.coef_, atol=5e-3)


def test_generation_quality_torch_logistic_matches_sklearn(digits):
    """The same digits classified by the torch and the scikit-learn classifier (C = 0.1):
    labels agree on >= 98 %, confidence and class fractions nearly equal."""
    x, y, tx, _ = digits
    sk = fit_classifier(x, y, C=0.1)
    tl = fit_classifier(torch.from_numpy(x), torch.from_numpy(y), C=0.1, backend="torch")
    rng = np.random.default_rng(12)
    flips = rng.random(tx.shape) < 0.1  # "generated" digits: test digits, 10 % pixels flipped
    samples = np.where(flips, 1.0 - tx, tx)
    q_sk = generation_quality(sk, samples)
    for s in (samples, torch.from_numpy(samples).float()):
        q = generation_quality(tl, s)
        assert isinstance(q, GenerationQuality) and q.n_samples == len(samples)
        assert isinstance(q.labels, np.ndarray) and q.labels.dtype == np.int64
        assert isinstance(q.class_fractions, np.ndarray) and isinstance(q.confidence, float)
        assert np.mean(q.labels == q_sk.labels) >= 0.98
        assert abs(q.confidence - q_sk.confidence) < 0.01
        assert 0.3 < q.confidence < 0.99
        np.testing.assert_allclose(q.class_fractions, q_sk.class_fractions, atol=0.01)
        np.testing.assert_array_equal(q.class_fractions,
                                      np.bincount(q.labels, minlength=10) / len(samples))
        assert q.entropy_nats == pytest.approx(class_entropy(q.labels))
        with pytest.raises(ValueError):
            q.labels[0] = 1  # read-only


def test_generation_quality_torch_logistic_exact():
    """A hand-made TorchLogistic with classes {1, 4}: known probabilities and labels."""
    tl = TorchLogistic(coef=torch.tensor([[1.0, 0.0]], dtype=torch.float64),
                       intercept=torch.zeros(1, dtype=torch.float64),
                       classes=torch.tensor([1, 4]))
    q = generation_quality(tl, torch.tensor([[2.0, 5.0], [-1.0, 0.0], [3.0, 1.0]]),
                           n_classes=5)
    assert q.labels.tolist() == [4, 1, 4]
    s = 1 / (1 + np.exp(-np.array([2.0, 1.0, 3.0])))  # winning probabilities
    assert q.confidence == pytest.approx(s.mean(), rel=1e-12)
    np.testing.assert_array_equal(q.class_fractions, [0, 1 / 3, 0, 0, 2 / 3])


@pytest.mark.parametrize("backend", ["sklearn", "torch"])
def test_fit_classifier_validation_of_tensors(backend):
    """Tensors are checked with the same messages on both backends (the torch one on the
    tensors' device)."""
    xa, ya = separable(50, 12)
    x, y = torch.from_numpy(xa), torch.from_numpy(ya)
    fit = lambda x, y, **kw: fit_classifier(x, y, **{"C": 1.0, "backend": backend, **kw})  # noqa: E731
    with pytest.raises(InvalidInputError, match="y must have 50 entries"):
        fit(x, y[:-1])
    with pytest.raises(InvalidInputError, match="y must contain at least 2 classes, got 1"):
        fit(x, torch.zeros(50, dtype=torch.int64))
    bad = x.clone()
    bad[0, 0], bad[3, 1] = float("nan"), float("inf")
    with pytest.raises(InvalidInputError, match="x must be finite, found 2 NaN/inf entries"):
        fit(bad, y)
    with pytest.raises(InvalidInputError, match=r"x must be 2-D .* got shape \(50,\)"):
        fit(x[:, 0], y)
    with pytest.raises(InvalidInputError, match=r"x must have at least one row .*\(0, 12\)"):
        fit(x[:0], y[:0])
    with pytest.raises(InvalidInputError, match="C must be a finite number > 0, got 0"):
        fit(x, y, C=0)
    with pytest.raises(InvalidInputError, match="y must hold integer class labels, found"):
        fit(x, y + 0.5)
    with pytest.raises(InvalidInputError, match="y must hold integer class labels, found"):
        fit(x, torch.where(y == 0, float("nan"), y.double()))
    with pytest.raises(InvalidInputError, match="y must be class labels >= 0, found -3"):
        fit(x, torch.where(y == 2, -3, y))
    with pytest.raises(InvalidTypeError, match="y must hold integer class labels, got dtype"):
        fit(x, y > 4)
    with pytest.raises(InvalidInputError, match=r"y must be 1-D .* got shape \(50, 1\)"):
        fit(x, y[:, None])
    with pytest.raises(InvalidTypeError, match="max_iter must be an integer"):
        fit(x, y, max_iter=10.0)
    with pytest.raises(InvalidInputError, match="seed must be an integer >= 0, got -1"):
        fit(x, y, seed=-1)
    # float labels holding integers are fine
    assert fit(x, y.double(), max_iter=5) is not None


@pytest.mark.parametrize("backend", ["sklearn", "torch"])
def test_encoding_and_generation_validation_of_tensors(backend):
    xa, ya = separable(50, 13)
    x, y = torch.from_numpy(xa), torch.from_numpy(ya)
    with pytest.raises(InvalidInputError, match="test_x must have 12 columns"):
        encoding_error(x, y, x[:, :5], y, backend=backend)
    with pytest.raises(InvalidInputError, match="test_y must have 50 entries"):
        encoding_error(x, y, x, y[:10], backend=backend)
    bad = x.clone()
    bad[1, 1] = float("nan")
    with pytest.raises(InvalidInputError, match="test_x must be finite, found 1 NaN/inf"):
        encoding_error(x, y, bad, y, backend=backend)
    with pytest.raises(InvalidInputError, match="train_x must be finite, found 1 NaN/inf"):
        encoding_error(bad, y, x, y, backend=backend)
    with pytest.raises(InvalidInputError, match="test_y must be class labels >= 0, found -1"):
        encoding_error(x, y, x, y - 1, backend=backend)
    clf = fit_classifier(x, y, C=1.0, max_iter=20, backend=backend)
    with pytest.raises(InvalidInputError, match="samples must have 12 columns"):
        generation_quality(clf, x[:, :3])
    with pytest.raises(InvalidInputError, match="samples must be finite, found 1 NaN/inf"):
        generation_quality(clf, bad)
    with pytest.raises(InvalidInputError, match=r"classifier.classes_? must be class labels "
                                                r">= 0 and < 8, found 8"):
        generation_quality(clf, x, n_classes=8)


def test_backend_validation():
    x, y = separable(30, 14)
    for f in (lambda b: fit_classifier(x, y, C=1.0, backend=b),
              lambda b: encoding_error(x, y, x, y, backend=b)):
        with pytest.raises(InvalidInputError,
                           match="backend must be one of auto, sklearn, torch, got 'gpu'"):
            f("gpu")


# ------------------------------------------------------------------- on a GPU


requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(),
                                   reason="needs a CUDA GPU (torch sees none)")


def refuse_host_path(monkeypatch) -> list[tuple[tuple[int, ...], torch.dtype]]:
    """From now on fail on the host path (scikit-learn, the numpy validators) and record
    every copy of a CUDA tensor to the host as (shape, dtype), in the list returned."""
    from boltzprune.evaluate import readout

    def refuse(*args, **kwargs):
        raise AssertionError("the host path was taken")

    for name in ("LogisticRegression", "_features", "_labels"):
        monkeypatch.setattr(readout, name, refuse)
    copies = []
    real_to, real_cpu, real_numpy = torch.Tensor.to, torch.Tensor.cpu, torch.Tensor.numpy

    def to(t, *args, **kwargs):
        out = real_to(t, *args, **kwargs)
        if t.device.type == "cuda" and out.device.type == "cpu":
            copies.append((tuple(t.shape), t.dtype))
        return out

    def cpu(t, *args, **kwargs):
        if t.device.type == "cuda":
            copies.append((tuple(t.shape), t.dtype))
        return real_cpu(t, *args, **kwargs)

    def numpy(t, *args, **kwargs):
        if t.device.type == "cuda":
            copies.append((tuple(t.shape), t.dtype))
        return real_numpy(t, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "to", to)
    monkeypatch.setattr(torch.Tensor, "cpu", cpu)
    monkeypatch.setattr(torch.Tensor, "numpy", numpy)
    return copies


@pytest.mark.cuda
@requires_cuda
def test_cuda_encoding_error_on_the_device(digits, monkeypatch):
    """CUDA tensors: fitted and scored on the GPU with no copy to the host, the error as
    the torch backend's on the CPU (within two test digits) and as scikit-learn's."""
    sk = encoding_error(*digits, C=1.0)
    cpu_args = tuple(torch.from_numpy(a) for a in digits)
    expected = encoding_error(*cpu_args, C=1.0, backend="torch")
    gpu_args = tuple(a.cuda() for a in cpu_args)
    copies = refuse_host_path(monkeypatch)
    got = encoding_error(*gpu_args, C=1.0)
    clf = fit_classifier(gpu_args[0], gpu_args[1], C=1.0)
    monkeypatch.undo()
    assert copies == []  # no feature matrix (nor anything else) copied to the host
    assert isinstance(got, float)
    assert isinstance(clf, TorchLogistic) and clf.device.type == "cuda"
    assert clf.classes.device.type == "cuda"
    assert abs(got - expected) <= 2 / len(digits[3])  # float64 on both; rounding differs
    assert abs(got - sk) <= 0.01


@pytest.mark.cuda
@requires_cuda
def test_cuda_generation_quality_on_the_device(digits, monkeypatch):
    """A TorchLogistic fitted on the GPU labels samples there; only the class fractions
    with the confidence, and the labels, come back to the host."""
    x, y, tx, _ = digits
    cpu_clf = fit_classifier(torch.from_numpy(x), torch.from_numpy(y), C=0.1, backend="torch")
    expected = generation_quality(cpu_clf, torch.from_numpy(tx))
    gx, gy, gtx = (torch.from_numpy(a).cuda() for a in (x, y, tx))
    copies = refuse_host_path(monkeypatch)
    clf = fit_classifier(gx, gy, C=0.1)
    q = generation_quality(clf, gtx)
    monkeypatch.undo()
    assert isinstance(clf, TorchLogistic) and clf.device.type == "cuda"
    assert sorted(copies, key=str) == sorted([((11,), torch.float64),
                                              ((len(tx),), torch.int64)], key=str)
    assert np.mean(q.labels == expected.labels) >= 0.995
    assert q.confidence == pytest.approx(expected.confidence, abs=1e-4)
    np.testing.assert_allclose(q.class_fractions, expected.class_fractions, atol=0.005)
