"""The scikit-learn estimator ``PrunableRBM``: API conventions, exact answers, pruning."""

import copy
import inspect
import itertools
import pickle

import numpy as np
import pytest
import torch
from scipy.sparse import csr_matrix
from scipy.special import expit, logsumexp
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from boltzprune.errors import InvalidInputError, InvalidTypeError
from boltzprune.estimator import PrunableRBM
from boltzprune.pruning.criteria import register_criterion, registry
from boltzprune.pruning.step import n_to_remove


def _binary_data(n=200, n_features=6, seed=0):
    """Correlated binary patterns: two prototypes with 10 % bit flips."""
    rng = np.random.default_rng(seed)
    protos = rng.random((2, n_features)) < 0.5
    x = protos[rng.integers(0, 2, n)] ^ (rng.random((n, n_features)) < 0.1)
    return x.astype(np.float64)


def _all_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _exact_log_p(est, V):
    """log p(v) by brute force over every joint state, in NumPy (independent of the
    library): E(v, h) = -b_v.v - b_h.h - v W h, log p(v) = logsumexp_h(-E) - log Z."""
    W = est.components_.T.astype(np.float64)  # (n_visible, n_hidden)
    b_v = est.intercept_visible_.astype(np.float64)
    b_h = est.intercept_hidden_.astype(np.float64)
    H = _all_states(W.shape[1])

    def log_unnorm(v):  # (n, n_visible) -> (n,)
        neg_e = v @ b_v[:, None] + H @ b_h + (v @ W) @ H.T  # (n, 2^n_hidden)
        return logsumexp(neg_e, axis=1)

    log_z = logsumexp(log_unnorm(_all_states(W.shape[0])))
    return log_unnorm(V) - log_z


# -- scikit-learn's estimator checks -----------------------------------------------------------
_SMALL = dict(n_components=8, n_iter=3, fi_samples=200, fi_burn_in=20, random_state=0)


def _expected_failed_checks(est):
    if est.criterion is not None and est.prune_fraction > 0:
        return {"check_fit2d_1feature": (
            "the check sets n_components=1 and fits 1 feature, a single weight: pruning "
            "any fraction of it would leave an empty model, which fit refuses with its own "
            "message rather than one naming n_features")}
    return {}


_CHECK_KW = ({"expected_failed_checks": _expected_failed_checks}
             if "expected_failed_checks" in inspect.signature(parametrize_with_checks).parameters
             else {})


@parametrize_with_checks(
    [PrunableRBM(**_SMALL), PrunableRBM(criterion="variance", **_SMALL),
     PrunableRBM(batch_size=1, persistent=True, score_method="pseudo", **_SMALL)],
    **_CHECK_KW,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- use in a Pipeline -------------------------------------------------------------------------
def test_pipeline_on_digits_beats_chance():
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X / 16, y, random_state=0, stratify=y)
    rbm = PrunableRBM(n_components=64, criterion="variance", prune_fraction=0.5,
                      random_state=0)
    clf = Pipeline([("rbm", rbm), ("logreg", LogisticRegression(max_iter=1000))])
    clf.fit(X_tr, y_tr)
    acc = clf.score(X_te, y_te)
    assert acc > 0.8, acc  # chance: 0.1
    fitted = clf.named_steps["rbm"]
    assert fitted.mask_.sum() == 64 * 64 - n_to_remove(64 * 64, 0.5)
    assert clf.named_steps["logreg"].coef_.shape[1] == fitted.components_.shape[0]


# -- exact answers -------------------------------------------------------------------------------
@pytest.mark.parametrize("criterion", [None, "variance"])
def test_score_samples_is_exact_log_likelihood(criterion):
    X = _binary_data(n_features=6)
    est = PrunableRBM(n_components=4, n_iter=5, criterion=criterion, binarize=None,
                      random_state=3).fit(X)
    states = _all_states(6)
    expected = _exact_log_p(est, states)
    for method in ("auto", "exact"):
        est.set_params(score_method=method)
        np.testing.assert_allclose(est.score_samples(states), expected, rtol=0, atol=1e-9)
    assert np.isclose(logsumexp(est.score_samples(states)), 0.0, atol=1e-9)
    np.testing.assert_allclose(est.score_samples(X[:7]), _exact_log_p(est, X[:7]), atol=1e-9)
    assert np.isclose(est.score(X), est.score_samples(X).mean())


