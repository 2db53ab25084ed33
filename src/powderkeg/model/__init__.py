"""The model: pure array code, one module per subsystem, composed by :mod:`powderkeg.model.step`.

Importing it first drops cached kernels compiled from other sources
(:mod:`powderkeg.model.kernel_cache`), before any kernel is loaded.
"""

from powderkeg.model.kernel_cache import clear_stale_kernels

clear_stale_kernels()
