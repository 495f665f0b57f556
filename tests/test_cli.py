"""The ``cnplans`` command line imports only the module of the sub-command it runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cnplans.__main__ import COMMANDS, build_parser

PROBE = """
import json, sys
from cnplans import __main__ as cli
try:
    code = cli.main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
modules = [module for module, _ in cli.COMMANDS.values() if module in sys.modules]
print(json.dumps({"code": code, "modules": modules, "pandas": "pandas" in sys.modules}))
"""


def probe(*argv: str) -> tuple[dict[str, object], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True, timeout=60
    )
    *printed, last = done.stdout.strip().splitlines()
    return json.loads(last), "\n".join(printed)


def test_help_lists_every_command_without_importing_any() -> None:
    result, printed = probe("--help")
    assert result == {"code": 0, "modules": [], "pandas": False}
    for name in COMMANDS:
        assert name in printed


def test_a_command_imports_only_its_own_module() -> None:
    result, printed = probe("new-source", "--help")
    assert result["code"] == 0
    assert result["modules"] == [COMMANDS["new-source"][0]]
    assert "usage: cnplans new-source" in printed
    assert "--id SLUG" in printed  # its own options, from its module


def test_an_unknown_command_is_refused_by_name() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cnplans", "bogus"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "invalid choice: 'bogus'" in done.stderr


def test_the_full_parser_still_knows_every_option() -> None:
    parser = build_parser()  # every sub-command configured (used to check documented commands)
    args = parser.parse_args(["validate", "--format", "json", "datapackage.json"])
    assert args.format == "json"


def test_version_of_a_copy_without_metadata_or_data_is_unknown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of src/ that was never installed and has no datapackage.json beside it."""
    import importlib.metadata

    import cnplans
    from cnplans.datapackage import paths

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    def no_data() -> None:
        raise FileNotFoundError("cnplans cannot find its bundled data")

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    monkeypatch.setattr(paths, "bundled_root", no_data)
    monkeypatch.delitem(vars(cnplans), "__version__", raising=False)  # read it again
    try:
        with pytest.raises(SystemExit) as exit:
            build_parser().parse_args(["--version"])
    finally:
        vars(cnplans).pop("__version__", None)  # the real one is read again, or restored
    assert exit.value.code == 0
    assert capsys.readouterr().out == "cnplans unknown\n"
