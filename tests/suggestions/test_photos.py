"""suggestions/photos.py: checked by content, re-encoded (no uploaded byte survives), metadata stripped."""

import io

import pillow_heif
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from suggestions import photos

pillow_heif.register_heif_opener()
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def encode(fmt, size=(64, 48), color=(200, 30, 30), mode="RGB", **save):
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def opened(content_file):
    content_file.seek(0)
    return Image.open(io.BytesIO(content_file.read()))


def jpeg_with_gps_and_orientation(size=(60, 40)):
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # stored sideways: to be turned 90° clockwise
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (29.0, 52.0, 12.0), "E", (121.0, 33.0, 4.0)
    return encode("JPEG", size=size, exif=exif.tobytes())


@pytest.mark.parametrize("fmt, name", [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp"), ("HEIF", "a.heic")])
def test_every_accepted_format_comes_out_as_jpeg(fmt, name):
    prepared = photos.prepare(upload(encode(fmt), name=name, content_type="application/octet-stream"))
    image = opened(prepared.image)
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (64, 48))
    assert prepared.extension == "jpg"
    assert opened(prepared.thumbnail).format == "JPEG"


def test_an_iphone_heic_is_read_by_its_content_whatever_its_name():
    heic = encode("HEIF", size=(120, 90))
    assert heic[4:12] == b"ftypheic"
    prepared = photos.prepare(upload(heic, name="IMG_0001.jpg", content_type="image/jpeg"))
    assert opened(prepared.image).size == (120, 90)


def test_a_png_with_html_appended_is_re_encoded_so_none_of_its_bytes_survive():
    payload = b"<html><script>alert(document.cookie)</script></html>"
    original = encode("PNG", size=(32, 32)) + payload
    prepared = photos.prepare(upload(original, name="x.png", content_type="image/png"))
    prepared.image.seek(0)
    stored = prepared.image.read()
    assert b"<script" not in stored and b"<html" not in stored
    assert stored.startswith(b"\xff\xd8\xff")  # a JPEG we wrote, not the PNG they sent
    prepared.thumbnail.seek(0)
    assert b"<script" not in prepared.thumbnail.read()


def test_html_named_and_typed_as_a_photo_is_refused():
    with pytest.raises(ValidationError) as error:
        photos.prepare(upload(b"<html><script>alert(1)</script></html>", name="x.jpg"))
    assert "无法识别该图片" in error.value.messages[0]


def test_a_non_image_is_refused_in_words():
    with pytest.raises(ValidationError, match="JPG、PNG、WebP 或 HEIC"):
        photos.prepare(upload(b"%PDF-1.4 not a photo", name="letter.pdf", content_type="application/pdf"))


def test_a_gif_is_refused():
    with pytest.raises(ValidationError):
        photos.prepare(upload(encode("GIF"), name="a.gif", content_type="image/gif"))


def test_a_file_whose_header_says_png_but_is_a_jpeg_is_refused():
    data = b"\x89PNG\r\n\x1a\n" + encode("JPEG")[8:]
    with pytest.raises(ValidationError):
        photos.prepare(upload(data, name="a.png"))


@pytest.mark.parametrize("load_truncated", [False, True])  # True: as once WeasyPrint is imported
@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_photo_is_refused(monkeypatch, load_truncated, fmt):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", load_truncated)
    whole = encode(fmt, size=(300, 200))
    with pytest.raises(ValidationError):
        photos.prepare(upload(whole[: len(whole) // 2], name="a.img"))


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="空"):
        photos.prepare(upload(b"", name="a.jpg"))


def test_an_oversized_file_is_refused_before_it_is_read(settings):
    settings.SUGGESTION_PHOTO_MAX_BYTES = 1000
    big = encode("BMP", size=(300, 300))  # incompressible enough: well over 1,000 bytes
    with pytest.raises(ValidationError, match="不能超过"):
        photos.prepare(upload(big, name="big.jpg"))


def test_the_size_limit_holds_when_the_upload_lies_about_its_size(settings):
    settings.SUGGESTION_PHOTO_MAX_BYTES = 1000
    liar = upload(encode("BMP", size=(300, 300)), name="big.jpg")
    liar.size = 10
    with pytest.raises(ValidationError, match="不能超过"):
        photos.prepare(liar)


def test_a_decompression_bomb_is_refused_from_its_header():
    # A PNG declaring 20000 x 20000 pixels in a few hundred bytes: refused before any pixel is decoded.
    bomb = encode("PNG", size=(20000, 20000), mode="1", color=0)
    assert len(bomb) < 200_000
    with pytest.raises(ValidationError, match="像素过大"):
        photos.prepare(upload(bomb, name="bomb.png"))


def test_exif_and_gps_are_stripped_and_the_photo_is_turned_upright():
    original = jpeg_with_gps_and_orientation(size=(60, 40))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    prepared = photos.prepare(upload(original))
    image = opened(prepared.image)
    assert image.size == (40, 60)  # orientation 6 applied
    assert not image.getexif()
    assert "exif" not in image.info and "icc_profile" not in image.info and "xmp" not in image.info
    prepared.image.seek(0)
    raw = prepared.image.read()
    assert b"Exif" not in raw and b"PhoneMaker" not in raw


def test_an_icc_profile_is_not_carried_over():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    prepared = photos.prepare(upload(encode("JPEG", icc_profile=icc)))
    assert "icc_profile" not in opened(prepared.image).info


def test_large_photos_are_bounded_and_thumbnailed():
    prepared = photos.prepare(upload(encode("JPEG", size=(4000, 3000)), name="big.jpg"))
    assert max(opened(prepared.image).size) == photos.MAX_SIDE
    assert max(opened(prepared.thumbnail).size) == photos.THUMB_SIDE
    assert (prepared.width, prepared.height) == (2048, 1536)


def test_transparency_is_flattened_on_white():
    prepared = photos.prepare(upload(encode("PNG", mode="RGBA", color=(0, 0, 0, 0)), name="a.png"))
    assert opened(prepared.image).getpixel((10, 10)) >= (250, 250, 250)


def test_serve_sends_a_stored_photo_privately(world, submit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    entry = submit(photos=[photos.prepare(upload(encode("JPEG")))])
    photo = entry.photos.get()
    response = photos.serve(photo)
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    thumb = photos.serve(photo, thumbnail=True)
    assert b"".join(thumb.streaming_content).startswith(b"\xff\xd8\xff")
