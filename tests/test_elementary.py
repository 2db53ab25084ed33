"""The model's own elementary functions against the C library, NumPy and SciPy (Cephes)."""

import math

import numpy as np
import pytest
from numba import njit
from scipy import special

from powderkeg.model import elementary as E

RNG = np.random.default_rng(20261201)


def _ulps(got, want):
    """Distance in units of the last place of ``want``."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    return np.abs(got - want) / np.spacing(np.abs(want))


def _libm(f, x):
    return np.array([f(v) for v in x])


def _wide(low, high, n=4000):
    """Points spread over ``[low, high]`` and over many binades near zero."""
    small = np.concatenate([RNG.uniform(-1, 1, n // 4) * 10.0 ** RNG.integers(-12, 0, n // 4)])
    return np.concatenate([RNG.uniform(low, high, n), np.clip(small, low, high), [low, high]])


@pytest.mark.parametrize(("name", "ref", "low", "high", "ulps"), [
    ("exp", math.exp, -740.0, 709.0, 1),
    ("sin", math.sin, -8.0, 8.0, 1),
    ("cos", math.cos, -8.0, 8.0, 1),
    ("expm1", math.expm1, -40.0, 40.0, 2),
    ("tanh", math.tanh, -25.0, 25.0, 2),
    ("arcsin", math.asin, -1.0, 1.0, 2),
])
def test_close_to_the_c_library(name, ref, low, high, ulps):
    x = _wide(low, high)
    assert _ulps(getattr(E, name)(x), _libm(ref, x)).max() <= ulps


def test_log_within_one_ulp_over_all_binades():
    x = np.concatenate([10.0 ** RNG.uniform(-300, 300, 4000), RNG.uniform(0.5, 2.0, 4000),
                        [5e-324, 1.0, 2.0, np.finfo(float).max]])
    assert _ulps(E.log(x), _libm(math.log, x)).max() <= 1.0


def test_expit_within_four_ulps_of_scipys():
    x = _wide(-700.0, 40.0)
    assert _ulps(E.expit(x), special.expit(x)).max() <= 4.0  # exp's ulp, then the division


def test_power_error_grows_with_the_exponent_times_the_log():
    x, y = 10.0 ** RNG.uniform(-3, 6, 4000), RNG.uniform(0.0, 1.0, 4000)
    bound = (np.abs(y * np.log(x)) + 2.0) * np.finfo(float).eps
    want = _libm(lambda p: math.pow(*p), np.stack([x, y], axis=1))
    assert (np.abs(E.power(x, y) - want) <= bound * want).all()
    assert E.power(0.0, 0.0) == 1.0 and E.power(0.0, 0.5) == 0.0


def test_whole_powers_are_repeated_products():
    base = RNG.uniform(0.1, 1.0, 50)
    for n in range(8):
        want = np.ones(50)
        for _ in range(n):
            want = want * base
        assert _ulps(E.powi(base, n), want).max() <= n  # at most one rounding per product
    with pytest.raises(ValueError, match="whole"):
        E.powi(2.0, 0.5)


def test_ndtri_is_wichuras_as241_within_2e15_of_scipys_cephes():
    # both tails down to the model's smallest uniform, 2^-54, and the three pieces' joins
    u = np.concatenate([RNG.uniform(0, 1, 20000), 10.0 ** RNG.uniform(-16, -1, 2000),
                        [2.0**-54, 0.5, 0.075, 0.925, np.exp(-25.0)]])
    u = np.concatenate([u, 1 - u[u > 2.0**-53]])
    got, want = E.ndtri(u), special.ndtri(u)
    assert (np.abs(got - want) <= 2e-15 * np.maximum(1.0, np.abs(want))).all()
    assert E.ndtri(0.0) == -np.inf and E.ndtri(1.0) == np.inf and np.isnan(E.ndtri(1.5))


def test_ndtr_matches_scipys_cephes_and_inverts_ndtri():
    x = _wide(-37.0, 8.0)
    got, want = E.ndtr(x), special.ndtr(x)
    assert (np.abs(got - want) <= 1e-14 * want).all()
    z = RNG.normal(size=2000)
    assert np.abs(E.ndtri(E.ndtr(z)) - z).max() < 1e-12


def test_special_values():
    assert E.exp(np.inf) == np.inf and E.exp(-np.inf) == 0.0 and np.isnan(E.exp(np.nan))
    assert E.log(0.0) == -np.inf and np.isnan(E.log(-1.0)) and E.log(np.inf) == np.inf
    assert E.expm1(-800.0) == -1.0 and E.expm1(800.0) == np.inf
    assert E.tanh(-30.0) == -1.0 and E.expit(-800.0) == 0.0 and E.expit(800.0) == 1.0
    assert np.isnan(E.sin(1e7)) and np.isnan(E.arcsin(1.5))


def test_any_shape_in_the_same_shape_out():
    x = RNG.uniform(0.1, 2.0, (3, 4, 5))[:, ::2]
    assert E.log(x).shape == x.shape
    assert np.array_equal(E.log(x), E.log(x.copy()).reshape(x.shape))
    assert isinstance(E.exp(1.0), np.float64)
    assert E.power(RNG.uniform(1, 2, (4, 1)), np.array([0.5, 1.0])).shape == (4, 2)


@njit
def _scaled(y, k):
    out = np.empty(y.size)
    for i in range(y.size):
        out[i] = E._times_power_of_two(y[i], k[i])
    return out


@njit
def _split(x):
    m, e = np.empty(x.size), np.empty(x.size, np.int64)
    for i in range(x.size):
        m[i], e[i] = E._mantissa_exponent(x[i])
    return m, e


def test_powers_of_two_from_the_bits_are_ldexp_exactly():
    # every exponent exp can reach (|x| <= 745 gives |k| <= 1075) and past it, with y over
    # [1/2, 2) including its ends; np.ldexp (an exact scaling) is the oracle
    k = np.repeat(np.arange(-1100, 1101), 600)
    y = np.concatenate([[0.5, np.nextafter(2.0, 0.0), 1.0],
                        RNG.uniform(0.5, 2.0, k.size - 3)])
    with np.errstate(over="ignore"):  # ldexp's inf past the largest double, as ours
        assert np.array_equal(_scaled(y, k), np.ldexp(y, k))


def test_mantissa_and_exponent_from_the_bits_are_frexp_exactly():
    # every binade, subnormals and the largest double included; np.frexp is the oracle
    tiny = np.nextafter(0.0, 1.0)
    x = np.concatenate([
        RNG.uniform(1.0, 2.0, 1_000_000) * np.exp2(RNG.integers(-1074, 1024, 1_000_000)),
        np.exp2(np.arange(-1074.0, 1024.0)), [tiny, 2.0**-1022, np.nextafter(2.0**-1022, 0.0),
                                              np.finfo(float).max]])
    x = x[np.isfinite(x) & (x > 0)]
    m, e = _split(x)
    want_m, want_e = np.frexp(x)
    assert np.array_equal(m, want_m) and np.array_equal(e, want_e)
