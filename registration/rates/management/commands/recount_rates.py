from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registration.rates.tallies import tally_differences, tally_link_errors, tally_rebuild, tally_relink


class Command(BaseCommand):
    help = (
        "Recount the reporting figures of a year from the reports and rosters themselves and compare them "
        "with the tallies the pages read; check that each key's tally rows are linked year to year. "
        "Exits 1 on any difference; --fix links the rows again and rewrites the year's tallies."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="default: the current year")
        parser.add_argument("--fix", action="store_true", help="relink the rows, replace the year's tallies")

    def handle(self, *args, year=None, fix=False, **options):
        year = year or timezone.localdate().year
        link_errors = tally_link_errors()
        for kind, key, row_year, superseded_in, next_year in link_errors:
            self.stdout.write(
                f"{kind} {key if key is not None else '-'} row of {row_year}: superseded in {superseded_in or '-'}, "
                f"next row {next_year or '-'}"
            )
        differences = tally_differences(year)
        for kind, key, field, stored, recounted in differences:
            self.stdout.write(f"{kind} {key if key is not None else '-'} {field}: tally {stored}, recount {recounted}")
        if not differences and not link_errors:
            self.stdout.write(self.style.SUCCESS(f"{year}: the tallies equal a recount from scratch."))
            return
        summary = (
            f"{year}: {len(differences)} differences between the tallies and a recount, "
            f"{len(link_errors)} tally rows wrongly linked"
        )
        if fix:
            tally_relink()
            if differences:
                tally_rebuild(year)
            self.stdout.write(self.style.WARNING(f"{summary}; tallies rewritten."))
            return
        raise CommandError(f"{summary}.")
