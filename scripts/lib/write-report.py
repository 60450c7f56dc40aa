#!/usr/bin/env python3
"""Replaces the block between <!-- NAME:begin --> and <!-- NAME:end --> in a document with a
dated table, so report scripts keep their figures in the docs without touching anything else.
Usage: write-report.py DOC NAME TABLE_FILE "COMMAND THAT PRODUCED IT" [NOTE]"""
import datetime
import re
import sys

doc_path, name, table_path, command = sys.argv[1:5]
note = sys.argv[5] if len(sys.argv) > 5 else ""
table = open(table_path).read().strip()
doc = open(doc_path).read()
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
if begin not in doc or end not in doc:
    sys.exit(f"{doc_path} has no {begin} ... {end} block to fill")
block = f"{begin}\nMeasured {datetime.date.today().isoformat()} with `{command}`{note}:\n\n{table}\n{end}"
doc = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, doc, flags=re.S)
open(doc_path, "w").write(doc)
