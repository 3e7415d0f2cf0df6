"""Back up the database and the evidence files together, while the application runs:
`backup` writes var/backups/<UTC time>.tar (`--output` names another file or folder).

The database is snapshotted first (SQLite's backup API; pg_dump of a transaction snapshot), the
files of DJANGO_MEDIA_ROOT copied after, with a manifest of every table's rows and every file's
SHA-256 (supervision/backups.py). Exits with 1 when files the database names are missing or
differ from their recorded SHA-256: the archive is written all the same, the best copy there is.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from supervision import backups


class Command(BaseCommand):
    help = "Back up the database and the evidence files into one archive, online."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help="The archive to write, or an existing folder for <time>.tar "
            "(default: var/backups/ in DJANGO_DATA_DIR).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to back up.")

    def handle(self, *args, **options) -> None:
        output = Path(options["output"] or Path(settings.DATA_DIR) / "backups")
        if output.is_dir() or not output.suffix:
            output = backups.default_archive_path(output)
        try:
            result = backups.write_backup(
                connections[options["database"]], Path(settings.MEDIA_ROOT), output
            )
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = result.manifest
        files = manifest["files"]
        referenced = sum(1 for item in files if item["referenced"])
        if options["verbosity"]:
            self.stdout.write(f"Backup written: {result.archive}")
            self.stdout.write(
                f"  database: {manifest['database']['engine']}, "
                f"{len(manifest['tables']):,} tables, {sum(manifest['tables'].values()):,} rows"
            )
            self.stdout.write(
                f"  files: {len(files):,} ({referenced:,} named by the database, "
                f"{len(files) - referenced:,} others), {sum(i['size'] for i in files):,} bytes"
            )
        if result.problems:
            for problem in result.problems[:20]:
                self.stderr.write(f"  {problem}")
            raise CommandError(
                f"The archive was written, but {len(result.problems):,} files the database names "
                "are missing from DJANGO_MEDIA_ROOT or differ from their recorded SHA-256 "
                "(listed in the manifest's missing and mismatched)."
            )
