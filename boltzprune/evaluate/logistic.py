"""L2-penalised logistic regression fitted by L-BFGS in torch, on the features' own device.

It solves exactly the problem of scikit-learn's
``LogisticRegression(C=C, solver="lbfgs", max_iter=max_iter, tol=tol)``: with classes
``c_1 < ... < c_K`` and an unpenalised intercept,

* K >= 3 (multinomial softmax), W: (d, K), b: (K,)::

      minimise  0.5 * ||W||_F^2 + C * sum_i CE(softmax(x_i W + b), y_i)

* K == 2 (one logit, as scikit-learn: class ``c_2`` is the positive one), w: (d,), b scalar::

      minimise  0.5 * ||w||^2 + C * sum_i logloss(sigmoid(x_i . w + b), [y_i == c_2])

Like scikit-learn the objective is minimised divided by ``C * n`` (mean loss plus
``||W||^2 / (2 C n)``), so ``tol`` means what it means there: the iteration stops once the
largest absolute entry of the gradient of that scaled objective is <= ``tol``. The start is
zero, as in scikit-learn. The multinomial intercept is determined only up to a constant
shift (softmax is invariant to it, and it is not penalised); it is returned centred (sum 0),
which is where scikit-learn's L-BFGS, started at zero, ends as well.

Why it exists: the read-outs fit classifiers to 60,000 x 676 encodings; when those live on a
GPU this fits there without copying them to the host. On the CPU the project keeps
scikit-learn; this module is used only for torch tensors on a non-CPU device.

All computation is in float64. No randomness: the same inputs on the same device give the
same model. Docstrings give every tensor's shape (n samples, d features, K classes).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from boltzprune.errors import InvalidInputError

__all__ = ["TorchLogistic", "fit_logistic"]

_F64 = torch.float64
_FTOL = 64 * torch.finfo(_F64).eps  # scikit-learn's L-BFGS-B ftol
_MAXLS = 50  # scikit-learn's line-search limit, here the mean evaluations per iteration


@dataclass(frozen=True, eq=False)
class TorchLogistic:
    """A fitted logistic regression, laid out as scikit-learn's ``LogisticRegression``.

    Attributes:
        coef: (K, d) float64, or (1, d) for two classes (the logit of ``classes[1]``).
        intercept: (K,) float64, or (1,) for two classes.
        classes: (K,) int64, the sorted distinct labels; K >= 2.
    """

    coef: torch.Tensor
    intercept: torch.Tensor
    classes: torch.Tensor

    @property
    def device(self) -> torch.device:
        """The device the parameters (and every output) live on."""
        return self.coef.device

    def decision_function(self, x: torch.Tensor) -> torch.Tensor:
        """Logits: x (n, d), any device and float dtype -> (n, K) float64, or (n,) for two
        classes, on the model's device."""
        x = x.to(device=self.device, dtype=_F64)
        if x.ndim != 2 or x.shape[1] != self.coef.shape[1]:
            raise InvalidInputError(f"x must have shape (n, {self.coef.shape[1]}), got "
                                    f"{tuple(x.shape)}")
        scores = torch.addmm(self.intercept, x, self.coef.T)
        return scores[:, 0] if self.coef.shape[0] == 1 else scores

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Class probabilities: x (n, d) -> (n, K) float64 on the model's device, columns in
        the order of ``classes``."""
        scores = self.decision_function(x)
        if scores.ndim == 1:
            p = torch.sigmoid(scores)
            return torch.stack([1.0 - p, p], dim=1)
        return torch.softmax(scores, dim=1)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Most probable labels: x (n, d) -> (n,) int64, values from ``classes``."""
        scores = self.decision_function(x)
        index = (scores > 0).long() if scores.ndim == 1 else scores.argmax(dim=1)
        return self.classes[index]


