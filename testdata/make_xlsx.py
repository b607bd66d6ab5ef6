"""Writes testdata/sample_ledger.xlsx from the sample CSVs, with Python's xlsxwriter (a writer
independent of ours), the way an analyst's export looks: a cover sheet first, the ledger with
real date cells and number cells, the attributes on a third sheet. And
testdata/online_retail.xlsx from online_retail.csv, in the UCI Online Retail workbook's shape
(date-time cells, numeric quantities, prices and customer ids, empty ids left empty).

    python3 -m venv v && v/bin/pip install xlsxwriter==3.3.1 && v/bin/python testdata/make_xlsx.py
"""
import csv
import datetime
import os

import xlsxwriter

here = os.path.dirname(os.path.abspath(__file__))
book = xlsxwriter.Workbook(os.path.join(here, "sample_ledger.xlsx"))
book.set_properties({"created": datetime.datetime(2026, 1, 1)})
cover = book.add_worksheet("README")
cover.write(0, 0, "Sales ledger export; the rows are on the sheet 'ledger'.")

date_fmt = book.add_format({"num_format": "yyyy/mm/dd"})
money = book.add_format({"num_format": "#,##0.00"})
ledger = book.add_worksheet("ledger")
with open(os.path.join(here, "sample_ledger.csv"), newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
header = rows[0]
for c, name in enumerate(header):
    ledger.write_string(0, c, name)
for r, row in enumerate(rows[1:], start=1):
    for c, (name, value) in enumerate(zip(header, row)):
        if name == "order_date":
            ledger.write_datetime(r, c, datetime.datetime.strptime(value, "%Y-%m-%d"), date_fmt)
        elif name == "amount":
            ledger.write_number(r, c, float(value), money)
        elif name == "quantity" and value:
            ledger.write_number(r, c, float(value))
        else:
            ledger.write_string(r, c, value)

attrs = book.add_worksheet("attributes")
with open(os.path.join(here, "sample_attributes.csv"), newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
for r, row in enumerate(rows):
    for c, (name, value) in enumerate(zip(rows[0], row)):
        if r > 0 and name in ("size", "influence") and value:
            attrs.write_number(r, c, float(value))
        elif value:
            attrs.write_string(r, c, value)
book.close()

book = xlsxwriter.Workbook(os.path.join(here, "online_retail.xlsx"))
book.set_properties({"created": datetime.datetime(2026, 1, 1)})
sheet = book.add_worksheet("Online Retail")
date_time = book.add_format({"num_format": "m/d/yy h:mm"})
with open(os.path.join(here, "online_retail.csv"), newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
for c, name in enumerate(rows[0]):
    sheet.write_string(0, c, name)
for r, row in enumerate(rows[1:], start=1):
    for c, (name, value) in enumerate(zip(rows[0], row)):
        if name == "InvoiceDate":
            when = datetime.datetime.strptime(value, "%m/%d/%Y %H:%M")
            sheet.write_datetime(r, c, when, date_time)
        elif name in ("Quantity", "UnitPrice", "CustomerID") and value:
            sheet.write_number(r, c, float(value))
        elif value:
            sheet.write_string(r, c, value)
book.close()
