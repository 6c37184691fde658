"""manage.py roster_import --unit UNITCODE FILE: load a unit's roster (应报到名单) from .xlsx or CSV, all or nothing."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from communities.models import Unit
from registration.roster import roster_import_file


class Command(BaseCommand):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # argparse needs plain strings, so the help is translated when the command is built, not at import.
        self.help = gettext(
            "Import a roster file (.xlsx or CSV) for one unit. Every row is checked first; if any row is wrong, "
            "every error is printed and nothing is saved."
        )

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, metavar="UNITCODE", help=gettext("The unit's code."))
        parser.add_argument("file", metavar="FILE", help=gettext("The .xlsx or CSV file to import."))

    def handle(self, *args, unit, file, **options):
        unit_obj = Unit.objects.filter(code=unit).first()
        if unit_obj is None:
            raise CommandError(gettext("No unit has the code %(code)s.") % {"code": unit})
        try:
            with open(file, "rb") as uploaded_file:
                result = roster_import_file(unit=unit_obj, uploaded_file=uploaded_file)
        except OSError as error:
            raise CommandError(
                gettext("Cannot read %(file)s: %(reason)s") % {"file": file, "reason": error.strerror}
            ) from error

        if not result.ok:
            for error in result.errors:
                self.stderr.write(self._describe(error))
            raise CommandError(
                gettext("%(count)s error(s) in %(file)s; nothing was saved.")
                % {"count": len(result.errors), "file": file}
            )
        self.stdout.write(
            self.style.SUCCESS(
                gettext("Roster of %(unit)s imported: %(created)s added, %(updated)s updated.")
                % {"unit": unit_obj.name, "created": result.created, "updated": result.updated}
            )
        )

    @staticmethod
    def _describe(error) -> str:
        if not error.row:
            return gettext("File: %(message)s") % {"message": error.message}
        if not error.column:
            return gettext("Row %(row)s: %(message)s") % {"row": error.row, "message": error.message}
        return gettext("Row %(row)s, %(column)s: %(message)s") % {
            "row": error.row,
            "column": error.column,
            "message": error.message,
        }
