"""The enrolment order's document (R15, issues #9 and #14): only from a locked
class list, rendered from the stored order in Kyrgyz or Russian, as a PDF that
renders (turned into an image here, and its text read back, page numbers
included) and as a DOCX."""
import io
from datetime import date

import pypdfium2
import pytest
from docx import Document

from portal.admission import class_lists, enrolment, enrolment_order
from portal.admission.documents_window import mark_received
from portal.admission.enrolment import EnrolmentRefused
from tests.admission.test_class_formation import NOW, School

ORDER_DATE = date(2026, 8, 28)


def locked_school(*, children=6):
    school = School(class_sets=((1, "ky", 25), (2, "ky", 25), (3, "ru", 25)))
    kyrgyz = [school.admit() for _ in range(children)]
    russian = [school.admit(language="ru", last_name="Иванова", sex="F")]
    for child in kyrgyz + russian:
        mark_received(child, by="school", now=NOW)
    school.distribute("ky")
    school.distribute("ru")
    school.lock()
    school.order = enrolment.issue_order(school.campaign, school.school, number="47-Б", order_date=ORDER_DATE,
                                         staff_id=school.director.id, now=NOW)
    return school, kyrgyz + russian


def document_of(school, language="ky"):
    return enrolment_order.build_order(school.order, language=language)


def pdf_of(school, language="ky"):
    return enrolment_order.order_pdf(document_of(school, language))


def pdf_text(data):
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def rendered_page(data, index=0):
    document = pypdfium2.PdfDocument(data)
    try:
        return document[index].render(scale=1).to_pil().convert("L")
    finally:
        document.close()


def test_r15_the_order_is_issued_only_after_the_lock(app):
    school = School()
    mark_received(school.admit(), by="school", now=NOW)
    school.distribute()
    with pytest.raises(EnrolmentRefused) as refusal:
        enrolment.issue_order(school.campaign, school.school, number="1", order_date=ORDER_DATE,
                              staff_id=school.director.id, now=NOW)
    assert refusal.value.code == "class_list_not_locked"


def test_r15_the_pdf_renders_to_a_page_that_is_not_blank(app):
    school, _children = locked_school()
    data = pdf_of(school)
    assert data.startswith(b"%PDF-")
    image = rendered_page(data)
    assert image.size[0] > 500 and image.size[1] > 700  # A4 at 72 dpi: 595 × 842
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert dark > 2000, "page 1 of the order is (nearly) blank"
    assert image.getextrema()[0] < 64  # real black text, not a grey wash


def test_r15_the_kyrgyz_order_lists_every_child_by_class_with_kyrgyz_letters(app):
    school, children = locked_school()
    text = pdf_text(pdf_of(school, "ky"))
    for needed in ("БУЙРУК № 47-Б", "28.08.2026", "Биринчи класска кабыл алуу жөнүндө", "БУЙРУК КЫЛАМ",
                   "1-А класс", "1-Б класс", "1-В класс", school.school.name_ky):
        assert needed in text, needed
    for letter in "ңөүӨҮ":  # from the template (жөнүндө, ...) and the names (Үсөнов, Өмүрова, Аңыз)
        assert letter in text, letter
    views = class_lists.school_classes(school.campaign, school.school.id)
    for view in views:
        for class_view in view.classes:
            for child in class_view.children:
                assert enrolment_order.full_name(child) in text
                assert child.child_birth_date.strftime("%d.%m.%Y") in text
    # Children are listed under their class's heading.
    first = views[0].classes[0]
    assert text.index(first.name) < text.index(enrolment_order.full_name(first.children[0])) < \
        text.index(views[0].classes[1].name)


def test_r15_the_russian_order_is_in_russian(app):
    school, children = locked_school()
    text = pdf_text(pdf_of(school, "ru"))
    for needed in ("ПРИКАЗ № 47-Б", "О зачислении в первый класс", "ПРИКАЗЫВАЮ", "язык обучения: русский",
                   school.school.name_ru):
        assert needed in text, needed
    assert "БУЙРУК" not in text
    assert all(enrolment_order.full_name(child) in text for child in children)


def test_r15_a_long_list_runs_over_pages(app):
    school, children = locked_school(children=60)
    data = pdf_of(school)
    document = pypdfium2.PdfDocument(data)
    pages = len(document)
    assert pages >= 2
    texts = [page.get_textpage().get_text_range() for page in document]
    document.close()
    text = pdf_text(data)
    assert all(enrolment_order.full_name(child) in text for child in children)
    # Every page carries its number and the count ("Барак 1 / 3").
    for index, page_text in enumerate(texts, 1):
        assert f"Барак {index} / {pages}" in page_text, page_text[-200:]
    russian = pdf_text(pdf_of(school, "ru"))
    assert f"Страница {pages} из {pages}" in russian


def test_r15_the_order_as_docx(app):
    school, children = locked_school()
    document = Document(io.BytesIO(enrolment_order.order_docx(document_of(school))))
    paragraphs = "\n".join(paragraph.text for paragraph in document.paragraphs)
    cells = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    assert "БУЙРУК № 47-Б" in paragraphs and "1-А класс" in paragraphs
    assert len(document.tables) == 3
    assert all(enrolment_order.full_name(child) in cells for child in children)
    # The footer numbers the pages with Word's own fields.
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer and "Барак" in footer


def test_r15_the_font_is_part_of_the_project(app):
    # A fresh machine has only Python: the font and its licence ship with the code.
    import os

    assert os.path.getsize(enrolment_order.FONT_REGULAR) > 100_000
    assert os.path.exists(os.path.join(enrolment_order.FONT_DIR, "LICENSE-DejaVu.txt"))
