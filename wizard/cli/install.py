"""The non-interactive install: settings from answers file, environment and flags; plain output."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from core.config.answers import load_answers
from core.config.credentials import WEBHOOK_SECRET_VARIABLE, credentials_from
from core.config.settings import InstallSettings, SettingsBuilder
from core.errors import WizardError, print_error
from core.operations.install import Installer, InstallFailed
from wizard.cli.render import ConsoleReporter, print_summary


def build_settings(answers: str | None, flags: Mapping[str, object], environ: Mapping[str, str]
                   ) -> tuple[InstallSettings, dict[str, str]]:
    """Defaults < answers file < environment < flags. Returns the settings and ${VAR} secrets."""
    builder = SettingsBuilder()
    secrets: dict[str, str] = {}
    if answers:
        values, secrets = load_answers(Path(answers), environ)
        builder.apply(values, f"answers file {answers}")
    builder.apply_environment(environ)
    builder.apply(dict(flags), "command line")
    return builder.build(), secrets


def run_console_install(answers: str | None, flags: Mapping[str, object], environ: Mapping[str, str],
                        out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        settings, secrets = build_settings(answers, flags, environ)
        credentials = credentials_from(environ, secrets)
        reporter = ConsoleReporter(out)
        print("Plan:" if settings.dry_run else "Installing:", file=out, flush=True)
        installer = Installer(settings, credentials, reporter,
                              webhook_secret=environ.get(WEBHOOK_SECRET_VARIABLE, ""))
        result = installer.run()
        print_summary(result, settings.dry_run, out)
        return 0
    except InstallFailed as error:
        print_error(error, err)
        if error.completed:
            print("Done before the failure (kept; a re-run continues from here):", file=err)
            for step in error.completed:
                print(f"  - {step}", file=err)
        print("Fix the problem above and run the same command again.", file=err)
        return error.exit_code
    except WizardError as error:  # InputError too: every problem, exit 2
        return print_error(error, err)
