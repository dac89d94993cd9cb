"""Word and PDF policies made in the test run, the way schools' files are made: Word's automatic multilevel
numbering (the numbers are not in the text), bullets, a table, a header and a footer; a PDF with running
headers and page numbers; and the bad ones (scanned, password-protected, a zip bomb, far too big)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

SECTION = re.compile(r"^(\d+)\.\s+(\S.*)$")
CLAUSE = re.compile(r"^-\s*(\d+)\.(\d+)\.?\s+(\S.*)$")
ITEM = re.compile(r"^\s*-\s+(\S.*)$")


def corpus_lines(corpus_file: Path) -> list[tuple[str, str]]:
    """(kind, text) of a corpus file's body: section, clause, item or text; the numbers left out of the text."""
    text = corpus_file.read_text(encoding="utf-8")
    body = text[text.find("\n---", 3) + 4:]
    lines = []
    for raw in body.splitlines():
        if not raw.strip():
            continue
        if (m := CLAUSE.match(raw)) and not raw.startswith(" "):
            lines.append(("clause", m[3].replace("**", "")))
        elif m := SECTION.match(raw):
            lines.append(("section", m[2]))
        elif (m := ITEM.match(raw)) and raw.startswith(" "):
            lines.append(("sub-item", m[1].replace("**", "")))
        elif m := ITEM.match(raw):
            lines.append(("item", m[1].replace("**", "")))
        else:
            lines.append(("text", raw.strip()))
    return lines


def _numbering(document) -> tuple[int, int]:
    """Add a multilevel list ("1.", "1.1.") and a bullet list to the document's numbering; their numIds."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    numbering = document.part.numbering_part.element
    multilevel = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90"><w:multiLevelType w:val="multilevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2."/></w:lvl>'
        '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%3)"/></w:lvl>'
        "</w:abstractNum>")
    bullets = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="91"><w:multiLevelType w:val="hybridMultilevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl>'
        "</w:abstractNum>")
    first_num = numbering.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}num")
    for node in (multilevel, bullets):
        if first_num is not None:
            first_num.addprevious(node)
        else:
            numbering.append(node)
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="91"><w:abstractNumId w:val="91"/></w:num>'))
    return 90, 91


def _numbered(paragraph, num_id: int, level: int) -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    paragraph._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))


def word_policy(corpus_file: Path, target: Path) -> Path:
    """The corpus file as a school's Word document: sections and clauses numbered by Word itself, items as
    Word bullets, a table after the first section, a running header and footer."""
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Norris Bank Primary School: internal"
    document.sections[0].footer.paragraphs[0].text = "Page 1 of 9. Uncontrolled when printed."
    multilevel, bullets = _numbering(document)
    tabled = False
    for kind, text in corpus_lines(corpus_file):
        paragraph = document.add_paragraph(text)
        if kind == "section":
            _numbered(paragraph, multilevel, 0)
            if not tabled:
                table = document.add_table(rows=2, cols=2)
                table.cell(0, 0).text, table.cell(0, 1).text = "Version", "Approved by"
                table.cell(1, 0).text, table.cell(1, 1).text = "3", "Governing body"
                tabled = True
        elif kind == "clause":
            _numbered(paragraph, multilevel, 1)
        elif kind in ("item", "sub-item"):
            _numbered(paragraph, bullets, 0)
    document.save(str(target))
    return target


def pdf_policy(corpus_file: Path, target: Path) -> Path:
    """The corpus file as a PDF exported from a word processor: numbers in the text, bullets as "•", a header
    and a footer with the page number on every page."""
    from fpdf import FPDF

    class Document(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=8)
            self.cell(0, 5, "Norris Bank Primary School - Social Media Policy", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.cell(0, 5, f"Page {self.page_no()}", align="C")

    pdf = Document()
    pdf.add_font("Body", fname="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf.add_page()
    for line in printed_lines(corpus_file):
        pdf.set_font("Body", size=10)
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(target))
    return target


def printed_lines(corpus_file: Path) -> list[str]:
    """The corpus file's body as a word processor prints it: numbers in the text, bullets as "•"."""
    lines, section, clause = [], 0, 0
    for kind, text in corpus_lines(corpus_file):
        if kind == "section":
            section, clause = section + 1, 0
            text = f"{section}. {text}"
        elif kind == "clause":
            clause += 1
            text = f"{section}.{clause}. {text}"
        elif kind in ("item", "sub-item"):
            text = f"• {text}"
        lines.append(text)
    return lines


def scanned_pdf(target: Path) -> Path:
    """A page that is only a picture of text: no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    picture = target.with_suffix(".png")
    image = Image.new("L", (600, 200), 255)
    ImageDraw.Draw(image).text((10, 10), "5.3. Members of staff must not friend pupils", fill=0)
    image.save(picture)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(picture), x=10, y=10, w=180)
    pdf.output(str(target))
    return target


def encrypted_pdf(corpus_file: Path, target: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = pdf_policy(corpus_file, target.with_name("plain-" + target.name))
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.encrypt("school-secret")
    with target.open("wb") as stream:
        writer.write(stream)
    return target


def zip_bomb_docx(target: Path) -> Path:
    """A .docx whose document part unpacks to 300 MB of nothing."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            block = b"\0" * (1 << 20)
            for _ in range(300):
                part.write(block)
    return target


ANTI_BULLYING = Path(__file__).resolve().parent / "documents" / "B100_anti_bullying.md"  # written for the tests


def anti_bullying_word(target: Path) -> Path:
    """A second policy, as the school keeps it: a Word document with Word's own numbering."""
    return word_policy(ANTI_BULLYING, target)


def two_column_pdf(corpus_file: Path, target: Path) -> Path:
    """The corpus file on a two-column page, as newsletters and some policy templates are laid out."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("Body", fname="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf.set_font("Body", size=10)
    columns = pdf.text_columns(ncols=2, gutter=10)
    with columns:
        for line in printed_lines(corpus_file):
            columns.write(text=line + "\n")
    pdf.output(str(target))
    return target
