"""Influence functions (Koh & Liang 2017) for a multinomial logistic regression: how much
up-weighting each training example would lower the loss on a validation set. ProGen's feedback
(:class:`synthrr.synth.baselines.ProGen`) uses them to pick its next demonstrations.

For parameters ``W`` (classes x features, bias included) fitted with an L2 penalty ``l2``, the
influence of up-weighting training example ``z`` on the validation loss is
``-grad L_val(W)^T H^-1 grad l(z, W)``; this module returns its negation, so a positive score
means the example helps (its up-weighting lowers the validation loss).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _design(x: np.ndarray) -> np.ndarray:
    return np.hstack([np.asarray(x, dtype=np.float64), np.ones((len(x), 1))])


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def _onehot(y: Sequence[int], n_classes: int) -> np.ndarray:
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), np.asarray(y)] = 1.0
    return out


def fit_softmax(x: np.ndarray, y: Sequence[int], n_classes: int, l2: float = 1e-2) -> np.ndarray:
    """``W`` (classes x (features + 1)) minimising mean cross-entropy + ``l2 / 2 * |W|^2`` (L-BFGS)."""
    from scipy.optimize import minimize

    xd, yy = _design(x), _onehot(y, n_classes)
    n = len(xd)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        weights = w.reshape(n_classes, -1)
        logits = xd @ weights.T
        logits -= logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        value = -(yy * logp).sum() / n + 0.5 * l2 * float(w @ w)
        grad = ((np.exp(logp) - yy).T @ xd) / n + l2 * weights
        return float(value), grad.ravel()

    w0 = np.zeros(n_classes * xd.shape[1])
    result = minimize(loss, w0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return np.asarray(result.x.reshape(n_classes, -1))


def hessian(x: np.ndarray, w: np.ndarray, l2: float) -> np.ndarray:
    """The training objective's Hessian at ``w``: blocks ``(c, c')`` of
    ``X^T diag(p_c (delta_cc' - p_c')) X / n``, plus ``l2`` on the diagonal."""
    xd = _design(x)
    n, d = xd.shape
    k = w.shape[0]
    p = _softmax(xd @ w.T)
    h = np.zeros((k * d, k * d))
    for c in range(k):
        for c2 in range(c, k):
            weight = p[:, c] * ((c == c2) - p[:, c2])
            block = (xd * weight[:, None]).T @ xd / n
            h[c * d : (c + 1) * d, c2 * d : (c2 + 1) * d] = block
            h[c2 * d : (c2 + 1) * d, c * d : (c + 1) * d] = block.T
    return h + l2 * np.eye(k * d)


def influence_scores(
    x: np.ndarray,
    y: Sequence[int],
    x_val: np.ndarray,
    y_val: Sequence[int],
    n_classes: int,
    l2: float = 1e-2,
) -> np.ndarray:
    """Per training example, how much up-weighting it lowers the mean validation loss (first-order;
    higher = more helpful), for a softmax regression fitted on ``(x, y)``."""
    w = fit_softmax(x, y, n_classes, l2)
    xd, xv = _design(x), _design(x_val)
    g_val = ((_softmax(xv @ w.T) - _onehot(y_val, n_classes)).T @ xv) / len(xv)  # classes x (features + 1)
    v = np.linalg.solve(hessian(x, w, l2), g_val.ravel()).reshape(w.shape)
    residual = _softmax(xd @ w.T) - _onehot(y, n_classes)
    return np.asarray((residual * (xd @ v.T)).sum(axis=1))
