"""The document of an enrolment order (§19, R11, R15, issues #9 and #14), rendered
from the stored order (`portal.admission.enrolment`), in Kyrgyz or Russian, as PDF
(fpdf2) or DOCX (python-docx).

The template is the text of a school order, each sentence a gettext message
rendered in the order's language (not the reader's): the school's name, the
order's number and date, the title (a supplementary order says so, and names
the order it adds to), the preamble, "I order:", then per class its numbered
list of the children the order enrolled (full name, date of birth), the children
it did not enrol with the reason, the closing clause and the director's
signature line; every page is numbered ("page 2 of 3"). The PDF embeds DejaVu
Sans, vendored in portal/static/fonts/ (licence beside it), because a fresh
machine may have no font with the Kyrgyz letters ң, ө, ү.

The order is printed exactly as it was issued: its entries name each child's
class, whatever happened to the class list since (docs/rules.md, R15).
"""
import io
import os
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.admission import class_lists
from portal.admission.enrolment import NOT_TAKEN, orders
from portal.labels import LANGUAGE

ORDER_LANGUAGES = ("ky", "ru")
FONT_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "fonts")
FONT_REGULAR = os.path.join(FONT_DIR, "DejaVuSans.ttf")
FONT_BOLD = os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf")
# Where the page number and the page count go in the translated "page N of M".
PAGE_MARK, PAGES_MARK = "\x00page\x00", "\x00pages\x00"


@dataclass
class OrderClass:
    heading: str
    rows: list  # (number, full name, date of birth)
    total: str


@dataclass
class Order:
    language: str
    school_name: str
    number_line: str
    date_line: str
    title: str
    supplement: str  # "In addition to order No. ... of ...", or ""
    preamble: str
    orders: str
    enrol: str
    classes: list  # OrderClass
    apart_heading: str  # "" when every child of the list is enrolled
    apart_header: tuple  # column titles: number, full name, date of birth, reason
    apart: list  # (number, full name, date of birth, reason)
    control: str
    signature: str
    header: tuple  # column titles: number, full name, date of birth
    document_title: str
    page_label: str  # "page N of M" with PAGE_MARK and PAGES_MARK in place of the numbers


def build_order(order, *, language):
    """The text of the stored `order` (an EnrolmentOrder) in `language` (ky or ru)."""
    if language not in ORDER_LANGUAGES:
        raise ValueError(language)
    school, campaign = order.school, order.campaign
    enrolled = [entry for entry in order.entries if entry.enrolled]
    by_class = {}
    for entry in sorted(enrolled, key=lambda entry: _class_key(entry.class_set) + _name_key(entry.application)):
        by_class.setdefault(entry.class_set.id, (entry.class_set, []))[1].append(entry.application)
    apart = sorted((entry for entry in order.entries if not entry.enrolled), key=lambda entry: _name_key(
        entry.application))
    first = None
    if order.supplementary:
        first = next((other for other in orders(order.campaign, order.school_id) if other.sequence == 1), None)
    with force_locale(language):
        order_classes = []
        for class_set, children in by_class.values():
            language_name = str(LANGUAGE.get(class_set.language, class_set.language)).lower()
            rows = [(index, full_name(child), child.child_birth_date.strftime("%d.%m.%Y"))
                    for index, child in enumerate(children, 1)]
            order_classes.append(OrderClass(
                heading=_("Class %(name)s, language of instruction: %(language)s",
                          name=class_lists.class_name(class_set), language=language_name),
                rows=rows,
                total=_("Children in the class: %(count)s", count=len(rows))))
        title = (_("On enrolment into the first grade (supplementary order)") if order.supplementary
                 else _("On enrolment into the first grade"))
        return Order(
            language=language,
            school_name=school.name_ky if language == "ky" else school.name_ru,
            number_line=_("ORDER No. %(number)s", number=order.number),
            date_line=order.order_date.strftime("%d.%m.%Y"),
            title=title,
            supplement=(_("In addition to order No. %(number)s of %(date)s.", number=first.number,
                          date=first.order_date.strftime("%d.%m.%Y")) if first is not None else ""),
            preamble=_("In accordance with the Regulation on the admission of children to the first grade of "
                       "general education organisations of the Kyrgyz Republic and with the results of the "
                       "registration through the information system \"Electronic registration\","),
            orders=_("I ORDER:"),
            enrol=_("1. To enrol the following children into the first grade for the %(year)s school year:",
                    year=campaign.year),
            classes=order_classes,
            apart_heading=(_("The following children of the class list are not enrolled by this order:")
                           if apart else ""),
            apart_header=(_("No."), _("Full name of the child"), _("Date of birth"), _("Reason")),
            apart=[(index, full_name(entry.application), entry.application.child_birth_date.strftime("%d.%m.%Y"),
                    str(NOT_TAKEN[entry.reason])) for index, entry in enumerate(apart, 1)],
            control=_("2. I reserve the control over the execution of this order."),
            signature=_("Director: ____________________"),
            header=(_("No."), _("Full name of the child"), _("Date of birth")),
            document_title=title,
            page_label=_("Page %(page)s of %(pages)s", page=PAGE_MARK, pages=PAGES_MARK),
        )


