"""Progress photos: checked by content and size, stored outside the web root under a random name, served only to
who may see the resolution."""

import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from services.council import services
from services.council.models import ProgressPhoto

from .conftest import pass_resolution

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def png(name="photo.png", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_a_photo_is_stored_privately_under_a_random_name(world, _private_root):
    resolution = pass_resolution(world)
    update = services.resolution_progress(resolution_id=resolution.pk, percent=30, note="已开工",
                                          photos=[png("../../evil.png")], actor=world.contact)
    photo = update.photos.get()
    path = Path(photo.file.path)
    assert path.is_file() and _private_root in path.parents
    assert "evil" not in photo.file.name and photo.file.name.endswith(".png")
    assert photo.content_type == "image/png" and photo.size == path.stat().st_size
    for public_root in (django_settings.STATIC_ROOT, django_settings.MEDIA_ROOT or None):
        if public_root:
            assert Path(public_root) not in path.parents


@pytest.mark.parametrize("content", [
    b"<?php system($_GET['c']); ?>",
    b"%PDF-1.4 not a picture",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 20,  # a PNG signature with nothing behind it
])
def test_what_is_not_a_photo_is_refused_whatever_its_name(world, content):
    resolution = pass_resolution(world)
    with pytest.raises(ValidationError) as error:
        services.resolution_progress(resolution_id=resolution.pk, percent=30, note="x", actor=world.contact,
                                     photos=[SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg")])
    assert "photos" in error.value.message_dict
    resolution.refresh_from_db()
    assert resolution.percent == 0 and not resolution.updates.exists()  # nothing half-saved


def test_a_photo_too_big_is_refused(world, settings):
    settings.COUNCIL_PHOTO_MAX_BYTES = 100
    resolution = pass_resolution(world)
    with pytest.raises(ValidationError) as error:
        services.resolution_progress(resolution_id=resolution.pk, percent=30, note="x", actor=world.contact,
                                     photos=[png(size=(200, 200))])
    assert "photos" in error.value.message_dict
    assert not ProgressPhoto.objects.exists()


def test_too_many_photos_are_refused(world, settings):
    settings.COUNCIL_PHOTOS_PER_UPDATE = 1
    resolution = pass_resolution(world)
    with pytest.raises(ValidationError):
        services.resolution_progress(resolution_id=resolution.pk, percent=30, note="x", actor=world.contact,
                                     photos=[png(), png()])


def test_the_photo_is_served_only_in_scope(client, world, other_world, staff_users):
    resolution = pass_resolution(world)
    update = services.resolution_progress(resolution_id=resolution.pk, percent=30, note="x", photos=[png()],
                                          actor=world.contact)
    url = reverse("council:photo", args=[update.photos.get().pk])
    for allowed in (world.contact, world.resident, world.staff, staff_users["street"]):
        client.force_login(allowed)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    for refused in (other_world.contact, other_world.resident, other_world.staff):
        client.force_login(refused)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_the_progress_form_uploads_through_the_page(client, world):
    resolution = pass_resolution(world)
    client.force_login(world.contact)
    response = client.post(reverse("council:resolution-progress", args=[resolution.pk]),
                           {"percent": "40", "note": "x", "photos": [SimpleUploadedFile("fake.png", b"nope")]})
    assert response.status_code == 200 and "fake.png" in response.content.decode()
    assert not resolution.updates.exists()
    response = client.post(reverse("council:resolution-progress", args=[resolution.pk]),
                           {"percent": "100", "note": "全部完成", "photos": [png("a.png"), png("b.png")]})
    assert response.status_code == 302
    assert ProgressPhoto.objects.filter(update__resolution=resolution).count() == 2
    page = client.get(reverse("council:resolution", args=[resolution.pk])).content.decode()
    assert page.count('class="progress-photo') == 2


def test_a_photo_whose_file_is_lost_answers_404(client, world):
    resolution = pass_resolution(world)
    update = services.resolution_progress(resolution_id=resolution.pk, percent=30, note="x", photos=[png()],
                                          actor=world.contact)
    photo = update.photos.get()
    Path(photo.file.path).unlink()
    client.force_login(world.contact)
    assert client.get(reverse("council:photo", args=[photo.pk])).status_code == 404