def test_pseudo_likelihood_matches_enumeration():
    X = _binary_data(n_features=5)
    est = PrunableRBM(n_components=3, n_iter=5, score_method="pseudo", random_state=0).fit(X)
    states = _all_states(5)
    log_p = _exact_log_p(est, states)
    code = {tuple(s): i for i, s in enumerate(states)}
    expected = []
    for v in states:  # sum_i log p(v_i | v_-i) = sum_i [log p(v) - log(p(v) + p(v^i))]
        terms = []
        for i in range(5):
            w = v.copy()
            w[i] = 1 - w[i]
            lp, lq = log_p[code[tuple(v)]], log_p[code[tuple(w)]]
            terms.append(lp - np.logaddexp(lp, lq))
        expected.append(sum(terms))
    np.testing.assert_allclose(est.score_samples(states), expected, atol=1e-9)


def test_transform_is_hidden_probabilities():
    X = _binary_data(n_features=6)
    est = PrunableRBM(n_components=5, n_iter=3, random_state=0).fit(X)
    out = est.transform(X)
    assert out.dtype == np.float64 and out.shape == (X.shape[0], 5)
    np.testing.assert_allclose(out, expit(X @ est.components_.T.astype(np.float64)
                                          + est.intercept_hidden_), atol=1e-6)
    assert list(est.get_feature_names_out()) == [f"prunablerbm{i}" for i in range(5)]


def test_binarize_threshold_matches_binary_input():
    X, _ = load_digits(return_X_y=True)
    X = X[:300] / 16
    a = PrunableRBM(n_components=10, n_iter=2, random_state=0).fit(X)
    b = PrunableRBM(n_components=10, n_iter=2, binarize=None, random_state=0).fit(X > 0.5)
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.transform(X), b.transform((X > 0.5).astype(float)))


def test_sparse_input_equals_dense():
    X = _binary_data()
    a = PrunableRBM(n_components=6, n_iter=2, random_state=1).fit(X)
    b = PrunableRBM(n_components=6, n_iter=2, random_state=1).fit(csr_matrix(X))
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_allclose(a.transform(X), b.transform(csr_matrix(X)))


# -- pruning ---------------------------------------------------------------------------------------
def test_pruning_removes_the_expected_number_of_weights():
    X = _binary_data(n=300, n_features=10)
    est = PrunableRBM(n_components=12, n_iter=5, criterion="variance", prune_fraction=0.5,
                      prune_iterations=3, random_state=0).fit(X)
    n = 10 * 12
    counts = [n]
    for _ in range(3):
        counts.append(counts[-1] - n_to_remove(counts[-1], 0.5))
    assert counts == [120, 60, 30, 15]
    assert int(est.mask_.sum()) == 15
    hist = est.pruning_history_
    assert [h["round"] for h in hist] == [0, 1, 2, 3]
    assert [h["n_weights"] for h in hist] == counts
    assert [h["n_removed_weights"] for h in hist] == [0, 60, 30, 15]
    n_alive = est.components_.shape[0]
    assert hist[-1]["n_hidden"] == n_alive == est.mask_.shape[0] == est.hidden_index_.size
    assert est.mask_.any(axis=1).all()  # units without weights are dropped
    removed = sorted(i for h in hist for i in h["removed_hidden"])
    assert sorted(set(range(12)) - set(est.hidden_index_.tolist())) == removed
    assert np.all(est.components_[~est.mask_] == 0)
    assert est.transform(X).shape == (X.shape[0], n_alive)
    np.testing.assert_array_equal(est.mask_, est.rbm_.mask.numpy().T)