def _closure(param: torch.Tensor, x: torch.Tensor, target: torch.Tensor, n_out: int,
             l2: float):
    """The scaled objective and its analytic gradient (stored in ``param.grad``).

    param: ((d + 1) * n_out,) float64, laid out as W (d, n_out) then b (n_out,);
    x: (n, d) float64; target: (n, n_out) float64 one-hot labels, or (n, 1) 0/1 for a single
    logit (n_out == 1); l2 = 1 / (C n).
    """
    n, d = x.shape

    def closure() -> torch.Tensor:
        w = param[: d * n_out].view(d, n_out)
        b = param[d * n_out:]
        z = torch.addmm(b, x, w)  # (n, n_out)
        if n_out == 1:
            # logloss = log(1 + e^z) - t z, its derivative sigmoid(z) - t; log(1 + e^z) as
            # max(z, 0) + log1p(e^-|z|), exact in float64 (F.softplus is linear above z = 20)
            softplus = z.clamp(min=0) + torch.log1p(torch.exp(-z.abs()))
            loss = (softplus - target * z).sum() / n
            resid = torch.sigmoid(z) - target
        else:
            log_p = torch.log_softmax(z, dim=1)
            loss = -(log_p * target).sum() / n
            resid = log_p.exp() - target
        resid /= n
        loss = loss + 0.5 * l2 * w.square().sum()
        grad_w = torch.addmm(w, x.T, resid, beta=l2)  # (d, n_out)
        param.grad = torch.cat([grad_w.reshape(-1), resid.sum(dim=0)])
        return loss

    return closure


def fit_logistic(x: torch.Tensor, y: torch.Tensor, *, C: float, max_iter: int = 1000,
                 tol: float = 1e-4) -> TorchLogistic:
    """Fit scikit-learn's ``LogisticRegression(C=C, solver="lbfgs")`` problem on x's device.

    Args:
        x: (n, d) float features, on any device; the fit runs there in float64 (x is not
            copied to the host).
        y: (n,) integer labels on the same device, any values, at least two distinct.
        C: inverse L2 penalty strength, > 0 (the callers check it).
        max_iter: L-BFGS iteration limit (``torch.optim.LBFGS``, strong-Wolfe line search,
            history 10, at most 50 function evaluations per iteration on average).
        tol: stop once the largest absolute gradient entry of the objective divided by
            ``C * n`` is <= tol (scikit-learn's ``gtol``).

    Returns:
        A :class:`TorchLogistic` on x's device: coef (K, d) and intercept (K,) for K >= 3
        classes (intercept centred to sum 0), coef (1, d) and intercept (1,) for two.

    Raises:
        InvalidInputError: x not 2-D, y not 1-D of length n, or fewer than two classes in y.
    """
    if x.ndim != 2 or y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise InvalidInputError(f"x must be (n, d) and y (n,), got shapes {tuple(x.shape)} "
                                f"and {tuple(y.shape)}")
    device = x.device
    x = x.detach().to(_F64)
    classes, encoded = torch.unique(y.to(device=device, dtype=torch.int64), sorted=True,
                                    return_inverse=True)
    k = classes.numel()
    if k < 2:
        raise InvalidInputError(f"y must hold at least 2 classes, got {k}")
    n, d = x.shape
    n_out = 1 if k == 2 else k
    if n_out == 1:
        target = encoded.to(_F64).unsqueeze(1)
    else:
        target = torch.nn.functional.one_hot(encoded, k).to(_F64)

    param = torch.zeros((d + 1) * n_out, dtype=_F64, device=device)
    optimizer = torch.optim.LBFGS([param], lr=1.0, max_iter=max_iter,
                                  max_eval=_MAXLS * max_iter, tolerance_grad=tol,
                                  tolerance_change=_FTOL, history_size=10,
                                  line_search_fn="strong_wolfe")
    optimizer.step(_closure(param, x, target, n_out, 1.0 / (C * n)))

    param = param.detach()
    coef = param[: d * n_out].view(d, n_out).T.contiguous()
    intercept = param[d * n_out:].clone()
    if n_out > 1:
        intercept -= intercept.mean()
    return TorchLogistic(coef=coef, intercept=intercept, classes=classes)
