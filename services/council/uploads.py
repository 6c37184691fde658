"""Progress photos: checked by what they are, not by what they are called, before anything is stored.

A file is taken only when Pillow recognises it as a JPEG, PNG or WebP image (a renamed script, a PDF or a truncated
picture is refused) and it is no bigger than COUNCIL_PHOTO_MAX_BYTES. It is stored under a random name with the
extension of the format found, never the uploader's name (services.council.models.PrivateStorage)."""

import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from .conf import setting

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


def check_photo(upload: UploadedFile) -> tuple[str, str]:
    """(content type, extension) of an acceptable photo; raises ValidationError naming the file otherwise."""
    limit = setting("COUNCIL_PHOTO_MAX_BYTES")
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is too big: at most %(mb)s MB a photo.") % {"name": upload.name, "mb": limit // (1024 * 1024)}
        )
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image.verify()  # reads the whole file: a truncated or forged picture fails here
                found = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError):
        found = None
    finally:
        upload.seek(0)
    if found not in FORMATS:
        raise ValidationError(_("%(name)s is not a photo (JPEG, PNG or WebP).") % {"name": upload.name})
    return FORMATS[found]


def stored_name(extension: str) -> str:
    return f"{uuid.uuid4().hex}.{extension}"