def test_prune_method_equals_prune_parameter():
    X = _binary_data(n_features=8)
    kw = dict(n_components=6, n_iter=3, retrain_iter=1, random_state=5)
    a = PrunableRBM(criterion="heuristic", prune_fraction=0.3, prune_iterations=2, **kw).fit(X)
    b = PrunableRBM(**kw).fit(X)
    assert b.mask_.all() and len(b.pruning_history_) == 1
    assert b.prune(X, criterion="heuristic", fraction=0.3, iterations=2) is b
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.mask_, b.mask_)
    assert a.pruning_history_ == b.pruning_history_
    before = int(b.mask_.sum())
    b.prune(X, criterion="abs_w", fraction=0.5)  # further rounds continue the history
    assert int(b.mask_.sum()) == before - n_to_remove(before, 0.5)
    assert b.pruning_history_[-1]["round"] == 3
    assert b.pruning_history_[-1]["criterion"] == "abs_w"


def test_prune_fraction_zero_or_no_criterion_does_not_prune():
    X = _binary_data()
    for kw in (dict(criterion="variance", prune_fraction=0.0), dict(prune_fraction=0.9)):
        est = PrunableRBM(n_components=4, n_iter=2, random_state=0, **kw).fit(X)
        assert est.mask_.all() and len(est.pruning_history_) == 1


def test_custom_criterion_by_name():
    name = "test_estimator_by_hidden_index"

    def by_hidden_index(ctx):  # the first hidden units are the least important
        n_v, n_h = ctx.rbm.W.shape
        return ctx.rbm.hidden_index.to(torch.float32).expand(n_v, n_h).clone()

    register_criterion(name, by_hidden_index)
    try:
        X = _binary_data(n_features=6)
        est = PrunableRBM(n_components=4, n_iter=2, criterion=name, prune_fraction=0.5,
                          random_state=0).fit(X)
        assert est.hidden_index_.tolist() == [2, 3]
        assert est.pruning_history_[1]["removed_hidden"] == [0, 1]
        assert est.transform(X).shape == (X.shape[0], 2)
    finally:
        registry.unregister(name)


def test_prune_errors():
    X = _binary_data()
    with pytest.raises(NotFittedError):
        PrunableRBM().prune(X, criterion="variance")
    est = PrunableRBM(n_components=4, n_iter=1, random_state=0).fit(X)
    with pytest.raises(InvalidInputError, match="needs a criterion"):
        est.prune(X)
    with pytest.raises(ValueError, match="unknown criterion 'nope'; available: variance"):
        est.prune(X, criterion="nope")
    with pytest.raises(InvalidInputError, match=r"fraction must be in \(0, 1\), got 1.5"):
        est.prune(X, criterion="variance", fraction=1.5)
    with pytest.raises(InvalidInputError, match="X has 5 features, but PrunableRBM is expecting 6"):
        est.prune(X[:, :5], criterion="variance")
    est4 = PrunableRBM(n_components=1, n_iter=1, random_state=0).fit(X[:, :1])
    with pytest.raises(ValueError, match="would remove all of them"):
        est4.prune(X[:, :1], criterion="abs_w", fraction=0.5)
    assert est4.mask_.sum() == 1 and len(est4.pruning_history_) == 1  # left intact


# -- parameters, determinism ------------------------------------------------------------------
def test_get_set_params_clone_round_trip():
    est = PrunableRBM(n_components=5, criterion="abs_w", prune_fraction=0.25, random_state=7)
    params = est.get_params()
    assert params["n_components"] == 5 and params["criterion"] == "abs_w"
    assert set(params) == set(inspect.signature(PrunableRBM).parameters)
    twin = clone(est)
    assert twin is not est and twin.get_params() == params
    twin.set_params(n_components=9, learning_rate=0.01)
    assert twin.get_params()["n_components"] == 9 and est.get_params()["n_components"] == 5
    assert PrunableRBM(**params).get_params() == params
    pipe = Pipeline([("rbm", est), ("clf", LogisticRegression())])
    pipe.set_params(rbm__prune_fraction=0.75)
    assert est.prune_fraction == 0.75
    fitted = clone(est).fit(_binary_data())
    assert not hasattr(clone(fitted), "components_")