def _class_key(class_set):
    return (class_set.language != "ky", class_set.language, class_set.number)


def _name_key(application):
    return (application.child_last_name, application.child_first_name, application.child_patronymic,
            application.id)


def full_name(application):
    return " ".join(part for part in (application.child_last_name, application.child_first_name,
                                      application.child_patronymic) if part)


def order_pdf(order):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class OrderPDF(FPDF):
        def footer(self):
            # "Page N of M" on every page; {nb} is replaced by the page count at output.
            self.set_y(-12)
            self.set_font("DejaVu", "", 9)
            label = order.page_label.replace(PAGE_MARK, str(self.page_no())).replace(PAGES_MARK, "{nb}")
            self.cell(0, 6, label, align="C")

    pdf = OrderPDF(format="A4")
    pdf.set_margins(20, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("DejaVu", "", FONT_REGULAR)
    pdf.add_font("DejaVu", "B", FONT_BOLD)
    pdf.set_title(order.document_title)
    pdf.set_lang(order.language)
    pdf.add_page()
    width = pdf.epw

    def line(text, *, size=12, bold=False, align="L", after=2):
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(width, 6, text, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(after)

    def table(header, rows, col_widths, text_align):
        pdf.set_font("DejaVu", "", 11)
        with pdf.table(width=width, align="LEFT", col_widths=col_widths, text_align=text_align,
                       headings_style=FontFace(emphasis="BOLD"), line_height=6) as grid:
            grid.row(header)
            for row in rows:
                grid.row(tuple(str(cell) for cell in row))
        pdf.ln(1)

    line(order.school_name, bold=True, align="C", after=4)
    line(order.number_line, size=14, bold=True, align="C", after=1)
    line(order.date_line, align="R", after=4)
    line(order.title, bold=True, align="C", after=2 if order.supplement else 4)
    if order.supplement:
        line(order.supplement, align="C", after=4)
    line(order.preamble, align="J")
    line(order.orders, bold=True, after=2)
    line(order.enrol, after=3)
    for order_class in order.classes:
        line(order_class.heading, bold=True, after=1)
        table(order.header, order_class.rows, (12, 110, 38), ("RIGHT", "LEFT", "CENTER"))
        line(order_class.total, size=11, after=4)
    line(order.control, after=10)
    line(order.signature, bold=True, after=8)
    if order.apart:
        line(order.apart_heading, bold=True, after=1)
        table(order.apart_header, order.apart, (10, 60, 25, 65), ("RIGHT", "LEFT", "CENTER", "LEFT"))
    return bytes(pdf.output())


def order_docx(order):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = order.document_title
    document.core_properties.language = order.language
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(12)

    def line(text, *, bold=False, align=None):
        paragraph = document.add_paragraph()
        paragraph.add_run(text).bold = bold
        if align is not None:
            paragraph.alignment = align
        return paragraph

    def table(header, rows):
        grid = document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        for cell, title in zip(grid.rows[0].cells, header):
            cell.text = ""
            cell.paragraphs[0].add_run(title).bold = True
        for row in rows:
            for cell, value in zip(grid.add_row().cells, row):
                cell.text = str(value)

    def field(paragraph, code):
        # A Word field (PAGE, NUMPAGES): the word processor fills in the number on each page.
        element = OxmlElement("w:fldSimple")
        element.set(qn("w:instr"), code)
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        element.append(run)
        paragraph._p.append(element)

    footer = document.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in order.page_label.replace(PAGE_MARK, "\x01PAGE\x01").replace(PAGES_MARK, "\x01NUMPAGES\x01") \
            .split("\x01"):
        if part in ("PAGE", "NUMPAGES"):
            field(footer, part)
        elif part:
            footer.add_run(part)

    line(order.school_name, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    line(order.number_line, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    line(order.date_line, align=WD_ALIGN_PARAGRAPH.RIGHT)
    line(order.title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    if order.supplement:
        line(order.supplement, align=WD_ALIGN_PARAGRAPH.CENTER)
    line(order.preamble, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    line(order.orders, bold=True)
    line(order.enrol)
    for order_class in order.classes:
        line(order_class.heading, bold=True)
        table(order.header, order_class.rows)
        line(order_class.total)
    line(order.control)
    line(order.signature, bold=True)
    if order.apart:
        line(order.apart_heading, bold=True)
        table(order.apart_header, order.apart)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
