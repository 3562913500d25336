"""The files of a balance export: GoCardless's bulk payment import, as CSV and as XLSX.

Plain Python (no Odoo import). A row is a dict keyed by the column names of
``const.BULK_IMPORT_COLUMNS``; text values are ``str`` (or None), ``payment.amount`` is a
``Decimal`` already rounded to its currency's decimals, ``payment.charge_date`` a ``date``
or None ("as soon as possible").

- CSV: UTF-8 without byte-order mark, comma separated, RFC 4180 quoting and line ends
  (``\\r\\n``), amounts in major units with the currency's decimals and no grouping
  (``1234567.89``), dates ``YYYY-MM-DD`` or empty.
- XLSX (openpyxl): the same columns; IDs, names, references and dates are text cells (format
  ``@``) so that a spreadsheet cannot turn ``2025-03-10`` into a date serial or an ID into a
  number; amounts are numbers displayed with the currency's decimals (``0.00``). Columns are
  as wide as their longest cell (``column_widths``) and the header row is frozen.
- Every cell holds at most ``const.BULK_IMPORT_CELL_MAX_LENGTH`` characters (longer text
  is cut: GoCardless refuses longer cells).
- Formula injection: names and emails come from GoCardless customers, which anyone with a
  payment page can write. A text cell that a spreadsheet would read as a formula (starting
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe, in
  both files (OWASP's advice for CSV files); XLSX text cells are also typed as strings, so
  that openpyxl never writes them as formulas.
"""

import csv
import io
from decimal import Decimal

from . import const

AMOUNT_COLUMN = "payment.amount"
DATE_COLUMN = "payment.charge_date"

try:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
except ImportError:  # pragma: no cover - the manifest's external_dependencies say why
    openpyxl = None


# a cell starting with one of these is a formula for Excel, LibreOffice or Google Sheets
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _text(value):
    if value is None or value is False:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    return text[: const.BULK_IMPORT_CELL_MAX_LENGTH]


def _amount_text(amount):
    # "f" keeps the trailing zeros of a quantized Decimal: Decimal("10.50") -> "10.50"
    return f"{Decimal(amount):f}"


def _cell_texts(row):
    """The row as the strings written in the CSV, in column order."""
    texts = []
    for column in const.BULK_IMPORT_COLUMNS:
        value = row.get(column)
        if column == AMOUNT_COLUMN:
            texts.append(_amount_text(value))
        elif column == DATE_COLUMN:
            texts.append(value.isoformat() if value else "")
        else:
            texts.append(_text(value))
    return texts


def file_row(mandate, customer, amount, currency, description, charge_date, reference):
    """One row of the files: a line's payment.

    :param mandate: the mandate's GoCardless ID
    :param customer: the GoCardless customer's snapshot in Odoo, a dict with ``gocardless_id``,
        ``given_name``, ``family_name``, ``company_name`` and ``email`` (empty: None or False)
    :param amount: a Decimal with the currency's ISO decimals (what GoCardless collects)
    :param currency: the ISO code
    :param charge_date: a date, or None / False (as soon as possible)
    :param reference: the line's reference (metadata ``odoo_ref``)
    """
    return {
        "mandate.id": mandate,
        "customer.id": customer["gocardless_id"],
        "customer.given_name": customer["given_name"] or "",
        "customer.family_name": customer["family_name"] or "",
        "customer.company_name": customer["company_name"] or "",
        "customer.email": customer["email"] or "",
        AMOUNT_COLUMN: amount,
        "payment.currency": currency,
        "payment.description": description,
        DATE_COLUMN: charge_date or None,
        f"payment.metadata.{const.BULK_IMPORT_METADATA_KEY}": reference,
    }


def build_csv(rows):
    """The bulk-import CSV of ``rows`` as bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(const.BULK_IMPORT_COLUMNS)
    for row in rows:
        writer.writerow(_cell_texts(row))
    return buffer.getvalue().encode("utf-8")


def _amount_format(amount):
    decimals = max(0, -Decimal(amount).as_tuple().exponent)
    return "0." + "0" * decimals if decimals else "0"


# XLSX column widths, in characters: the longest cell of the column (header included) plus a
# margin, never narrower than MIN nor wider than MAX (cells hold at most 100 characters).
XLSX_WIDTH_MARGIN = 2
XLSX_MIN_WIDTH = 8
XLSX_MAX_WIDTH = 60


def column_widths(rows):
    """{column: width in characters} fitting the header and the texts of ``rows``."""
    texts = [_cell_texts(row) for row in rows]
    widths = {}
    for index, column in enumerate(const.BULK_IMPORT_COLUMNS):
        longest = max([len(column)] + [len(row_texts[index]) for row_texts in texts])
        widths[column] = min(XLSX_MAX_WIDTH, max(XLSX_MIN_WIDTH, longest + XLSX_WIDTH_MARGIN))
    return widths


def build_xlsx(rows, sheet_title="Payments"):
    """The bulk-import workbook of ``rows`` as bytes (one sheet, a header row, columns as
    wide as their content, the header row frozen)."""
    if openpyxl is None:  # pragma: no cover
        raise RuntimeError("the openpyxl package is not installed")
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)
    # a write-only sheet writes its column widths before the first row
    for index, width in enumerate(column_widths(rows).values(), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def text_cell(value):
        cell = WriteOnlyCell(sheet, value=value)
        if value is not None:
            cell.data_type = "s"  # never a formula, whatever the text
        cell.number_format = "@"
        return cell

    header = []
    for column in const.BULK_IMPORT_COLUMNS:
        cell = text_cell(column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for column, text in zip(const.BULK_IMPORT_COLUMNS, _cell_texts(row), strict=True):
            if column == AMOUNT_COLUMN:
                amount = Decimal(row[column])
                cell = WriteOnlyCell(sheet, value=float(amount))
                cell.number_format = _amount_format(amount)
            else:
                cell = text_cell(text or None)
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
