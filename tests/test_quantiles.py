"""The compiled quantiles give ``params.ppf``'s values bit for bit, family by family.

``params.ppf`` (NumPy, SciPy and the project's elementary functions) is the reference: the
kernels invert a link's repair-time distribution with :mod:`powderkeg.model.quantiles`, so
every repair time must be the same bits as the NumPy formulation gave.
"""

import numpy as np
import pytest
from pydantic import TypeAdapter

from powderkeg.model.quantiles import NOT_COMPILED, quantile_code, quantile_scalar
from powderkeg.scenario.params import Param

# uniforms across (0, 1), both ends, and the values a repair's quantile can take at its limits
U = np.concatenate([np.linspace(0.0, 1.0, 1001), np.random.default_rng(3).random(1000),
                    [1e-300, 2.0**-54, 1e-12, 0.25, 0.5, 0.75, 1 - 1e-12, 1 - 2.0**-53]])


@pytest.mark.parametrize("spec", [
    {"value": 3.5},
    {"dist": "uniform", "low": 2.0, "high": 9.5},
    {"dist": "normal", "mean": 10.0, "sd": 3.0},
    {"dist": "lognormal", "median": 150.0, "sigma": 0.5},
    {"dist": "lognormal", "median": 0.3, "sigma": 1.7},
    {"dist": "triangular", "low": 1.0, "mode": 4.0, "high": 30.0},
    {"dist": "triangular", "low": 1.0, "mode": 1.0, "high": 3.0},
    {"dist": "triangular", "low": 1.0, "mode": 3.0, "high": 3.0},
    {"dist": "choice", "values": [1.0, 5.0, 9.0]},
    {"dist": "choice", "values": [2.0, 7.0, 3.0, 8.0], "weights": [0.1, 0.2, 0.3, 0.4]},
], ids=lambda spec: spec.get("dist", "fixed") + "-" + str(len(spec)))
def test_the_kernel_quantile_is_params_ppf_bit_for_bit(spec):
    dist = TypeAdapter(Param).validate_python(spec)
    family, (p0, p1, p2), values, cum = quantile_code(dist)
    assert family != NOT_COMPILED
    with np.errstate(divide="ignore", invalid="ignore"):
        want = dist.ppf(U)
    got = np.array([quantile_scalar(family, p0, p1, p2, values, cum, u) for u in U])
    assert got.tobytes() == want.tobytes()


def test_the_beta_is_left_to_scipy():
    beta = TypeAdapter(Param).validate_python({"dist": "beta", "a": 2.0, "b": 5.0})
    assert quantile_code(beta)[0] == NOT_COMPILED


def test_repair_times_invert_every_family_as_its_ppf_does_the_beta_included():
    """A beta and a choice repair time next to each other: each link's times are its
    distribution's ``ppf`` at the repair's quantile (the former NumPy formulation)."""
    from conftest import tiny_document, tiny_scenario

    from powderkeg.model.build import build_model
    from powderkeg.model.fire_kernels import repair_uniform
    from powderkeg.model.fires import repair_times
    from powderkeg.model.random import Streams, uniform_scalar
    from powderkeg.model.world import sample_world

    links = tiny_document()["links"]
    links[0]["repair_days"] = {"dist": "beta", "a": 2.0, "b": 5.0, "low": 1.0, "high": 30.0}
    links[1]["repair_days"] = {"dist": "choice", "values": [2.0, 6.0], "weights": [1.0, 3.0]}
    model = build_model(tiny_scenario(links=links))
    runs, streams, day = np.arange(64), Streams(4), 9
    world = sample_world(model, streams, runs)
    damaged = np.random.default_rng(0).random((len(runs), model.n_links)) < 0.7
    got = repair_times(model, world, streams, runs, day, damaged)
    for e, name in enumerate(model.link_ids):
        key = np.uint64(streams.key(f"repair/{name}"))
        q = np.array([repair_uniform(uniform_scalar(key, r, day, 0), world.repair_z[r, e],
                                     world.repair_share[r]) for r in runs])
        want = np.where(damaged[:, e], model.link_repair[e].ppf(q), 0.0)
        assert got[:, e].tobytes() == want.tobytes(), name
    assert len(np.unique(got[damaged[:, 0], 0])) > 10  # the beta's times are spread
