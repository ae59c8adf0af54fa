"""The installed wheel finds its template and Port resources without the checkout, and a plain
install leaves the sandbox's moto out (it is the `sandbox` extra)."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(600)
def test_wheel_installs_and_runs_from_another_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    wheel = next(dist.glob("port_aws_wizard-*.whl"))

    env_dir = tmp_path / "fresh"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True,
                   capture_output=True, timeout=500)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = env_dir / "bin" / "port-aws-wizard"

    helped = subprocess.run([str(script), "--help"], cwd=elsewhere, capture_output=True, text=True,
                            timeout=60)
    assert helped.returncode == 0
    assert "--event-sources" in helped.stdout

    planned = subprocess.run([str(script), "--dry-run", "--port-only"], cwd=elsewhere, capture_output=True,
                             text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert planned.returncode == 0, planned.stderr
    assert "blueprint    awsAccount" in planned.stdout  # read from the wheel's .port/resources
    assert "webhook      aws_ingest" in planned.stdout
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True,
                               text=True, timeout=60, check=True).stdout.lower()
    for left_out in ("moto==", "flask==", "cfn-lint==", "sympy=="):  # moto[server] and what it brings
        assert left_out not in installed, installed
    sandbox = subprocess.run([str(script), "sandbox"], cwd=elsewhere, capture_output=True, text=True,
                             timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert (sandbox.returncode, sandbox.stdout) == (2, "")
    assert sandbox.stderr == ("error: the sandbox needs moto, which a plain install leaves out: "
                              "pip install 'port-aws-wizard[sandbox]'\n")
    version = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("port-aws-wizard 0.1.0 ")

    located = subprocess.run(
        [str(python), "-c", "from core.resources import template_path; print(template_path())"],
        cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert str(env_dir) in located.stdout and "_data/cloudformation/aws-serverless.template" in located.stdout
