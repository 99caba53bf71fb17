"""Photos of the suggestion box: checked by their content, re-encoded, and served only through views.

Residents (and firms, for replies) upload JPEG, PNG, WebP or the HEIC/HEIF that iPhones send.
Nothing they upload is ever stored or served as uploaded:

* the file's first bytes must be one of those formats and Pillow must read it as the same format
  (the name and the browser's content type are ignored: both are the sender's to choose);
* at most ``settings.SUGGESTION_PHOTO_MAX_BYTES`` bytes and ``MAX_PIXELS`` pixels, checked from
  the header before any pixel is decoded (a small file can declare a huge picture: a
  decompression bomb);
* the pixels are turned upright by the EXIF orientation and drawn onto a fresh RGB image, so EXIF
  (with the GPS position), XMP, ICC profiles, comments and whatever was appended after the image
  data (an HTML or script payload in a PNG) are gone; saved as JPEG no larger than ``MAX_SIDE``
  pixels, with a ``THUMB_SIDE`` thumbnail.

``serve`` sends a stored photo from a view that has decided who may see it (MEDIA_ROOT is never
served by URL: config/urls.py).
"""

import io
import warnings
from dataclasses import dataclass

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

pillow_heif.register_heif_opener()

MAX_SIDE = 2048
THUMB_SIDE = 320
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo still passes; more is refused before decoding
JPEG_QUALITY = 85
ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"  # the file picker's hint only

# Pillow's name of each format we take, by what its first bytes must look like.
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


@dataclass(frozen=True)
class Prepared:
    """A photo ready for services: re-encoded image and thumbnail (ContentFile) and their extension."""

    image: ContentFile
    thumbnail: ContentFile
    extension: str
    width: int = 0
    height: int = 0


def sniff(head):
    """The format the first bytes say ("JPEG", "PNG", "WEBP", "HEIF"), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


def _unreadable():
    return ValidationError(_("无法识别该图片，请上传 JPG、PNG、WebP 或 HEIC 格式的照片。"), code="invalid_image")


def _read(uploaded, limit):
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise _too_big(limit)
    uploaded.seek(0)
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise _too_big(limit)
    if not data:
        raise ValidationError(_("照片文件是空的，请重新选择。"), code="empty")
    return data


def _too_big(limit):
    return ValidationError(_("照片不能超过 %(mb)s MB，请换一张或压缩后再上传。") % {
        "mb": f"{limit / 1024 / 1024:g}"}, code="too_big")


def _too_many_pixels():
    return ValidationError(_("照片像素过大（超过 %(mp)s 百万像素），请换一张。") % {"mp": MAX_PIXELS // 1_000_000},
                           code="too_many_pixels")


def _check_complete(kind, data):
    """Refuse a truncated upload ourselves: Pillow would fill the missing part grey once anything in the
    process (WeasyPrint does, on import) has set ``ImageFile.LOAD_TRUNCATED_IMAGES``."""
    if kind == "JPEG" and b"\xff\xd9" not in data[2:]:  # no end-of-image marker
        raise _unreadable()
    probe = Image.open(io.BytesIO(data))
    probe.verify()  # PNG: every chunk there and its checksum right


def _flatten(image):
    """RGB pixels only, transparency on white, and no metadata of the original carried along."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, (255, 255, 255))
        clean.paste(rgba, mask=rgba.getchannel("A"))
    else:
        clean = Image.new("RGB", image.size)
        clean.paste(image.convert("RGB"))
    return clean


def _jpeg(image):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def prepare(uploaded):
    """Check and re-encode one uploaded photo; returns :class:`Prepared` or raises ValidationError."""
    data = _read(uploaded, settings.SUGGESTION_PHOTO_MAX_BYTES)
    kind = sniff(data[:16])
    if kind is None:
        raise _unreadable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format != kind:
                raise _unreadable()
            width, height = image.size
            if width < 1 or height < 1 or width * height > MAX_PIXELS:
                raise _too_many_pixels()
            _check_complete(kind, data)
            image.load()
            upright = ImageOps.exif_transpose(image)
            clean = _flatten(upright)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
        raise _too_many_pixels() from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _unreadable() from None
    clean.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumb = clean.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return Prepared(image=ContentFile(_jpeg(clean)), thumbnail=ContentFile(_jpeg(thumb)), extension="jpg",
                    width=clean.width, height=clean.height)


def serve(photo, thumbnail=False):
    """A stored photo (or its thumbnail) as a response, for a view that has already checked access."""
    field = photo.thumbnail if thumbnail else photo.image
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    response["Referrer-Policy"] = "no-referrer"
    return response
