"""Test-wide settings: JAX's strict dtype promotion, so an implicit float32 -> float64 (or int -> float) mix
in the package is an error in the tests rather than a silent upcast (or a silent precision loss) for users.

Set for the whole session (not per test), so module-scoped fixtures compile under the same setting as the
tests that use them and nothing compiles twice."""

import jax


def pytest_configure(config):
    jax.config.update("jax_numpy_dtype_promotion", "strict")
