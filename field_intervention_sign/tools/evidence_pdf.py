"""Evidence page of a signed intervention report, drawn with reportlab.

Text is drawn with ``drawString`` (no markup interpretation), so names and
reserves typed by customers are printed literally, never interpreted.
"""

import io

import qrcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "Vera"
FONT_BOLD = "VeraBd"
QR_BOX_SIZE = 4
QR_BORDER = 4


def _register_fonts():
    # Vera ships with reportlab and covers Latin-1 (French accents).
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))


def qr_image(url):
    """Return the QR code of ``url`` as a PIL image (black on white, RGB).

    The same function is used to draw the page and to check it in tests.
    """
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=QR_BOX_SIZE, border=QR_BORDER)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def render_evidence_page(title, lines, signature_image=None, qr_url=None, qr_caption=""):
    """Return the bytes of a one-page (or more) PDF listing ``lines``.

    :param str title: page title
    :param list lines: (label, value) pairs
    :param signature_image: file-like PNG/JPEG of the signature, or None
    :param str qr_url: URL encoded in the QR code, or None
    :param str qr_caption: text printed next to the QR code
    """
    _register_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    label_width = 45 * mm
    value_width = right - left - label_width
    y = height - 25 * mm

    pdf.setFont(FONT_BOLD, 15)
    pdf.drawString(left, y, title)
    y -= 10 * mm

    for label, value in lines:
        wrapped = []
        for paragraph in str(value).splitlines() or [""]:
            wrapped += simpleSplit(paragraph, FONT, 9, value_width) or [""]
        needed = 4.5 * mm * len(wrapped) + 1.5 * mm
        if y - needed < 20 * mm:
            pdf.showPage()
            y = height - 25 * mm
        pdf.setFont(FONT_BOLD, 9)
        pdf.drawString(left, y, str(label))
        pdf.setFont(FONT, 9)
        for text in wrapped:
            pdf.drawString(left + label_width, y, text)
            y -= 4.5 * mm
        y -= 1.5 * mm

    block_height = 45 * mm
    if y - block_height < 15 * mm:
        pdf.showPage()
        y = height - 25 * mm
    if signature_image:
        pdf.drawImage(
            ImageReader(signature_image),
            left,
            y - 30 * mm,
            width=70 * mm,
            height=30 * mm,
            preserveAspectRatio=True,
            mask="auto",
        )
        pdf.rect(left, y - 30 * mm, 70 * mm, 30 * mm)
    if qr_url:
        qr_size = 40 * mm
        qr_x = right - qr_size
        pdf.drawImage(ImageReader(qr_image(qr_url)), qr_x, y - qr_size, width=qr_size, height=qr_size)
        pdf.setFont(FONT, 7)
        text_y = y - qr_size - 4 * mm
        for text in simpleSplit(qr_url, FONT, 7, right - left):
            pdf.drawRightString(right, text_y, text)
            text_y -= 3.5 * mm
        for text in simpleSplit(qr_caption, FONT, 7, right - left):
            pdf.drawRightString(right, text_y, text)
            text_y -= 3.5 * mm
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
