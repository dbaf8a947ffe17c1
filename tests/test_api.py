"""The public surface: every exported name, listed here, importable and documented. A name added to or dropped
from a face must be added to or dropped from this list too (that is the point: the API changes on purpose)."""

import importlib

import pytest

import jaxscale as js

PUBLIC = {
    "jaxscale": [
        "AbstractBoundedLaw", "AbstractConstraint", "AbstractFitResult", "AbstractLaw", "AbstractLikelihood", "AbstractLogLaw", "Allocation", "BacktestResult",
        "Bernoulli", "Beta", "BetaBinomial", "Binomial", "BootstrapResult", "BrokenPowerLaw", "ChainResult", "ChainStep", "Chinchilla", "Comparison", "Dataset",
        "Extrapolation", "FitError", "FitResult", "FitWarning", "GroupedFitResult", "Interval", "Kaplan", "LogHuber",
        "LogNormal", "LogSquared", "LogStudentT", "MultiStart", "Normal", "ObservationalResult", "Positive", "Posterior", "PowerLaw", "RESULTS",
        "Real", "ScheduleChoice", "SharedFitResult", "Squared", "StudentT", "allocate", "backtest", "bootstrap", "chain", "chain_tasks", "choose_schedule", "compare", "datasets",
        "evaluate", "final_checkpoints", "fit", "infer", "intervals", "isoflop", "laws",
        "likelihoods", "losses", "observational_scaling", "plot", "predict_curve", "predict_interval", "problems", "schedules", "sensitivities", "smooth_checkpoints", "solvers", "starts",
    ],
    "jaxscale.likelihoods": [
        "AbstractLikelihood", "AbstractScaleLikelihood", "Bernoulli", "Beta", "BetaBinomial", "Binomial", "LIKELIHOODS",
        "LogNormal", "LogStudentT", "Normal", "StudentT", "residual_sd", "resolve_likelihood",
    ],
    "jaxscale.laws": [
        "AbstractBoundedLaw", "AbstractMixtureLaw", "BY_NAME", "BrokenPowerLaw", "Chinchilla", "DataConstrained", "ExpMixing",
        "FloatingPointPrecision", "GadreTopOneError", "Kaplan", "KaplanSteps", "LRAnnealing", "MixtureAdditive", "MixtureJoint", "MultiPowerLaw", "Overtraining", "PowerLaw",
        "Precision", "SigmoidCompute", "SigmoidND", "SigmoidTaskLoss", "StepLawBatch", "StepLawLR", "bounded_logit", "bounded_sigmoid", "get", "resolve",
    ],
    "jaxscale.problems": [
        "AbstractAllocation", "AbstractComputeBudget", "AbstractLossTarget", "AbstractNDProblem", "AbstractProblem", "Allocation",
        "ComputeOptimal", "ComputeOptimalPrecision", "DataConstrained", "InferenceAware", "LossTarget", "MixtureAllocation",
        "OptimalMixture", "PostTrainingPrecision", "PrecisionAllocation", "Search", "TokenAllocation", "golden_section",
        "minimize_1d", "minimize_on_capped_simplex", "over_values_and_laws", "project_capped_simplex", "root_in_log_d", "six_nd",
        "six_nd_bits", "training_and_inference", "with_traced_values",
    ],
    "jaxscale.solvers": [
        "AbstractLevenbergMarquardt", "AbstractSolver", "BatchMinimum", "DampedNewton", "GaussNewton", "OptaxSolver", "SolverState",
        "minimize_batch", "minimize_groups",
    ],
    "jaxscale.intervals": [
        "AbstractIntervalMethod", "BootstrapPercentile", "IntervalInputs", "METHODS", "PlateauBand", "PlateauEnvelope", "PlateauIntersection", "RollingOrigin", "check_level",
        "conformal_rank_quantile", "resolve_methods",
    ],
    "jaxscale.plot": ["KINDS", "check_path", "draw", "fit", "frontier", "groups", "isoflop", "plot_fit", "posterior", "predicted", "residuals"],
    "jaxscale.schedules": [
        "DECAY_SHAPES", "KNOT_INPUTS", "WSD", "AbstractSchedule", "Constant", "Cosine", "FromArray", "TwoStage", "annealing_knots",
        "curve_inputs", "decay_curve", "final_step_inputs", "schedule_inputs",
    ],
    "jaxscale.starts": ["grid", "hoffmann_grid", "sobol", "sobol_per_group", "uniform"],
    "jaxscale.losses": ["AbstractLogLoss", "AbstractLoss", "AbstractResidualLoss", "LogHuber", "LogSquared", "Squared"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_every_public_name_is_listed_importable_and_documented(module):
    face = importlib.import_module(module)
    assert sorted(face.__all__) == sorted(PUBLIC[module])
    for name in face.__all__:
        value = getattr(face, name)
        if callable(value) or isinstance(value, type):
            assert (value.__doc__ or "").strip(), f"{module}.{name} has no docstring"


def test_the_version_is_the_installed_one():
    from importlib.metadata import version

    assert js.__version__ == version("jaxscale")
