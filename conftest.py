"""Collection rules for the whole tree: the dashboard's doctests need its optional extra."""

import importlib.util

# src/powderkeg/app/server.py imports Dash; without the extra "app" its doctests are skipped
# (tests/test_app.py skips itself the same way).
collect_ignore_glob = [] if importlib.util.find_spec("dash") else ["src/powderkeg/app/server.py"]
