"""powderkeg: run, test and stress a strategic argument about a war.

The data flow is ``scenario file -> Scenario -> Model -> simulate -> xarray.Dataset
-> analysis -> presentation``; see ``docs/design/`` for the reasons behind each stage.
"""

__all__ = ["__version__", "load"]


def __getattr__(name: str):
    """``__version__``, read from the installed package's metadata on first use (importing
    ``importlib.metadata`` costs more than the rest of ``powderkeg --help``)."""
    if name != "__version__":
        raise AttributeError(f"module 'powderkeg' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("powderkeg")
    except PackageNotFoundError:  # running from a source tree without installation
        value = "0.0.0"
    globals()["__version__"] = value
    return value


def load(results_dir):
    """Open the results a ``powderkeg run`` wrote into ``results_dir`` as an ``xarray.Dataset``."""
    from powderkeg.results import load_results

    return load_results(results_dir)
