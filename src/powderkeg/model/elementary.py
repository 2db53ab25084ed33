"""The model's elementary functions, compiled from published algorithms, the same on every CPU.

NumPy picks its ``exp``, ``log``, ``power``, ``sin``, ``tanh`` ... loops at run time by the
CPU's features (SSE, AVX2, AVX-512); the loops agree to an ulp or so, but not bit for bit, so
a run could come out differently on another machine. The C library does the same for its
scalar functions (glibc has FMA variants). The functions here use only IEEE addition,
multiplication, division, square root and exact scaling by powers of two (read from and
built in the bits of the IEEE-754 double where the result is a normal number), in a fixed
order, compiled by Numba without fast-math (no fused multiply-add, no reassociation): every CPU
gives the same bits. ``tests/test_elementary.py`` checks each against NumPy and SciPy, and
a run with NumPy's dispatch restricted against a normal one.

Each function exists twice: a scalar ``@njit`` one (``exp_scalar``) for compiled kernels, and
one for arrays of any shape (``exp``) that applies the same scalar function to each element.

References
----------
Sun Microsystems (1993), fdlibm 5.3, ``e_exp.c``, ``e_log.c``, ``k_sin.c``, ``k_cos.c``,
``e_asin.c`` (freely distributable; the kernels as revised in FreeBSD's msun).
M. J. Wichura (1988), "Algorithm AS 241: The percentage points of the normal distribution",
Applied Statistics 37(3):477-484, doi:10.2307/2347330. S. L. Moshier (1989), *Methods and
Programs for Mathematical Functions*, Ellis Horwood (Cephes ``ndtr.c``, the rational
approximations of SciPy's ``ndtr``). N. J. Higham (2002), *Accuracy and Stability of
Numerical Algorithms*, 2nd ed., SIAM, section 1.14.1 (``expm1`` from ``exp`` and ``log``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numba import literal_unroll, njit, types
from numba.core.errors import NumbaExperimentalFeatureWarning
from numba.extending import intrinsic

__all__ = ["exp", "log", "expm1", "power", "powi", "tanh", "expit", "ndtri", "ndtr", "sin",
           "cos", "arcsin", "exp_scalar", "log_scalar", "expm1_scalar", "power_scalar",
           "powi_scalar", "tanh_scalar", "expit_scalar", "ndtri_scalar", "ndtr_scalar",
           "sin_scalar", "cos_scalar", "arcsin_scalar", "warm_up"]

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@intrinsic
def _bits_of(typingctx, x):
    """The 64 bits of the double ``x`` as an ``int64`` (an LLVM bit cast; no arithmetic)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


