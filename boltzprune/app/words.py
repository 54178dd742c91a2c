"""What every report says the same way: counts ("1 seed", "3 seeds") and a training
schedule's settings in words, read from its config."""

from __future__ import annotations

from boltzprune.training.cd import TrainConfig
from boltzprune.training.dbm import DBMTrainConfig
from boltzprune.training.schedules import learning_rates, momenta

__all__ = ["count", "schedule_words"]


def count(k: int, word: str, plural: str | None = None) -> str:
    """'1 seed', '3 seeds'; '1 worker process', '2 worker processes' with plural given."""
    return f"{k} {word if k == 1 else plural or word + 's'}"


def schedule_words(t: TrainConfig | DBMTrainConfig) -> str:
    """A schedule's settings in words, e.g. "CD-1, online updates, 2 epochs, lr 0.1 -> 0.01
    log-decay, momentum 0.9", with the learning rates and momenta as training applies them;
    a DBM's joint training adds its mean-field inference, chains and max-norm."""
    parts = [f"{'PCD' if t.persistent else 'CD'}-{t.k}"] if isinstance(t, TrainConfig) else []
    parts += ["online updates" if t.batch_size == 1 else f"minibatches of {t.batch_size}",
              count(t.epochs, "epoch")]
    lrs = learning_rates(t.lr_schedule, t.lr_start, t.lr_end, t.epochs)
    if len(set(lrs)) == 1:
        parts.append(f"lr {lrs[0]:g}" + (" constant" if t.epochs > 1 else ""))
    else:
        parts.append(f"lr {lrs[0]:g} -> {lrs[-1]:g} {t.lr_schedule}-decay")
    moms = momenta(t.initial_momentum, t.momentum, t.momentum_switch_epoch, t.epochs)
    if len(set(moms)) == 1:
        parts.append(f"momentum {moms[0]:g}")
    else:
        parts.append(f"momentum {t.initial_momentum:g} for the first "
                     f"{count(t.momentum_switch_epoch, 'epoch')}, then {t.momentum:g}")
    if isinstance(t, TrainConfig) and (t.up_factor != 1 or t.down_factor != 1):
        parts.append(f"up/down factors {t.up_factor:g}/{t.down_factor:g}")
    if isinstance(t, DBMTrainConfig):
        mf = t.mean_field
        parts += [f"mean-field up to {count(mf.max_iter, 'update')} (tol {mf.tol:g})",
                  f"{count(t.n_chains, 'persistent chain')} "
                  f"({count(t.gibbs_steps, 'sweep')} per update)",
                  f"max-norm {t.max_norm:g}"]
    return ", ".join(parts)
