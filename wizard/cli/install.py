"""The non-interactive install: settings from answers file, environment and flags; console output."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from core.config.answers import load_answers
from core.config.credentials import WEBHOOK_SECRET_VARIABLE, credentials_from
from core.config.settings import InstallSettings, SettingsBuilder
from core.errors import WizardError
from core.operations.install import Installer, InstallFailed
from wizard.cli.documents import install_document
from wizard.cli.output import Output
from wizard.cli.render import ConsoleReporter, print_summary
from wizard.cli.style import join
from wizard.cli.verbose import verbose_calls


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
                        out: TextIO | None = None, err: TextIO | None = None,
                        output: Output | None = None) -> int:
    output = output or Output(out, err, environ)
    try:
        settings, secrets = build_settings(answers, flags, environ)
        credentials = credentials_from(environ, secrets)
        output.progress(join(("Plan:" if settings.dry_run else "Installing:", "heading")))
        installer = Installer(settings, credentials, ConsoleReporter(output),
                              webhook_secret=environ.get(WEBHOOK_SECRET_VARIABLE, ""))
        with verbose_calls(output):
            result = installer.run()
        print_summary(result, settings.dry_run, output)
        if output.json:
            output.document(install_document(result, settings))
        return 0
    except InstallFailed as error:
        code = output.fail(error, completed=list(error.completed))
        if error.completed:
            output.write("Done before the failure (kept; a re-run continues from here):", output.err)
            for step in error.completed:
                output.write(f"  - {step}", output.err)
        output.write("Fix the problem above and run the same command again.", output.err)
        return code
    except WizardError as error:  # InputError too: every problem, exit 2
        return output.fail(error)
