"""js.plot: every plot's lines are the fitted law's values where they are drawn, read back from the matplotlib
artists; bounded targets on linear axes, losses on log axes with readable ticks; bad input is an early ValueError."""

import os
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import jaxscale as js
import jaxscale.plot  # noqa: F401  (js.plot)

pytestmark = pytest.mark.filterwarnings("ignore::jaxscale.FitWarning")

OPT_SIZES = np.array([125e6, 350e6, 1.3e9, 2.7e9, 6.7e9, 13e9])  # the six OPT model sizes (Zhang et al. 2022)
TRUE = js.Chinchilla(E=1.8, A=400.0, B=2000.0, alpha=0.34, beta=0.28)


@pytest.fixture(scope="module")
def opt_like():
    """Six model sizes, each with eight checkpoints over its own token range (larger models trained longer)."""
    rng = np.random.default_rng(0)
    rows = [(n, d) for i, n in enumerate(OPT_SIZES) for d in np.geomspace(2e9, 2e10 * (i + 1), 8)]
    frame = pd.DataFrame(rows, columns=["N", "D"])
    frame["loss"] = TRUE.predict(frame) * np.exp(0.005 * rng.standard_normal(len(frame)))
    return frame


@pytest.fixture(scope="module")
def chinchilla_fit(opt_like):
    return js.fit(js.Chinchilla, opt_like, n_refine=4)


@pytest.fixture(scope="module")
def power_data():
    x = np.geomspace(1.0, 1e4, 12)
    return pd.DataFrame({"x": x, "loss": 1.5 + 3.0 * x**-0.4, "group": np.repeat(["a", "b", "c"], 4)})


@pytest.fixture(scope="module")
def power_fit(power_data):
    return js.fit(js.PowerLaw, power_data, n_refine=4)


def _solid(ax):
    return [line for line in ax.lines if line.get_linestyle() == "-"]


def _dashed(ax):
    return [line for line in ax.lines if line.get_linestyle() == "--"]


def _size_of(line) -> float:
    return float(line.get_gid().split(":")[1])


def test_one_solid_curve_per_model_size_run_each_the_fitted_law(chinchilla_fit, opt_like):
    ax = js.plot.fit(chinchilla_fit).axes[0]
    solid, dashed = _solid(ax), _dashed(ax)
    assert len(solid) == 6 and len(dashed) == 6  # the OPT-like case: exactly the six sizes, not quantiles
    assert sorted(_size_of(line) for line in solid) == pytest.approx(OPT_SIZES)
    law = chinchilla_fit.law
    for line in solid + dashed:
        N, C = _size_of(line), line.get_xdata()
        expected = law.predict({"N": np.full_like(C, N), "D": C / (6 * N)})
        np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12)
    for line in solid:  # solid over the size's own compute range, dashed from its last run on
        own = opt_like[opt_like["N"] == _size_of(line)]
        c = 6 * own["N"] * own["D"]
        assert line.get_xdata().min() == pytest.approx(c.min()) and line.get_xdata().max() == pytest.approx(c.max())
        (beyond,) = [d for d in dashed if _size_of(d) == _size_of(line)]
        assert beyond.get_xdata().min() == pytest.approx(c.max()) and beyond.get_xdata().max() == pytest.approx(4 * c.max())
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_max_curves_draws_sizes_that_were_run(chinchilla_fit):
    ax = js.plot.fit(chinchilla_fit, max_curves=3).axes[0]
    sizes = [_size_of(line) for line in _solid(ax)]
    assert len(sizes) == 3 and all(np.isclose(OPT_SIZES, s).any() for s in sizes)
    assert "3 of 6" in ax.get_title()


def test_log_ticks_read_as_plain_numbers(chinchilla_fit):
    figure = js.plot.fit(chinchilla_fit)
    figure.canvas.draw()
    ax = figure.axes[0]
    low, high = ax.get_ylim()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text() and low <= t.get_position()[1] <= high]
    assert labels and all(float(text) > 0 for text in labels), labels  # "2.5", "3": no "3x10^0"
    assert all(t.get_text() == "" for t in ax.yaxis.get_minorticklabels())


def test_a_one_input_law_is_drawn_against_its_input(power_fit, power_data):
    ax = js.plot.fit(power_fit).axes[0]
    (solid,), (dashed,) = _solid(ax), _dashed(ax)
    for line in (solid, dashed):
        np.testing.assert_allclose(line.get_ydata(), power_fit.law.predict({"x": line.get_xdata()}), rtol=1e-12)
    assert solid.get_xdata().min() == pytest.approx(1.0) and solid.get_xdata().max() == pytest.approx(1e4)
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "x"


