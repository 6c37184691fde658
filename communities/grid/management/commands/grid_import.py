"""manage.py grid_import --community CODE FILE: load a community's areas and buildings from .xlsx, all or nothing."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from communities.grid.importing import grid_import_file
from communities.models import Community


class Command(BaseCommand):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.help = gettext(
            "Import a community's areas and buildings from an .xlsx file with the columns 网格, 楼栋, 地址, 户数. "
            "If any row is wrong, every error is printed and nothing is saved."
        )

    def add_arguments(self, parser):
        parser.add_argument("--community", required=True, metavar="CODE", help=gettext("The community's code."))
        parser.add_argument("file", metavar="FILE", help=gettext("The .xlsx file to import."))

    def handle(self, *args, community, file, **options):
        community_obj = Community.objects.filter(code=community).first()
        if community_obj is None:
            raise CommandError(gettext("No community has the code %(code)s.") % {"code": community})
        try:
            with open(file, "rb") as uploaded_file:
                result = grid_import_file(community=community_obj, uploaded_file=uploaded_file)
        except OSError as error:
            raise CommandError(
                gettext("Cannot read %(file)s: %(reason)s") % {"file": file, "reason": error.strerror}
            ) from error
        if not result.ok:
            for row, message in result.errors:
                self.stderr.write(gettext("Row %(row)s: %(message)s") % {"row": row, "message": message}
                                  if row else message)
            raise CommandError(gettext("%(count)s error(s) in %(file)s; nothing was saved.")
                               % {"count": len(result.errors), "file": file})
        self.stdout.write(self.style.SUCCESS(
            gettext("%(community)s: %(grids)s areas added, %(created)s buildings added, %(updated)s updated.")
            % {"community": community_obj.name, "grids": result.grids_created, "created": result.buildings_created,
               "updated": result.buildings_updated}
        ))
