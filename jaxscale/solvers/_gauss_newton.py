from typing import ClassVar

from ._levenberg_marquardt import AbstractLevenbergMarquardt


class GaussNewton(AbstractLevenbergMarquardt):
    """Levenberg-Marquardt on the iteratively-reweighted Gauss-Newton matrix, the default solver of `fit`.

    The curvature is J^T diag(w psi(r) / r) J (J the residuals' Jacobian, psi the penalty's slope), the
    curvature of a quadratic lying above the loss (the `gauss_newton` method of the objective `fit` builds): positive semi-definite
    even where Huber's tails are flat, and it needs first derivatives only. Because that quadratic
    overestimates the curvature of the tails, each step also tries 2, 4 and 8 times its length
    (`trial_steps`), which about halves the steps a Chinchilla fit takes.

    Needs an objective with residual structure (`requires_residuals`: `fit` checks that its loss is an
    `AbstractResidualLoss` before compiling); for a bare scalar function use `DampedNewton` or `OptaxSolver`.
    """

    requires_residuals: ClassVar[bool] = True
    max_steps: int = 400
    ftol: float = 1e-11
    xtol: float = 1e-8
    initial_damping: float = 1e-3
    max_damping: float = 1e12
    trial_steps: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    flat_steps: int = 3

    def derivatives(self, objective, z):
        if not hasattr(objective, "gauss_newton"):
            raise TypeError("GaussNewton needs a jaxscale Objective (residuals and a loss); use DampedNewton for a plain function.")
        return objective.gauss_newton(z)