@intrinsic
def _double_of(typingctx, bits):
    """The double whose 64 bits are the ``int64`` ``bits`` (the inverse of :func:`_bits_of`)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


_MANTISSA_BITS = 52
_EXPONENT_BIAS = 1023
_MANTISSA_MASK = (1 << _MANTISSA_BITS) - 1
_MIN_NORMAL = 2.0**-1022


@njit(**_JIT)
def _times_power_of_two(y, k):
    """``y 2^k``, exactly ``math.ldexp(y, k)``, for ``1/2 <= y < 2``.

    For ``-1021 <= k <= 1023`` the product is a normal number and ``2^k`` is one too, so
    multiplying by ``2^k``, built from its exponent bits, is exact: the same bits as
    ``ldexp``, without the call into the C library. Other ``k`` (overflow, subnormal
    results) go to ``ldexp``.
    """
    if -1021 <= k <= 1023:
        return y * _double_of((k + _EXPONENT_BIAS) << _MANTISSA_BITS)
    return math.ldexp(y, k)


@njit(**_JIT)
def _mantissa_exponent(x):
    """``(m, e)`` with ``x = m 2^e`` and ``1/2 <= m < 1``, exactly ``math.frexp(x)``, for a
    finite ``x > 0``.

    For a normal ``x`` both are read from its bits: the biased exponent gives ``e`` and the
    mantissa with the exponent of ``1/2`` gives ``m``. Subnormal ``x`` go to ``frexp``.
    """
    if x < _MIN_NORMAL:
        return math.frexp(x)
    bits = _bits_of(x)
    e = (bits >> _MANTISSA_BITS) - (_EXPONENT_BIAS - 1)
    return _double_of((bits & _MANTISSA_MASK) | ((_EXPONENT_BIAS - 1) << _MANTISSA_BITS)), e

_LN2_HI = 6.93147180369123816490e-01  # 0x3fe62e42 fee00000: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
_EXP_OVER = 7.09782712893383973096e+02
_EXP_UNDER = -7.45133219101941108420e+02
_P1, _P2, _P3 = 1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05
_P4, _P5 = -1.65339022054652515390e-06, 4.13813679705723846039e-08


@njit(**_JIT)
def exp_scalar(x: float) -> float:
    """``e^x`` to under one ulp (fdlibm ``e_exp.c``).

    ``x = k ln2 + r`` with ``|r| <= ln2 / 2`` (``r = hi - lo`` in two parts); then
    ``e^r = 1 + r + r c / (2 - c)`` with ``c = r - r^2 (P1 + P2 r^2 + ... + P5 r^8)``, a
    Remez fit to ``r (e^r + 1) / (e^r - 1)`` within ``2^-59``; finally ``e^x = 2^k e^r``.

    >>> exp_scalar(1.0)  # fdlibm's value, one ulp above the nearest double to e
    2.7182818284590455
    """
    if x != x:
        return x
    if x > _EXP_OVER:
        return math.inf
    if x < _EXP_UNDER:
        return 0.0
    ax = abs(x)
    if ax < 2.0**-28:
        return 1.0 + x
    k = 0
    hi, lo = x, 0.0
    if ax > 0.5 * _LN2_HI:
        k = int(_INV_LN2 * x + (0.5 if x > 0 else -0.5))
        hi = x - k * _LN2_HI
        lo = k * _LN2_LO
        x = hi - lo
    t = x * x
    c = x - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    if k == 0:
        return 1.0 - ((x * c) / (c - 2.0) - x)
    return _times_power_of_two(1.0 - ((lo - (x * c) / (2.0 - c)) - hi), k)


_LG1, _LG2, _LG3 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01
_LG4, _LG5 = 2.222219843214978396e-01, 1.818357216161805012e-01
_LG6, _LG7 = 1.531383769920937332e-01, 1.479819860511658591e-01
_SQRT_HALF = 0.7071067811865476


@njit(**_JIT)
def log_scalar(x: float) -> float:
    """Natural logarithm to under one ulp (fdlibm ``e_log.c``).

    ``x = 2^k (1 + f)`` with ``sqrt(2)/2 <= 1 + f < sqrt(2)``; with ``s = f / (2 + f)``,
    ``log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))``, ``R`` a degree-14 Remez polynomial
    (``Lg1 .. Lg7``) within ``2^-58.45``; ``log x = k ln2 + log(1 + f)``.

    >>> log_scalar(math.e) == 1.0
    True
    """
    if x != x or x < 0.0:
        return math.nan
    if x == 0.0:
        return -math.inf
    if x == math.inf:
        return x
    m, e = _mantissa_exponent(x)  # x = m 2^e, 1/2 <= m < 1
    if m < _SQRT_HALF:
        m, e = m * 2.0, e - 1
    f = m - 1.0  # exact (Sterbenz)
    k = float(e)
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7))) + w * (_LG2 + w * (_LG4 + w * _LG6))
    return k * _LN2_HI - ((hfsq - (s * (hfsq + r) + k * _LN2_LO)) - f)


@njit(**_JIT)
def expm1_scalar(x: float) -> float:
    """``e^x - 1``, accurate near zero: ``(u - 1) x / log u`` with ``u = e^x`` (Higham 2002).

    >>> abs(expm1_scalar(1e-10) - 1.00000000005e-10) < 1e-25
    True
    """
    u = exp_scalar(x)
    if u == 1.0:
        return x
    um1 = u - 1.0
    if um1 == -1.0:
        return -1.0
    if u == math.inf:
        return u
    return um1 * x / log_scalar(u)


@njit(**_JIT)
def power_scalar(x: float, y: float) -> float:
    """``x^y`` for ``x >= 0`` as ``e^(y log x)`` (NaN for ``x < 0``; ``0^0 = 1``).

    The relative error is about ``|y log x| 2^-53`` plus an ulp: a few ulps for the model's
    arguments (forces of 10^5 and Weiss exponents in [0, 1]). Use :func:`powi_scalar` for
    whole exponents.

    >>> power_scalar(4.0, 0.5)
    2.0
    """
    if x == 0.0:
        return 1.0 if y == 0.0 else (0.0 if y > 0.0 else math.inf)
    return exp_scalar(y * log_scalar(x))


@njit(**_JIT)
def powi_scalar(x: float, n: int) -> float:
    """``x^n`` for a whole ``n`` by repeated squaring (exact while the products are).

    >>> powi_scalar(0.5, 3), powi_scalar(2.0, -2)
    (0.125, 0.25)
    """
    m = -n if n < 0 else n
    out, base = 1.0, x
    while m:
        if m & 1:
            out *= base
        base *= base
        m >>= 1
    return 1.0 / out if n < 0 else out


@njit(**_JIT)
def tanh_scalar(x: float) -> float:
    """Hyperbolic tangent ``e / (e + 2)`` with ``e = expm1(2|x|)``, signed; ``+-1`` past 22.

    >>> tanh_scalar(0.0), tanh_scalar(30.0)
    (0.0, 1.0)
    """
    ax = abs(x)
    if ax > 22.0:
        return math.copysign(1.0, x)
    e = expm1_scalar(2.0 * ax)
    return math.copysign(e / (e + 2.0), x)


@njit(**_JIT)
def expit_scalar(x: float) -> float:
    """The logistic function ``1 / (1 + e^-x)``, without overflow for either sign.

    >>> expit_scalar(0.0)
    0.5
    """
    if x >= 0.0:
        return 1.0 / (1.0 + exp_scalar(-x))
    e = exp_scalar(x)
    return e / (1.0 + e)


@njit(**_JIT)
def _horner8(c0, c1, c2, c3, c4, c5, c6, c7, r):
    return (((((((c7 * r + c6) * r + c5) * r + c4) * r + c3) * r + c2) * r + c1) * r + c0)


@njit(**_JIT)
def ndtri_scalar(p: float) -> float:
    """The standard normal quantile ``Phi^-1(p)``, Wichura's AS 241 (PPND16, about 1e-16).

    Three rational approximations of degree 7: for ``|p - 1/2| <= 0.425`` in
    ``r = 0.180625 - (p - 1/2)^2``, otherwise in ``r = sqrt(-log(min(p, 1 - p)))`` below and
    above 5. ``ndtri(0) = -inf``, ``ndtri(1) = inf``.

    >>> round(ndtri_scalar(0.975), 9)
    1.959963985
    """
    if p != p or p < 0.0 or p > 1.0:
        return math.nan
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _horner8(
            3.3871328727963666080e0, 1.3314166789178437745e+2, 1.9715909503065514427e+3,
            1.3731693765509461125e+4, 4.5921953931549871457e+4, 6.7265770927008700853e+4,
            3.3430575583588128105e+4, 2.5090809287301226727e+3, r) / _horner8(
            1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2, 5.3941960214247511077e+3,
            2.1213794301586595867e+4, 3.9307895800092710610e+4, 2.8729085735721942674e+4,
            5.2264952788528545610e+3, r)
    r = p if q < 0.0 else 1.0 - p
    if r == 0.0:
        return -math.inf if q < 0.0 else math.inf
    r = math.sqrt(-log_scalar(r))
    if r <= 5.0:
        r -= 1.6
        value = _horner8(
            1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
            3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
            2.27238449892691845833e-2, 7.74545014278341407640e-4, r) / _horner8(
            1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
            1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
            1.05075007164441684324e-9, r)
    else:
        r -= 5.0
        value = _horner8(
            6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0,
            2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
            2.71155556874348757815e-5, 2.01033439929228813265e-7, r) / _horner8(
            1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
            7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
            2.04426310338993978564e-15, r)
    return -value if q < 0.0 else value


@njit(**_JIT)
def _erf_small(x):
    """``erf x`` for ``|x| <= 1``: ``x T(x^2) / U(x^2)`` (Cephes ``ndtr.c``)."""
    z = x * x
    t = ((((9.60497373987051638749e0 * z + 9.00260197203842689217e1) * z
           + 2.23200534594684319226e3) * z + 7.00332514112805075473e3) * z
         + 5.55923013010394962768e4)
    u = (((((z + 3.35617141647503099647e1) * z + 5.21357949780152679795e2) * z
           + 4.59432382970980127987e3) * z + 2.26290000613890934246e4) * z
         + 4.92673942608635921086e4)
    return x * t / u


@njit(**_JIT)
def _erfc_large(x):
    """``erfc x`` for ``x >= 1``: ``e^(-x^2) P(x) / Q(x)`` (below 8) or ``R(x) / S(x)``."""
    z = exp_scalar(-x * x)
    if x < 8.0:
        p = ((((((((2.46196981473530512524e-10 * x + 5.64189564831068821977e-1) * x
                   + 7.46321056442269912687e0) * x + 4.86371970985681366614e1) * x
                 + 1.96520832956077098242e2) * x + 5.26445194995477358631e2) * x
               + 9.34528527171957607540e2) * x + 1.02755188689515710272e3) * x
             + 5.57535335369399327526e2)
        q = ((((((((x + 1.32281951154744992508e1) * x + 8.67072140885989742329e1) * x
                  + 3.54937778887819891062e2) * x + 9.75708501743205489753e2) * x
                + 1.82390916687909736289e3) * x + 2.24633760818710981792e3) * x
              + 1.65666309194161350182e3) * x + 5.57535340817727675546e2)
    else:
        p = (((((5.64189583547755073984e-1 * x + 1.27536670759978104416e0) * x
                + 5.01905042251180477414e0) * x + 6.16021097993053585195e0) * x
              + 7.40974269950448939160e0) * x + 2.97886665372100240670e0)
        q = ((((((x + 2.26052863220117276590e0) * x + 9.39603524938001434673e0) * x
                + 1.20489539808096656605e1) * x + 1.70814450747565897222e1) * x
              + 9.60896809063285878198e0) * x + 3.36907645100081516050e0)
    return z * p / q


@njit(**_JIT)
def ndtr_scalar(a: float) -> float:
    """The standard normal distribution function ``Phi(a)`` (Cephes ``ndtr``).

    ``Phi(a) = (1 + erf(a / sqrt 2)) / 2`` for ``|a| < 1``, else ``erfc(|a| / sqrt 2) / 2``
    (reflected for ``a > 0``), with ``erfc = 1 - erf`` below one and Cephes' rational
    approximations of ``erf`` and ``erfc``.

    >>> round(ndtr_scalar(1.959963984540054), 12)
    0.975
    """
    if a != a:
        return a
    x = a * 0.7071067811865476
    z = abs(x)
    if z < 0.7071067811865476:
        return 0.5 + 0.5 * _erf_small(x)
    if z < 1.0:
        y = 0.5 * (1.0 - _erf_small(z))
    else:
        y = 0.5 * _erfc_large(z) if z < 27.0 else 0.0
    return 1.0 - y if x > 0.0 else y


_S1, _S2, _S3 = -1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04
_S4, _S5, _S6 = 2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10
_C1, _C2, _C3 = 4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05
_C4, _C5, _C6 = -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11
_PIO2_1 = 1.57079632673412561417e+00  # first 33 bits of pi/2: n * _PIO2_1 is exact
_PIO2_1T = 6.07710050650619224932e-11  # pi/2 - _PIO2_1
_TRIG_MAX = 2.0**19 * _PIO2_1  # the two-part reduction below is accurate up to here


@njit(**_JIT)
def _kernel_sin(x, y):
    """``sin(x + y)`` for ``|x| <= pi/4``, ``y`` the tail of ``x`` (fdlibm ``k_sin.c``)."""
    z = x * x
    w = z * z
    r = _S2 + z * (_S3 + z * _S4) + z * w * (_S5 + z * _S6)
    v = z * x
    if y == 0.0:
        return x + v * (_S1 + z * r)
    return x - ((z * (0.5 * y - v * r) - y) - v * _S1)


@njit(**_JIT)
def _kernel_cos(x, y):
    """``cos(x + y)`` for ``|x| <= pi/4`` (fdlibm ``k_cos.c``, FreeBSD's revision)."""
    z = x * x
    w = z * z
    r = z * (_C1 + z * (_C2 + z * _C3)) + w * w * (_C4 + z * (_C5 + z * _C6))
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + (z * r - x * y))


