"""The wheel carries the data: build it, install it in a fresh environment, load every table.

Runs offline: the wheel is built without build isolation (hatchling comes from the test
environment) and installed with ``--no-index --no-deps``; the loading script refuses any socket
connection.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from loader_fixtures import REPO

pytestmark = pytest.mark.slow

# Run inside the fresh environment, from a folder outside the repository.
LOAD_EVERY_TABLE = """
import json, socket, sys
from pathlib import Path

def refuse(*args, **kwargs):
    raise AssertionError("loading the bundled data tried to use the network")

socket.socket.connect = refuse
socket.create_connection = refuse

import pandas as pd
import cnplans
from cnplans.datapackage import paths
from cnplans.loader import loaded_dtype
from cnplans.datapackage.table_schema import TableSchema

root = paths.bundled_root()
report = {"package": cnplans.__file__, "root": str(root), "version": cnplans.__version__,
          "tables": {}}
for name, frame in cnplans.load_all().items():
    schema = TableSchema.from_path(root / "schemas" / f"{name}.json")
    assert list(frame.columns) == schema.field_names, name
    for field in schema.fields:
        expected = loaded_dtype(field)
        if isinstance(expected, pd.CategoricalDtype):
            assert list(frame[field.name].cat.categories) == field.enum, (name, field.name)
        else:
            assert frame[field.name].dtype == expected, (name, field.name)
    report["tables"][name] = len(frame)
print(json.dumps(report))
"""


def _build_wheel(dist: Path) -> Path:
    pytest.importorskip("hatchling", reason="building the wheel offline needs hatchling installed")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--quiet", "--wheel-dir", str(dist), str(REPO)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    (wheel,) = dist.glob("cnplans-*-py3-none-any.whl")
    return wheel


def _fresh_environment(folder: Path) -> Path:
    """A virtual environment that sees the test environment's dependencies, not its cnplans."""
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(folder)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The test interpreter may itself be a virtual environment, whose packages the new one's
    # system_site_packages does not reach. A plain path line adds them after the new
    # environment's own site-packages, without running their .pth files (so an editable
    # install of cnplans there stays invisible).
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "test-dependencies.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    return python


def test_wheel_carries_the_data_and_loads_offline_from_outside_the_checkout(
    tmp_path: Path,
) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(wheel) as zf:
        members = set(zf.namelist())
    assert "cnplans/data/datapackage.json" in members
    assert "cnplans/loader/releases.json" in members
    assert "cnplans/py.typed" in members
    for resource in descriptor["resources"]:
        assert f"cnplans/data/{resource['path']}" in members
        assert f"cnplans/data/{resource['schema']}" in members

    python = _fresh_environment(tmp_path / "env")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    # --ignore-installed: the test environment's own cnplans is visible through the .pth line and
    # would otherwise count as "already satisfied"; it is shadowed, never uninstalled.
    install += ["--no-deps", "--no-index", "--ignore-installed", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, text=True)

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    result = subprocess.run(
        [str(python), "-c", LOAD_EVERY_TABLE],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    installed = Path(report["package"]).resolve()
    assert (tmp_path / "env").resolve() in installed.parents, "cnplans came from the checkout"
    assert Path(report["root"]).resolve() == installed.parent / "data"
    assert report["version"] == descriptor["version"]
    assert list(report["tables"]) == [r["name"] for r in descriptor["resources"]]
    for resource in descriptor["resources"]:
        lines = (REPO / resource["path"]).read_text(encoding="utf-8").count("\n")
        assert 0 < report["tables"][resource["name"]] <= lines
