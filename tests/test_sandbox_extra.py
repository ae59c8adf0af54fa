"""The sandbox is an optional extra: without moto (or with another version) it exits 2 in one line."""

from __future__ import annotations

from importlib import metadata

import pytest

from core.sandbox import availability
from wizard.cli import main as cli

HINT = "pip install 'port-aws-wizard[sandbox]'"


def fake_versions(monkeypatch: pytest.MonkeyPatch, versions: dict[str, str]) -> None:
    def version(name: str) -> str:
        if name not in versions:
            raise metadata.PackageNotFoundError(name)
        return versions[name]

    monkeypatch.setattr(availability.metadata, "version", version)


@pytest.mark.parametrize("argv", [["sandbox"], ["--sandbox"], ["sandbox", "--events", "1"]])
def test_without_moto_the_sandbox_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str],
                                                     argv: list[str]) -> None:
    fake_versions(monkeypatch, {})
    monkeypatch.setattr("wizard.cli.sandbox.run_headless", lambda *a, **k: pytest.fail("ran"))
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("error: the sandbox needs moto, which a plain install leaves out: "
                            f"{HINT}\n")


def test_an_unsupported_moto_version_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    fake_versions(monkeypatch, {"moto": "5.3.0", "flask": "3.1", "flask-cors": "6.0"})
    assert cli.main(["sandbox"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "supports moto 5.2.5 only, but moto 5.3.0 is installed" in err and HINT in err


def test_moto_without_its_server_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_versions(monkeypatch, {"moto": availability.PINNED_MOTO_VERSION, "flask": "3.1"})
    assert "flask-cors is missing" in (availability.sandbox_problem() or "")


def test_the_pinned_version_is_the_one_pyproject_installs() -> None:
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert f'sandbox = ["moto[server]=={availability.PINNED_MOTO_VERSION}"]' in pyproject
    assert availability.sandbox_problem() is None  # the dev environment has the extra


def test_the_emulator_and_the_sandbox_modules_import_without_moto() -> None:
    """Only moto_fidelity (and what imports it) needs moto; the CLI reaches it after the check."""
    import subprocess
    import sys

    probe = ("import sys\nclass Block:\n    def find_spec(self, name, path=None, target=None):\n"
             "        if name == 'moto' or name.startswith('moto.'):\n"
             "            raise ImportError('no moto')\n"
             "sys.meta_path.insert(0, Block())\n"
             "import core.emulator, core.sandbox.environment, core.sandbox.availability, wizard.cli.sandbox\n"
             "import wizard.cli.main, wizard.app\n"
             "e = core.emulator.PortEmulator('id', 'secret'); e.start(); e.stop()\n"
             "print('ok')")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