@njit(**_JIT)
def _reduce_pio2(x):
    """``(n, y0, y1)`` with ``x = n pi/2 + y0 + y1``, ``|y0| <= pi/4`` (fdlibm, medium case)."""
    if abs(x) <= 0.7853981633974483:
        return 0, x, 0.0
    n = int(x * 0.6366197723675814 + (0.5 if x > 0 else -0.5))
    fn = float(n)
    r = x - fn * _PIO2_1
    w = fn * _PIO2_1T
    y0 = r - w
    return n, y0, (r - y0) - w


@njit(**_JIT)
def _sin_quadrant(x, shift):
    """``sin(x + shift pi/2)`` for ``|x| <= 2^19 pi/2``: the kernel of ``x``'s quadrant."""
    if not abs(x) <= _TRIG_MAX:
        return math.nan
    n, y0, y1 = _reduce_pio2(x)
    q = (n + shift) & 3
    value = _kernel_sin(y0, y1) if q % 2 == 0 else _kernel_cos(y0, y1)
    return value if q < 2 else -value


@njit(**_JIT)
def sin_scalar(x: float) -> float:
    """Sine for ``|x| <= 2^19 pi/2`` (NaN beyond): reduced by ``pi/2``, fdlibm's kernels.

    >>> sin_scalar(0.0), round(sin_scalar(math.pi / 6), 15)
    (0.0, 0.5)
    """
    return _sin_quadrant(x, 0)