def test_same_random_state_same_model():
    X = _binary_data(n_features=8)
    kw = dict(n_components=6, n_iter=3, criterion="variance", fi_samples=300)
    a = PrunableRBM(random_state=11, **kw).fit(X)
    b = PrunableRBM(random_state=11, **kw).fit(X)
    c = PrunableRBM(random_state=12, **kw).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.mask_, b.mask_)
    np.testing.assert_array_equal(a.intercept_hidden_, b.intercept_hidden_)
    assert not np.array_equal(a.components_, c.components_)
    d = PrunableRBM(random_state=np.random.RandomState(11), **kw).fit(X)
    e = PrunableRBM(random_state=np.random.RandomState(11), **kw).fit(X)
    np.testing.assert_array_equal(d.components_, e.components_)
    refit = a.fit(X)  # fitting again starts afresh
    np.testing.assert_array_equal(refit.components_, b.components_)


def test_n_threads_is_restored():
    before = torch.get_num_threads()
    X = _binary_data()
    a = PrunableRBM(n_components=4, n_iter=2, random_state=0).fit(X)
    assert torch.get_num_threads() == before
    b = PrunableRBM(n_components=4, n_iter=2, n_threads=None, random_state=0).fit(X)
    np.testing.assert_allclose(a.components_, b.components_, atol=1e-5)


def test_pickle_round_trip():
    X = _binary_data()
    est = PrunableRBM(n_components=4, n_iter=2, criterion="abs_w", random_state=0).fit(X)
    # serialisable, and rebuilt through the same reduction protocol pickle uses (deepcopy),
    # without unpickling bytes
    assert pickle.dumps(est)
    back = copy.deepcopy(est)
    np.testing.assert_array_equal(back.transform(X), est.transform(X))
    np.testing.assert_array_equal(back.score_samples(X), est.score_samples(X))


# -- other methods --------------------------------------------------------------------------------
def test_partial_fit():
    X = _binary_data(n_features=6)
    est = PrunableRBM(n_components=4, random_state=0)
    for chunk in np.array_split(X, 4):
        est.partial_fit(chunk)
    assert est.components_.shape == (4, 6) and len(est.reconstruction_error_) == 4
    with pytest.raises(InvalidInputError, match="X has 5 features, but PrunableRBM is expecting 6"):
        est.partial_fit(X[:, :5])
    est.prune(X, criterion="abs_w", fraction=0.5)
    est.partial_fit(X)  # keeps the mask
    assert int(est.mask_.sum()) == 12 and np.all(est.components_[~est.mask_] == 0)


def test_gibbs_and_sample():
    X = _binary_data(n_features=6)
    est = PrunableRBM(n_components=4, n_iter=3, random_state=0).fit(X)
    g = est.gibbs(X, random_state=0)
    assert g.shape == X.shape and set(np.unique(g)) <= {0.0, 1.0}
    np.testing.assert_array_equal(g, est.gibbs(X, random_state=0))
    s = est.sample(50, random_state=1)
    assert s.shape == (50, 6) and set(np.unique(s)) <= {0.0, 1.0}
    np.testing.assert_array_equal(s, est.sample(50, random_state=1))
    big = PrunableRBM(n_components=3, n_iter=1, random_state=0).fit(_binary_data(n_features=20))
    assert big.sample(4, burn_in=5, random_state=0).shape == (4, 20)  # Gibbs path


def test_score_method_exact_too_large():
    X = _binary_data(n=50, n_features=30)
    est = PrunableRBM(n_components=30, n_iter=1, score_method="exact", random_state=0).fit(X)
    with pytest.raises(InvalidInputError, match="score_method='exact' needs a layer of at most 24"):
        est.score_samples(X)
    est.set_params(score_method="auto")  # falls back to AIS
    auto = est.score_samples(X)
    est.set_params(score_method="ais")
    np.testing.assert_array_equal(est.score_samples(X), auto)  # one log Z, kept


def test_ais_score_matches_enumeration():
    """Above 16 hidden units "auto" estimates log Z by AIS; where it can still enumerate
    (20 hidden units), the two agree to within 0.1 nats."""
    X = _binary_data(n=200, n_features=30)
    est = PrunableRBM(n_components=20, n_iter=5, random_state=0).fit(X)
    auto = est.score_samples(X)
    est.set_params(score_method="exact")
    exact = est.score_samples(X)
    shift = auto - exact  # log Z_exact - log Z_AIS, the same for every pattern
    assert np.ptp(shift) < 1e-9 and abs(shift[0]) < 0.1