def test_a_bounded_target_is_on_a_linear_axis():
    C = np.geomspace(1e18, 1e23, 20)
    truth = js.laws.SigmoidCompute(floor=0.25, ceiling=0.9, slope=1.2, log_c50=np.log(1e21))
    data = pd.DataFrame({"C": C, "acc": truth.predict({"C": C})})
    result = js.fit(js.laws.SigmoidCompute, data, target="acc", loss=js.Squared(), n_refine=4)
    ax = js.plot.fit(result).axes[0]
    assert ax.get_yscale() == "linear" and ax.get_xscale() == "log"
    (solid,) = _solid(ax)
    np.testing.assert_allclose(solid.get_ydata(), result.law.predict({"C": solid.get_xdata()}), rtol=1e-12)
    assert js.plot.predicted(result).axes[0].get_yscale() == "linear"


class Plane(js.AbstractLaw):
    inputs = ("u", "v")
    positive_inputs = ()
    constraints = {"a": js.Real(), "b": js.Real(), "c": js.Real()}
    a: jnp.ndarray
    b: jnp.ndarray
    c: jnp.ndarray

    def __call__(self, x):
        return self.a + self.b * x["u"] + self.c * x["v"]


def test_other_laws_are_drawn_predicted_against_actual():
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"u": rng.uniform(0, 1, 15), "v": rng.uniform(0, 1, 15)})
    data["loss"] = 3 + data["u"] - 2 * data["v"] + 0.01 * rng.standard_normal(15)
    result = js.fit(Plane, data, loss=js.Squared(), n_refine=4)
    ax = js.plot.fit(result).axes[0]
    assert "predicted against actual" in ax.get_title()
    points = ax.collections[0].get_offsets()
    np.testing.assert_allclose(points[:, 0], data["loss"])
    np.testing.assert_allclose(points[:, 1], result.predict(data), rtol=1e-10)


def test_predicted_against_actual_has_the_identity_line(chinchilla_fit, opt_like):
    ax = js.plot.predicted(chinchilla_fit).axes[0]
    (identity,) = ax.lines
    assert identity.get_label() == "y = x" and np.array_equal(identity.get_xdata(), identity.get_ydata())
    points = ax.collections[0].get_offsets()
    np.testing.assert_allclose(points[:, 0], opt_like["loss"])
    np.testing.assert_allclose(points[:, 1], chinchilla_fit.predict(opt_like), rtol=1e-12)
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_residuals_against_an_input_and_the_fitted_value(chinchilla_fit, opt_like):
    expected = np.log(opt_like["loss"] / chinchilla_fit.predict(opt_like))
    for against, x in (("fitted", chinchilla_fit.predict(opt_like)), ("N", opt_like["N"]), ("C", 6 * opt_like["N"] * opt_like["D"])):
        ax = js.plot.residuals(chinchilla_fit, against=against).axes[0]
        points = ax.collections[0].get_offsets()
        np.testing.assert_allclose(points[:, 0], x, rtol=1e-12)
        np.testing.assert_allclose(points[:, 1], expected, rtol=1e-10, atol=1e-14)
    raw = js.plot.residuals(chinchilla_fit, kind="raw").axes[0].collections[0].get_offsets()[:, 1]
    np.testing.assert_allclose(raw, opt_like["loss"] - chinchilla_fit.predict(opt_like), atol=1e-12)
    with pytest.raises(ValueError, match="against must be one of"):
        js.plot.residuals(chinchilla_fit, against="x")
    with pytest.raises(ValueError, match="kind must be one of"):
        js.plot.residuals(chinchilla_fit, kind="studentized")
    with pytest.raises(ValueError, match="kind='pearson' needs a fit with a likelihood"):
        js.plot.residuals(chinchilla_fit, kind="pearson")


@pytest.fixture(scope="module")
def porian():
    df = js.datasets.load("porian_isoflop")
    return df[df["config"].isin(["rw/base/short/chinchilla/standard/val", "rw/tuned/short/const/standard/val"])]


