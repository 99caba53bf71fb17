"""Photos of trainings and activities are served through a scoped view, never from MEDIA_URL."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns import services
from campaigns.models import RecordPhoto

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _training_photo(world):
    services.training_record(
        user=world.firm_user, organiser_firm=world.firm, date=datetime.date(2011, 8, 15), topic="内部培训",
        attendee_count=12, photos=[SimpleUploadedFile("会场.png", PNG, content_type="image/png")],
    )
    return RecordPhoto.objects.get()


def test_the_firm_and_its_district_can_open_the_photo(client, world):
    photo = _training_photo(world)
    for user in (world.firm_user, world.district_user):
        client.force_login(user)
        response = client.get(reverse("campaigns:record_photo", args=[photo.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG


def test_another_firm_and_another_district_get_404(client, world):
    photo = _training_photo(world)
    for user in (world.other_firm_user, world.other_district_user):
        client.force_login(user)
        assert client.get(reverse("campaigns:record_photo", args=[photo.pk])).status_code == 404


def test_the_admin_links_the_scoped_view_not_the_media_url(client, world):
    photo = _training_photo(world)
    client.force_login(world.district_user)
    html = client.get(reverse("admin:campaigns_training_change", args=[photo.training_id])).content.decode()
    assert reverse("campaigns:record_photo", args=[photo.pk]) in html
    assert photo.file.url not in html
