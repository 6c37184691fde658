from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registration.tallies import tally_differences, tally_rebuild


class Command(BaseCommand):
    help = (
        "Recount the reporting figures of a year from the reports and rosters themselves and compare them "
        "with the tallies the pages read. Exits 1 when they differ; --fix rewrites the year's tallies."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="default: the current year")
        parser.add_argument("--fix", action="store_true", help="replace the year's tallies with the recount")

    def handle(self, *args, year=None, fix=False, **options):
        year = year or timezone.localdate().year
        differences = tally_differences(year)
        for kind, key, field, stored, recounted in differences:
            self.stdout.write(f"{kind} {key if key is not None else '-'} {field}: tally {stored}, recount {recounted}")
        if not differences:
            self.stdout.write(self.style.SUCCESS(f"{year}: the tallies equal a recount from scratch."))
            return
        if fix:
            tally_rebuild(year)
            self.stdout.write(self.style.WARNING(f"{year}: {len(differences)} differences; tallies rewritten."))
            return
        raise CommandError(f"{year}: {len(differences)} differences between the tallies and a recount.")