def test_isoflop_draws_the_optima_and_the_fitted_power_laws(porian):
    runs = porian[porian["config"] == "rw/base/short/chinchilla/standard/val"]
    result = js.isoflop.profiles(runs, n_bootstrap=20)
    profiles_ax, optima_ax = js.plot.isoflop(result, runs).axes[:2]
    row = result.to_frame().iloc[0]
    n_line, d_line = optima_ax.lines
    np.testing.assert_allclose(n_line.get_ydata(), row["k"] * n_line.get_xdata() ** row["a"], rtol=1e-12)
    np.testing.assert_allclose(d_line.get_ydata(), row["k_D"] * d_line.get_xdata() ** row["b"], rtol=1e-12)
    used = result.optima[result.optima["used"]]
    assert n_line.get_xdata().min() == pytest.approx(used["C"].min()) and n_line.get_xdata().max() == pytest.approx(used["C"].max())
    assert len(profiles_ax.lines) == runs["C"].nunique()  # one profile per budget
    stars = [c for c in profiles_ax.collections if len(c.get_offsets()) == 1]
    assert sorted(float(s.get_offsets()[0, 0]) for s in stars) == pytest.approx(sorted(result.optima["N_opt"]))


def test_isoflop_with_groups_needs_one(porian):
    result = js.isoflop.profiles(porian, by="config", n_bootstrap=10)
    with pytest.raises(ValueError, match="group: this result has 2 groups"):
        js.plot.isoflop(result, porian)
    with pytest.raises(ValueError, match="group: no group"):
        js.plot.isoflop(result, porian, group="nope")
    figure = js.plot.isoflop(result, porian, group="rw/tuned/short/const/standard/val")
    row = result.to_frame().set_index("config").loc["rw/tuned/short/const/standard/val"]
    line = figure.axes[1].lines[0]
    np.testing.assert_allclose(line.get_ydata(), row["k"] * line.get_xdata() ** row["a"], rtol=1e-12)


def test_the_frontier_is_the_allocation_and_its_band():
    budgets = np.geomspace(1e20, 1e25, 6)
    laws = js.Chinchilla(E=jnp.array([1.7, 1.8, 1.9]), A=jnp.array([400.0, 480.0, 560.0]), B=jnp.array([1900.0, 2100.0, 2300.0]),
                         alpha=jnp.array([0.33, 0.34, 0.35]), beta=jnp.array([0.36, 0.37, 0.38]))
    spread = js.allocate(laws, js.problems.ComputeOptimal(budgets))
    ax = js.plot.frontier(spread, level=0.9).axes[0]
    n_line, d_line = ax.lines
    np.testing.assert_allclose(n_line.get_xdata(), budgets)
    np.testing.assert_allclose(n_line.get_ydata(), np.median(np.asarray(spread.N), axis=0))
    np.testing.assert_allclose(d_line.get_ydata(), np.median(np.asarray(spread.D), axis=0))
    (n_band, d_band) = ax.collections
    top = n_band.get_paths()[0].vertices[:, 1]
    assert top.max() == pytest.approx(np.quantile(np.asarray(spread.N), 0.95, axis=0).max())
    with pytest.raises(ValueError, match="budgets: an Allocation already holds"):
        js.plot.frontier(spread, budgets)


def test_the_frontier_refuses_what_it_cannot_draw(power_fit, chinchilla_fit):
    with pytest.raises(ValueError, match="result: the frontier allocates model size N and tokens D, but PowerLaw"):
        js.plot.frontier(power_fit, [1e20, 1e21])
    with pytest.raises(ValueError, match="budgets"):
        js.plot.frontier(chinchilla_fit, [1e20])
    with pytest.raises(ValueError, match="budgets must be finite"):
        js.plot.frontier(chinchilla_fit, [1e20, np.inf])
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        js.plot.frontier(chinchilla_fit, [1e20, 1e21], level=95)
    with pytest.raises(TypeError, match="result must be a BootstrapResult"):
        js.plot.frontier("fit", [1e20, 1e21])


@pytest.fixture(scope="module")
def grouped_fit(power_data):
    return js.fit(js.PowerLaw, power_data, by="group", n_refine=4, loss=js.Squared())


def test_groups_are_small_multiples_of_each_groups_law(grouped_fit, power_data):
    figure = js.plot.groups(grouped_fit)
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["a", "b", "c"]
    for ax, key in zip(panels, grouped_fit.keys):
        law = grouped_fit[key].law
        (solid,) = _solid(ax)
        np.testing.assert_allclose(solid.get_ydata(), law.predict({"x": solid.get_xdata()}), rtol=1e-12)
        rows = power_data[power_data["group"] == key]
        np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 0], rows["x"])


