"""The kernel cache follows the sources: an edit of any module drops every cached kernel."""

from powderkeg.model.kernel_cache import (
    STAMP,
    clear_stale_kernels,
    kernels_cached,
    sources_digest,
)


def _package(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "__pycache__").mkdir(parents=True)
    (pkg / "callee.py").write_text("def f():\n    return 1\n")
    (pkg / "caller.py").write_text("def g():\n    return 2\n")
    return pkg


def _cached(pkg):
    for name in ("caller.g-1.py311.nbi", "caller.g-1.py311.1.nbc"):
        (pkg / "__pycache__" / name).write_bytes(b"machine code")
    return sorted(p.name for p in (pkg / "__pycache__").glob("*.nb?"))


def test_a_cache_without_a_stamp_is_dropped_and_stamped(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    pkg = _package(tmp_path)
    _cached(pkg)
    clear_stale_kernels(pkg)
    assert list((pkg / "__pycache__").glob("*.nb?")) == []
    assert (pkg / "__pycache__" / STAMP).read_text() == sources_digest(pkg)


def test_the_same_sources_keep_the_cache_and_an_edit_of_another_module_drops_it(
        tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    pkg = _package(tmp_path)
    clear_stale_kernels(pkg)
    kept = _cached(pkg)
    clear_stale_kernels(pkg)
    assert sorted(p.name for p in (pkg / "__pycache__").glob("*.nb?")) == kept
    (pkg / "callee.py").write_text("def f():\n    return 3\n")  # caller.py is unchanged
    clear_stale_kernels(pkg)
    assert list((pkg / "__pycache__").glob("*.nb?")) == []


def test_a_user_given_cache_directory_is_kept_in_step_too(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    pkg = _package(tmp_path)
    clear_stale_kernels(pkg)
    (stamped,) = (tmp_path / "cache").iterdir()
    assert stamped.name.startswith("pkg_") and (stamped / STAMP).read_text() == sources_digest(pkg)


def test_a_cache_is_seen_as_cold_until_it_holds_a_kernel_and_after_an_edit(
        tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    pkg = _package(tmp_path)
    clear_stale_kernels(pkg)
    assert not kernels_cached(pkg)
    _cached(pkg)
    assert kernels_cached(pkg)
    (pkg / "callee.py").write_text("def f():\n    return 3\n")
    clear_stale_kernels(pkg)
    assert not kernels_cached(pkg)
