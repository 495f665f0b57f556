"""Frictionless' verdict on a package's descriptor and Table Schemas, as metadata only.

Standard library and frictionless only, so that it runs as a child process (:class:`Child`:
``python -I`` on this file) while the validator imports pandas and checks the tables: this
metadata check is about a quarter of a run (``benchmarks/real_package.py``), and nothing waits
for it. The child imports frictionless first, then reads its request on standard input.

The request is ``{"schemas": [[index, schema or null], ...], "package": descriptor}`` (the
descriptor without its schemas); the verdict, ``{"schemas": {index: [message, ...]}, "package":
[message, ...]}``, the package checked with each valid schema inlined and every other replaced
by an empty one, so that a broken schema is reported once.

>>> verdict = metadata_messages([[0, {"fields": [{"name": "a", "type": "nope"}]}]],
...     {"name": "p", "resources": [{"name": "r", "path": "r.csv"}]})
>>> verdict["schemas"]
{'0': ['Field is not valid: field type "nope" is not supported']}
>>> verdict["package"]
[]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

# The child: isolated, so that neither the current folder (a contribution's) nor PYTHON*
# variables can put code of theirs on its path; this file imports nothing of cnplans.
CHILD_COMMAND = (sys.executable, "-I", str(Path(__file__).resolve()))
DEADLINE_SECONDS = 60.0  # for the verdict, once the request is sent
MAX_VERDICT_BYTES = 16 * 1024 * 1024


def frictionless_errors(kind: str, descriptor: dict[str, Any]) -> list[str]:
    """Frictionless' messages for a ``"schema"`` or ``"package"`` descriptor, never raising."""
    import frictionless

    cls: Any = frictionless.Schema if kind == "schema" else frictionless.Package
    try:
        report = cls.validate_descriptor(descriptor)
    except Exception as error:  # frictionless raises for some malformed descriptors
        return [str(error)]
    return [str(error.message) for error in report.errors]


def metadata_messages(schemas: list[list[Any]], package: dict[str, Any]) -> dict[str, Any]:
    """The verdict on a request's schemas and package (see the module's docstring)."""
    verdict: dict[str, Any] = {"schemas": {}, "package": []}
    inlined: dict[int, dict[str, Any]] = {}
    for index, schema in schemas:
        if schema is None:
            continue
        messages = frictionless_errors("schema", schema)
        if messages:
            verdict["schemas"][str(index)] = messages
        else:
            inlined[int(index)] = schema
    resources = package.get("resources")
    if isinstance(resources, list):
        for index, resource in enumerate(resources):
            if isinstance(resource, dict):
                resource["schema"] = inlined.get(index, {"fields": []})
    verdict["package"] = frictionless_errors("package", package)
    return verdict


def valid_verdict(verdict: Any, indexes: set[int]) -> bool:
    """Whether ``verdict`` has the form of :func:`metadata_messages`' for these schemas."""
    if not isinstance(verdict, dict) or not isinstance(verdict.get("package"), list):
        return False
    schemas = verdict.get("schemas")
    return isinstance(schemas, dict) and all(
        index.isdigit() and int(index) in indexes and isinstance(messages, list)
        for index, messages in schemas.items()
    )


class Child:
    """The child process that finds a verdict; every failure of it means "no verdict".

    >>> child = Child(["python-that-does-not-exist"])
    >>> child.send({"schemas": [], "package": {}})
    >>> child.verdict() is None
    True
    """

    def __init__(self, command: Sequence[str] | None = None) -> None:
        """Start ``command`` (:data:`CHILD_COMMAND` unless given)."""
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None
        self._indexes: set[int] = set()
        self._sent = False
        try:
            self._output = tempfile.TemporaryFile()  # noqa: SIM115  # closed by stop()
            self._process = subprocess.Popen(
                command or CHILD_COMMAND,
                stdin=subprocess.PIPE,
                stdout=self._output,
                stderr=subprocess.DEVNULL,
            )
        except (OSError, ValueError):  # no interpreter to start, no temporary file
            self.stop()

    def send(self, request: dict[str, Any]) -> None:
        """Give the child its request (written meanwhile: it may still be importing)."""
        process = self._process
        if process is None or process.stdin is None or self._sent:
            return
        self._sent = True
        self._indexes = {int(index) for index, _ in request["schemas"]}
        data = json.dumps(request).encode("utf-8")
        stdin = process.stdin

        def write() -> None:
            try:
                with stdin:
                    stdin.write(data)
            except OSError:  # the child is gone: verdict() says so
                pass

        threading.Thread(target=write, daemon=True).start()

    def verdict(self, deadline_seconds: float | None = None) -> dict[str, Any] | None:
        """The verdict, or None when the child gave none (within ``deadline_seconds``, by
        default :data:`DEADLINE_SECONDS`, or of the right form)."""
        process, output = self._process, self._output
        if process is None or output is None or not self._sent:
            self.stop()
            return None
        try:
            code = process.wait(timeout=deadline_seconds or DEADLINE_SECONDS)
            output.seek(0)
            text = output.read(MAX_VERDICT_BYTES + 1)
            verdict = json.loads(text) if code == 0 and len(text) <= MAX_VERDICT_BYTES else None
        except (subprocess.TimeoutExpired, OSError, ValueError):
            verdict = None
        finally:
            self.stop()
        return verdict if valid_verdict(verdict, self._indexes) else None

    def stop(self) -> None:
        """End the child (when it still runs) and close its output."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            if self._process.stdin is not None and not self._sent:
                self._process.stdin.close()
            self._process = None
        if self._output is not None:
            self._output.close()
            self._output = None


def main() -> None:
    """Import frictionless, then read a request on standard input and write the verdict."""
    import frictionless  # noqa: F401  # before the request comes: the parent is busy meanwhile

    request = json.load(sys.stdin)
    json.dump(metadata_messages(request["schemas"], request["package"]), sys.stdout)


if __name__ == "__main__":
    main()