def test_too_many_groups_are_capped_with_a_message(grouped_fit):
    with pytest.warns(js.FitWarning, match="3 groups but max_panels=2"):
        figure = js.plot.groups(grouped_fit, max_panels=2)
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 2
    assert "2 of 3 groups drawn" in figure.get_suptitle()
    assert [ax.get_title() for ax in js.plot.groups(grouped_fit, keys=["c"]).axes] == ["c"]
    with pytest.raises(ValueError, match="keys: no group 'z'"):
        js.plot.groups(grouped_fit, keys=["z"])


def test_draw_picks_the_plot_and_refuses_unknown_kinds(power_fit, grouped_fit):
    assert "PowerLaw fit" in js.plot.draw(power_fit).axes[0].get_title()
    assert len([ax for ax in js.plot.draw(grouped_fit).axes if ax.get_visible()]) == 3
    assert js.plot.draw(power_fit, "residuals", against="x").axes[0].get_xlabel() == "x"
    with pytest.raises(ValueError, match="kind must be one of"):
        js.plot.draw(power_fit, "histogram")
    with pytest.raises(TypeError, match="no plot for a str"):
        js.plot.draw("fit")
    with pytest.raises(TypeError, match="result must be a FitResult"):
        js.plot.fit(grouped_fit)


def test_paths_are_checked_first_and_written_atomically(power_fit, grouped_fit, tmp_path):
    with pytest.raises(ValueError, match="path .*missing.* does not exist"):
        js.plot.fit(power_fit, path=tmp_path / "missing" / "fit.png")
    with pytest.raises(ValueError, match="path .* is a directory"):
        js.plot.fit(power_fit, path=tmp_path)
    with pytest.raises(ValueError, match="path .* names no format"):
        js.plot.fit(power_fit, path=tmp_path / "fit.xyz")
    with pytest.raises(TypeError, match="path must be a file name"):
        js.plot.check_path(3)
    js.plot.fit(power_fit, path=tmp_path / "fit.png")
    js.plot.plot_fit(grouped_fit, None, tmp_path / "groups.pdf")
    assert sorted(os.listdir(tmp_path)) == ["fit.png", "groups.pdf"]  # no temporary file left behind
    assert (tmp_path / "fit.png").read_bytes()[:4] == b"\x89PNG"
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "fit.png").stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_failed_save_leaves_nothing_behind(power_fit, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    (tmp_path / "fit.png").write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"):
        js.plot.fit(power_fit, path=tmp_path / "fit.png")
    assert os.listdir(tmp_path) == ["fit.png"] and (tmp_path / "fit.png").read_bytes() == b"old"


def test_draws_into_a_given_axes(power_fit):
    from matplotlib.figure import Figure

    figure = Figure()
    ax = figure.subplots()
    assert js.plot.fit(power_fit, ax=ax) is figure and len(ax.lines) == 2
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        js.plot.fit(power_fit, ax="left")
    with pytest.raises(ValueError, match="ax: this plot draws 2 panels"):
        js.plot.isoflop(js.isoflop.profiles(js.datasets.load("porian_isoflop").query("config == 'rw/base/short/chinchilla/standard/val'"), n_bootstrap=5),
                        js.datasets.load("porian_isoflop").query("config == 'rw/base/short/chinchilla/standard/val'"), ax=ax)


def test_import_jaxscale_does_not_load_matplotlib():
    code = "import sys, jaxscale, jaxscale.plot; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


@pytest.mark.slow
def test_posterior_bands_are_the_posteriors_quantiles(opt_like):
    draws = js.infer(js.Chinchilla, opt_like, n_warmup=150, n_samples=150, n_chains=1, seed=0)
    ax = js.plot.posterior(draws, level=0.8, max_curves=None).axes[0]
    solid = _solid(ax)
    assert len(solid) == 6
    for line in solid:
        N, C = _size_of(line), line.get_xdata()
        expected = draws.predict(pd.DataFrame({"N": np.full_like(C, N), "D": C / (6 * N)}), quantiles=(0.5,))["q0.5"]
        np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12)


@pytest.mark.slow
def test_the_frontier_of_a_bootstrap(chinchilla_fit):
    budgets = np.geomspace(1e20, 1e24, 5)
    boot = js.bootstrap(chinchilla_fit, n=8, seed=0)
    n_line, d_line = js.plot.frontier(boot, budgets).axes[0].lines
    point = js.allocate(chinchilla_fit.law, js.problems.ComputeOptimal(budgets))
    np.testing.assert_allclose(n_line.get_ydata(), np.asarray(point.N))
    np.testing.assert_allclose(d_line.get_ydata(), np.asarray(point.D))
