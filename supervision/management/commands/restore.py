"""Restore a backup of `backup` into an empty database and an empty DJANGO_MEDIA_ROOT:
`restore <archive>`; `restore --check <archive>` only verifies it.

Every file is checked against the manifest's SHA-256 before anything is written: a damaged or
altered archive, a database that already has tables or a media folder that already has files is
refused and nothing changes. Then the database is loaded in one transaction, the files moved into
place, and every table counted against the manifest (supervision/backups.py).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from supervision import backups


class Command(BaseCommand):
    help = "Restore a backup (database and evidence files) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The archive written by `manage.py backup`.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only verify the archive against its manifest; write nothing.",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The empty database to restore into."
        )

    def handle(self, *args, **options) -> None:
        archive = Path(options["archive"])
        try:
            if options["check"]:
                manifest = backups.verify_archive(archive)
            else:
                result = backups.restore_backup(
                    archive, connections[options["database"]], Path(settings.MEDIA_ROOT)
                )
                manifest = result.manifest
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        files = manifest["files"]
        made = f"made {manifest['created_at']} from {manifest['database']['engine']}"
        if options["check"]:
            if options["verbosity"]:
                self.stdout.write(
                    f"{archive} is complete ({made}): the database and {len(files):,} files "
                    "match their SHA-256 in the manifest."
                )
            return
        if options["verbosity"]:
            self.stdout.write(f"Restored {archive} ({made}).")
            self.stdout.write(
                f"  database: {len(manifest['tables']):,} tables, {result.rows:,} rows"
            )
            self.stdout.write(
                f"  files: {result.files:,} into {settings.MEDIA_ROOT}, each checked against "
                f"its SHA-256; {result.checked:,} also against the SHA-256 its row records"
            )
            if result.unapplied:
                self.stdout.write(
                    f"  {len(result.unapplied):,} migrations of this release are newer than the "
                    "backup: run `python manage.py migrate`."
                )
        if result.problems:
            for problem in result.problems[:20]:
                self.stderr.write(f"  {problem}")
            raise CommandError(
                f"Restored, but {len(result.problems):,} differences from the backup were found."
            )
