"""powderkeg: run, test and stress a strategic argument about a war.

The data flow is ``scenario file -> Scenario -> Model -> simulate -> xarray.Dataset
-> analysis -> presentation``; see ``docs/design/`` for the reasons behind each stage.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("powderkeg")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__", "load"]


def load(results_dir):
    """Open the results a ``powderkeg run`` wrote into ``results_dir`` as an ``xarray.Dataset``."""
    from powderkeg.results import load_results

    return load_results(results_dir)