@njit(**_JIT)
def cos_scalar(x: float) -> float:
    """Cosine for ``|x| <= 2^19 pi/2`` (NaN beyond): ``cos x = sin(x + pi/2)``, one quadrant on.

    >>> cos_scalar(0.0), round(cos_scalar(math.pi / 3), 15)
    (1.0, 0.5)
    """
    return _sin_quadrant(x, 1)


_PIO2_HI, _PIO2_LO = 1.57079632679489655800e+00, 6.12323399573676603587e-17


@njit(**_JIT)
def _asin_ratio(t):
    """``(asin(x) - x) / x^3`` at ``t = x^2 <= 1/4``: fdlibm's rational minimax ``p(t)/q(t)``."""
    p = t * (1.66666666666666657415e-01 + t * (-3.25565818622400915405e-01 + t * (
        2.01212532134862925881e-01 + t * (-4.00555345006794114027e-02 + t * (
            7.91534994289814532176e-04 + t * 3.47933107596021167570e-05)))))
    q = 1.0 + t * (-2.40339491173441421878e+00 + t * (2.02094576023350569471e+00 + t * (
        -6.88283971605453293030e-01 + t * 7.70381505559019352791e-02)))
    return p / q


@njit(**_JIT)
def arcsin_scalar(x: float) -> float:
    """Inverse sine: ``x + x^3 R(x^2)`` below 1/2, else ``pi/2 - 2 asin(sqrt((1 - |x|)/2))``.

    >>> round(arcsin_scalar(0.5), 15), arcsin_scalar(1.0) == math.pi / 2
    (0.523598775598299, True)
    """
    ax = abs(x)
    if not ax <= 1.0:
        return math.nan
    if ax < 0.5:
        if ax < 2.0**-27:
            return x
        return x + x * _asin_ratio(x * x)
    z = (1.0 - ax) * 0.5
    s = math.sqrt(z)
    return math.copysign(_PIO2_HI - (2.0 * (s + s * _asin_ratio(z)) - _PIO2_LO), x)


