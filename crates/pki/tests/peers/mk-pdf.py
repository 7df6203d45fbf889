#!/usr/bin/env python3
# Source: congso's shared peer recipes (shared/peers/mk-pdf.py, verified 2026-11-29),
# copied into the project so that tests do not depend on shared/ at run time.
"""mk-pdf.py — write a minimal valid one-page PDF (no dependencies).

Usage: mk-pdf.py OUT.pdf [TEXT]

The file has a correct xref table, so strict readers (pyHanko) accept it.
TEXT is ASCII only (default: "Congso test document").
"""
import sys

out = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
text = (sys.argv[2] if len(sys.argv) > 2 else "Congso test document")
text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
objs = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
    b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
]
pdf = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
offsets = []
for i, body in enumerate(objs, 1):
    offsets.append(len(pdf))
    pdf += b"%d 0 obj\n" % i + body + b"\nendobj\n"
xref = len(pdf)
pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for off in offsets:
    pdf += b"%010d 00000 n \n" % off
pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(out, "wb").write(pdf)