# -- errors: one line, naming the problem ---------------------------------------------------------
@pytest.mark.parametrize("X, match", [
    (np.array([[0.0, np.nan], [1.0, 0.0]]), "Input X contains NaN"),
    (np.array([[0.0, np.inf], [1.0, 0.0]]), "Input X contains infinity"),
    (np.array([0.0, 1.0, 1.0]), "Expected 2D array, got 1D array instead. Reshape your data"),
    (np.zeros((2, 2, 2)), "dim 3"),
    (np.zeros((0, 4)), "0 sample"),
    (np.zeros((4, 0)), "0 feature"),
    ([["a", "b"]], "could not convert string to float"),
])
def test_bad_input_one_line_error(X, match):
    with pytest.raises(InvalidInputError, match=match) as info:
        PrunableRBM(n_iter=1).fit(X)
    assert "\n" not in str(info.value)


def test_bad_input_after_fit():
    X = _binary_data(n_features=6)
    est = PrunableRBM(n_components=3, n_iter=1, binarize=None, random_state=0).fit(X)
    for method in (est.transform, est.score_samples, est.gibbs):
        with pytest.raises(InvalidInputError,
                           match="X has 4 features, but PrunableRBM is expecting 6"):
            method(X[:, :4])
        with pytest.raises(InvalidInputError, match="Input X contains NaN") as info:
            method(np.full((2, 6), np.nan))
        assert "\n" not in str(info.value)
    with pytest.raises(InvalidInputError, match="X must be binary .* found the value 0.5"):
        est.transform(np.full((2, 6), 0.5))
    with pytest.raises(NotFittedError):
        PrunableRBM().transform(X)


@pytest.mark.parametrize("params, error, match", [
    (dict(n_components=0), InvalidInputError, "n_components must be an integer >= 1, got 0"),
    (dict(n_components=2.5), InvalidTypeError, "n_components must be an integer"),
    (dict(learning_rate=-1.0), InvalidInputError, "learning_rate must be a finite number > 0"),
    (dict(momentum=1.0), InvalidInputError, r"momentum must be in \[0, 1\), got 1.0"),
    (dict(batch_size=0), InvalidInputError, "batch_size must be an integer >= 1"),
    (dict(criterion="nope"), ValueError, "unknown criterion 'nope'; available: variance"),
    (dict(criterion=3), InvalidTypeError, "criterion must be the name of a registered criterion"),
    (dict(prune_fraction=1.0), InvalidInputError, r"prune_fraction must be in \[0, 1\), got 1.0"),
    (dict(binarize="high"), InvalidInputError, "binarize must be a finite threshold or None"),
    (dict(score_method="best"), InvalidInputError, "score_method must be one of 'auto'"),
    (dict(device="nonsense"), InvalidInputError, "device: not a torch device: 'nonsense'"),
    (dict(persistent="yes"), InvalidTypeError, "persistent must be True or False"),
    (dict(n_threads=0), InvalidInputError, "n_threads must be an integer >= 1, got 0"),
])
def test_bad_parameters_one_line_error(params, error, match):
    est = PrunableRBM(**params)  # __init__ only stores
    with pytest.raises(error, match=match) as info:
        est.fit(_binary_data(n=10))
    assert "\n" not in str(info.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_requested_without_cuda():
    with pytest.raises(InvalidInputError, match="torch sees no CUDA GPU"):
        PrunableRBM(device="cuda").fit(_binary_data(n=10))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fit_prune_score_on_cuda():
    X = _binary_data(n_features=8)
    est = PrunableRBM(n_components=6, n_iter=2, criterion="variance", device="cuda",
                      random_state=0).fit(X)
    assert est.rbm_.device.type == "cuda"
    assert int(est.mask_.sum()) == 24 and est.transform(X).shape[0] == X.shape[0]
    assert np.isclose(logsumexp(est.score_samples(_all_states(8))), 0.0, atol=1e-9)
    assert pickle.dumps(est)
    assert isinstance(copy.deepcopy(est).components_, np.ndarray)
