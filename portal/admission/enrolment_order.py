"""The director's order "On enrolment into the first grade" (R15, issue #9), from
the school's locked class list, in Kyrgyz or Russian, as PDF (fpdf2) or DOCX
(python-docx).

The template is the text of a school order, each sentence a gettext message
rendered in the order's language (not the reader's): the school's name, the
order's number and date, the title, the preamble, "I order:", then per class
its numbered list of children (full name, date of birth), the closing clause
and the director's signature line. The PDF embeds DejaVu Sans, vendored in
portal/static/fonts/ (licence beside it), because a fresh machine may have no
font with the Kyrgyz letters ң, ө, ү.

Only a locked list is printed, exactly as it was locked (docs/rules.md, R15).
"""
import io
import os
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.admission import class_lists
from portal.admission.class_lists import ClassListRefused
from portal.labels import LANGUAGE

ORDER_LANGUAGES = ("ky", "ru")
FONT_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "fonts")
FONT_REGULAR = os.path.join(FONT_DIR, "DejaVuSans.ttf")
FONT_BOLD = os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf")


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
    preamble: str
    orders: str
    enrol: str
    classes: list  # OrderClass
    control: str
    signature: str
    header: tuple  # column titles: number, full name, date of birth
    document_title: str


def build_order(campaign, school, *, language, number, order_date):
    """The order's text in `language` (ky or ru), from the school's locked list."""
    if language not in ORDER_LANGUAGES:
        raise ValueError(language)
    if not class_lists.is_locked(campaign, school.id):
        raise ClassListRefused("class_list_not_locked")
    views = class_lists.school_classes(campaign, school.id)
    with force_locale(language):
        order_classes = []
        for view in views:
            language_name = str(LANGUAGE.get(view.language, view.language)).lower()
            for class_view in view.classes:
                if not class_view.children:
                    continue
                rows = [(index, full_name(child), child.child_birth_date.strftime("%d.%m.%Y"))
                        for index, child in enumerate(class_view.children, 1)]
                order_classes.append(OrderClass(
                    heading=_("Class %(name)s, language of instruction: %(language)s",
                              name=class_view.name, language=language_name),
                    rows=rows,
                    total=_("Children in the class: %(count)s", count=len(rows))))
        return Order(
            language=language,
            school_name=school.name_ky if language == "ky" else school.name_ru,
            number_line=_("ORDER No. %(number)s", number=number),
            date_line=order_date.strftime("%d.%m.%Y"),
            title=_("On enrolment into the first grade"),
            preamble=_("In accordance with the Regulation on the admission of children to the first grade of "
                       "general education organisations of the Kyrgyz Republic and with the results of the "
                       "registration through the information system \"Electronic registration\","),
            orders=_("I ORDER:"),
            enrol=_("1. To enrol the following children into the first grade for the %(year)s school year:",
                    year=campaign.year),
            classes=order_classes,
            control=_("2. I reserve the control over the execution of this order."),
            signature=_("Director: ____________________"),
            header=(_("No."), _("Full name of the child"), _("Date of birth")),
            document_title=_("On enrolment into the first grade"),
        )


def full_name(application):
    return " ".join(part for part in (application.child_last_name, application.child_first_name,
                                      application.child_patronymic) if part)


def order_pdf(order):
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
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

    line(order.school_name, bold=True, align="C", after=4)
    line(order.number_line, size=14, bold=True, align="C", after=1)
    line(order.date_line, align="R", after=4)
    line(order.title, bold=True, align="C", after=4)
    line(order.preamble, align="J")
    line(order.orders, bold=True, after=2)
    line(order.enrol, after=3)
    for order_class in order.classes:
        line(order_class.heading, bold=True, after=1)
        pdf.set_font("DejaVu", "", 11)
        with pdf.table(width=width, align="LEFT", col_widths=(12, 110, 38), text_align=("RIGHT", "LEFT", "CENTER"),
                       headings_style=FontFace(emphasis="BOLD"), line_height=6) as table:
            table.row(order.header)
            for number, name, born in order_class.rows:
                table.row((str(number), name, born))
        pdf.ln(1)
        line(order_class.total, size=11, after=4)
    line(order.control, after=10)
    line(order.signature, bold=True)
    return bytes(pdf.output())


def order_docx(order):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
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

    line(order.school_name, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    line(order.number_line, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    line(order.date_line, align=WD_ALIGN_PARAGRAPH.RIGHT)
    line(order.title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    line(order.preamble, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    line(order.orders, bold=True)
    line(order.enrol)
    for order_class in order.classes:
        line(order_class.heading, bold=True)
        table = document.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, order.header):
            cell.text = ""
            cell.paragraphs[0].add_run(title).bold = True
        for number, name, born in order_class.rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text, cells[2].text = str(number), name, born
        line(order_class.total)
    line(order.control)
    line(order.signature, bold=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
