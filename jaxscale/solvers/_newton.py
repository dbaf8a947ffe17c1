import jax

from ._levenberg_marquardt import AbstractLevenbergMarquardt


def value_grad_hessian(objective, z):
    """Objective, gradient and exact Hessian in one forward-over-reverse pass."""

    def grad_with_aux(z):
        value, grad = jax.value_and_grad(objective)(z)
        return grad, (value, grad)

    hessian, (value, grad) = jax.jacfwd(grad_with_aux, has_aux=True)(z)
    return value, grad, hessian


class DampedNewton(AbstractLevenbergMarquardt):
    """Newton's method on the exact Hessian with Levenberg-Marquardt damping (see `AbstractLevenbergMarquardt`).

    Works on any scalar objective. Far from a minimum this is a short scaled-gradient step, near one it
    converges quadratically, and with a handful of parameters the exact Hessian costs little more than a
    gradient. On Huber losses with a small delta most points sit on the penalty's linear tails, where the
    Hessian sees no curvature, and `GaussNewton` gets there in fewer steps.
    """

    max_steps: int = 200
    ftol: float = 1e-11
    xtol: float = 1e-8
    initial_damping: float = 1e-3
    max_damping: float = 1e12
    trial_steps: tuple[float, ...] = (1.0,)
    flat_steps: int = 3

    def derivatives(self, objective, z):
        return value_grad_hessian(objective, z)
