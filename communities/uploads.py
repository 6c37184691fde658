"""Checks an uploaded spreadsheet passes before anything parses it (issue 19, finding 3: upload bombs).

An .xlsx file is a zip: 1.5 MB can unpack to gigabytes (one huge shared string took 24 s and 2.9 GB of a worker's
memory), and a file within every size limit can still hold more rows than one import should take. So, before
openpyxl sees a byte: the sum of the members' unpacked sizes, the shared-strings part's size and the number of rows
of every worksheet are checked against settings, and the file is refused with a message saying what to do.

The sizes checked are the ones the zip's directory declares. That is enough: Python's zipfile (which openpyxl
reads through) never returns more bytes than a member declares, and a member that unpacks to more fails its CRC
check, so a lying directory makes the file unreadable, not large. The rows are counted by streaming the
worksheets' XML through the decompressor in chunks, bounded by the declared sizes just checked.
"""

import re
import zipfile
from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _

MB = 1024 * 1024
MAX_MEMBERS = 2000  # an Excel workbook has a few dozen parts; thousands are an attack on the directory's parser
CHUNK = 1024 * 1024
# A <row> element, with or without a namespace prefix (some writers emit x:row).
ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
SHARED_STRINGS = re.compile(r"(^|/)sharedStrings\d*\.xml$", re.I)
WORKSHEET = re.compile(r"(^|/)worksheets/[^/]+\.xml$", re.I)


class UploadRefused(ValueError):
    """The file may not be parsed; str() is the message for the person who uploaded it."""


def _too_many_rows(limit: int) -> UploadRefused:
    return UploadRefused(
        _("The file has more than %(limit)s rows. Split it into files of at most %(limit)s rows each.")
        % {"limit": limit}
    )


def check_xlsx(data: bytes, *, max_rows: int) -> int:
    """Refuse a workbook that unpacks too large or holds too many rows; raises UploadRefused. Returns the rows of
    its largest sheet (header included), for a progress display.

    A file that is not a zip at all passes: the parser that follows reports it as unreadable.
    """
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0
    with archive:
        members = archive.infolist()
        unpacked_limit = settings.UPLOAD_MAX_UNPACKED_MB * MB
        strings_limit = settings.UPLOAD_MAX_SHARED_STRINGS_MB * MB
        too_large = UploadRefused(
            _(
                "The workbook unpacks to more than %(limit)s MB, far more than a spreadsheet of this kind needs. "
                "Open it in Excel, delete what is not needed (pictures, other sheets, very long cells), save it "
                "and upload it again, or split it into smaller files."
            )
            % {"limit": settings.UPLOAD_MAX_UNPACKED_MB}
        )
        if len(members) > MAX_MEMBERS or sum(member.file_size for member in members) > unpacked_limit:
            raise too_large
        for member in members:
            if SHARED_STRINGS.search(member.filename) and member.file_size > strings_limit:
                raise UploadRefused(
                    _(
                        "The workbook's text takes more than %(limit)s MB once unpacked, far more than a spreadsheet "
                        "of this kind needs. Check it for very long cells, or split it into smaller files."
                    )
                    % {"limit": settings.UPLOAD_MAX_SHARED_STRINGS_MB}
                )
        largest = 0
        for member in members:
            # The header is a row of the sheet too.
            rows = _count_rows(archive, member, stop_after=max_rows + 2) if WORKSHEET.search(member.filename) else 0
            if rows > max_rows + 1:
                raise _too_many_rows(max_rows)
            largest = max(largest, rows)
    return largest


def _count_rows(archive: zipfile.ZipFile, member: zipfile.ZipInfo, *, stop_after: int) -> int:
    """<row> elements in a worksheet's XML, read in chunks; stops counting once past `stop_after`."""
    count, tail = 0, b""
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(CHUNK):
                window = tail + chunk
                # A tag split across two chunks is found in the next window; one wholly inside the kept tail
                # was counted already, so only matches that end in the new chunk count.
                count += sum(1 for match in ROW_TAG.finditer(window) if match.end() > len(tail))
                if count >= stop_after:
                    return count
                tail = window[-16:]
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
        return count  # unreadable: the parser that follows says so
    return count


def check_csv(data: bytes, *, max_rows: int) -> int:
    """Refuse a text file with more lines than rows allowed (the header counts as one); raises UploadRefused.
    Returns its lines."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines > max_rows + 1:
        raise _too_many_rows(max_rows)
    return lines