_UNARY = ("exp", "log", "expm1", "tanh", "expit", "ndtri", "ndtr", "sin", "cos", "arcsin")
_UNARY_SCALARS = (exp_scalar, log_scalar, expm1_scalar, tanh_scalar, expit_scalar, ndtri_scalar,
                  ndtr_scalar, sin_scalar, cos_scalar, arcsin_scalar)
warnings.filterwarnings("ignore", "First-class function type feature is experimental",
                        NumbaExperimentalFeatureWarning)  # the unrolled tuple below; it works


@njit(**_JIT)
def _map_unary(code, x):
    """The scalar function numbered ``code`` in ``_UNARY`` at each element of the 1-d ``x``."""
    out = np.empty_like(x)
    k = 0
    for scalar in literal_unroll(_UNARY_SCALARS):
        if k == code:
            for i in range(x.size):
                out[i] = scalar(x[i])
        k += 1
    return out


@njit(**_JIT)
def _map_power(x, y, whole):
    """``x^y`` at each pair of the 1-d ``x``, ``y`` (by :func:`powi_scalar` if ``whole``)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = powi_scalar(x[i], int(y[i])) if whole else power_scalar(x[i], y[i])
    return out


def _flat(a):
    return np.ascontiguousarray(a.reshape(-1))


def _unary(name):
    code = _UNARY.index(name)

    def ufunc(x):
        a = np.asarray(x, dtype=np.float64)
        return _map_unary(code, _flat(a)).reshape(a.shape)[()]

    ufunc.__name__ = ufunc.__qualname__ = name
    ufunc.__doc__ = (f"``{name}`` of each element of an array (any shape; a scalar gives a "
                     f"NumPy scalar), by :func:`{name}_scalar`.")
    return ufunc


exp, log, expm1, tanh, expit, ndtri, ndtr, sin, cos, arcsin = map(_unary, _UNARY)


def power(x, y):
    """``x^y`` elementwise for ``x >= 0`` (arrays broadcast), by :func:`power_scalar`."""
    a, b = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return _map_power(_flat(a), _flat(b), False).reshape(a.shape)[()]


def powi(x, n):
    """``x^n`` elementwise for whole ``n`` (arrays broadcast), by :func:`powi_scalar`."""
    a, b = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(n, dtype=np.float64))
    if not np.array_equal(b, np.round(b)):
        raise ValueError("powi needs whole exponents")
    return _map_power(_flat(a), _flat(b), True).reshape(a.shape)[()]


def warm_up() -> None:
    """Compile the array functions, or load them from Numba's cache (see ``compiled``)."""
    exp(0.0)
    power(1.0, 1.0)
    powi(1.0, 1)
