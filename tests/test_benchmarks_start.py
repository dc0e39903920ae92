"""The benchmarks are not run by the suite (BENCHMARKS.md), but they borrow its browser and wizard helpers:
a helper that needs Django set up at import would stop them before their first figure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script", ["load_bench", "picker_bench", "wizard_cost", "admin_bench", "api_bench"])
def test_each_benchmark_imports_as_its_command_starts_it(script):
    # As `.venv/bin/python bench/<script>.py` starts: bench/ first on the path, no DJANGO_SETTINGS_MODULE,
    # nothing set up; everything but main().
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = f"import runpy, sys; sys.path[0] = 'bench'; runpy.run_path('bench/{script}.py', run_name='imported')"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
