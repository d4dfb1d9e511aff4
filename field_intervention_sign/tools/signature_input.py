"""Checks of what a signer submits: the signature image, the signer's identity, the geolocation.

Every function takes the environment for its translated error messages and raises a
``ValidationError`` that tells the signer what to do.
"""

import base64
import binascii
import io
import re

from PIL import Image

from odoo.exceptions import ValidationError
from odoo.tools.mail import email_normalize

MAX_SIGNATURE_BYTES = 1024 * 1024  # 1 MB of decoded image
MAX_IMAGE_SIDE = 4000
MAX_NAME_LENGTH = 128
MAX_EMAIL_LENGTH = 254
MAX_TEXT_LENGTH = 4000
FORBIDDEN_NAME_CHARS = re.compile(r"[<>\x00-\x1f]")


def decode_signature_image(env, data):
    """Return the bytes of a non-empty PNG or JPEG signature of at most 1 MB.

    :param data: base64 text, or a ``data:`` URI as drawn by a signature pad
    """
    if not data:
        raise ValidationError(env._("The signature is missing: sign in the box first."))
    if isinstance(data, bytes):
        data = data.decode("ascii", errors="replace")
    if not isinstance(data, str) or len(data) > (MAX_SIGNATURE_BYTES * 4) // 3 + 4:
        raise ValidationError(env._("The signature image is too large (1 MB at most)."))
    if data.startswith("data:") and "," in data:
        data = data.split(",", 1)[1]
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(env._("The signature data is not valid."))  # noqa: B904
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise ValidationError(env._("The signature image is too large (1 MB at most)."))
    try:
        image = Image.open(io.BytesIO(raw))
        image_format = image.format
        width, height = image.size
        image.verify()
        image = Image.open(io.BytesIO(raw))
        image.load()
    except Exception:  # noqa: BLE001  PIL raises many kinds of errors on garbage
        raise ValidationError(env._("The signature is not a valid image."))  # noqa: B904
    if image_format not in ("PNG", "JPEG") or max(width, height) > MAX_IMAGE_SIDE:
        raise ValidationError(env._("The signature must be a PNG or JPEG image."))
    if is_blank_image(image):
        raise ValidationError(env._("The signature is empty: sign in the box first."))
    return raw


def is_blank_image(image):
    """True when the image has no visible stroke (fully transparent or uniform)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        return image.convert("RGBA").getchannel("A").getbbox() is None
    extrema = image.convert("L").getextrema()
    return extrema[0] == extrema[1]


def clean_signer_name(env, value):
    """The signer's name on one line, refused when empty, too long or with markup."""
    name = " ".join((value if isinstance(value, str) else "").split())
    if not name:
        raise ValidationError(env._("Enter the name of the person who signs."))
    if len(name) > MAX_NAME_LENGTH or FORBIDDEN_NAME_CHARS.search(name):
        raise ValidationError(
            env._(
                "The signer's name must be a plain name of at most %(max)s characters, without < or > characters.",
                max=MAX_NAME_LENGTH,
            )
        )
    return name


def clean_email(env, value):
    """A valid email address, or '' when none was given."""
    email = (value if isinstance(value, str) else "").strip()
    if email and (len(email) > MAX_EMAIL_LENGTH or not email_normalize(email, strict=True)):
        raise ValidationError(env._("The email address %(email)s is not valid.", email=email[:80]))
    return email


def clean_text(env, value):
    """Reserves or a refusal reason: stripped, at most MAX_TEXT_LENGTH characters."""
    text = (value if isinstance(value, str) else "").strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            env._("Reserves and refusal reasons are limited to %(max)s characters.", max=MAX_TEXT_LENGTH)
        )
    return text


def clean_geolocation(env, consent, latitude, longitude):
    """{'geo_consent', 'latitude', 'longitude'}: kept only with the signer's consent."""
    if not consent:
        return {"geo_consent": False, "latitude": 0.0, "longitude": 0.0}
    try:
        latitude, longitude = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return {"geo_consent": True, "latitude": 0.0, "longitude": 0.0}
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationError(env._("The geolocation is not valid."))
    return {"geo_consent": True, "latitude": latitude, "longitude": longitude}
