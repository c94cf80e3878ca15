"""The floor plan (docs/architecture.md): every import runs down, checked by import-linter's contracts in
pyproject.toml. A failure names the import that runs up or closes a circle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports() -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(script), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_every_import_runs_down_the_floors():
    result = lint_imports()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_an_import_that_runs_up_is_named(tmp_path):
    """The contracts are not decorative: in a copy of the floors (empty packages, the same pyproject contracts),
    a storage module that imports the console breaks them, and the failure names the import. The tree is made
    in tmp_path, so a run beside this one never sees the probe."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    for package in config["root_packages"]:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "web" / "app.py").write_text("")
    (tmp_path / "storage" / "probe.py").write_text("import web.app  # runs up: storage must not import web\n")
    lines = ["[importlinter]", "root_packages =", *[f"    {p}" for p in config["root_packages"]]]
    for contract in config["contracts"]:
        lines.append(f"[importlinter:contract:{contract['id']}]")
        for key, value in contract.items():
            if key == "id":
                continue
            lines += [f"{key} ="] + [f"    {v}" for v in value] if isinstance(value, list) else [f"{key} = {value}"]
    (tmp_path / ".importlinter").write_text("\n".join(lines) + "\n")
    script = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(script), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0, result.stdout
    assert "storage.probe -> web.app" in result.stdout
