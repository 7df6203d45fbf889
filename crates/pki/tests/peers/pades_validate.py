#!/usr/bin/env python3
# Source: congso's shared peer recipes (shared/peers/pades_validate.py, verified 2026-11-29),
# copied into the project so that tests do not depend on shared/ at run time.
"""pades_validate.py — validate every signature in a PDF with pyHanko against
ONE trusted root (no system trust, no network fetching) and print one line.

Usage: pades_validate.py PDF ROOT_CA_PEM    (normally via pades-validate.sh)
Env:   REQUIRE_TIMESTAMP=0  accept PAdES B-B (default 1: require a valid
                            signature timestamp, i.e. at least B-T)
Output: "VALID <n> signature(s): <field>=<subject CN> ts=<time>; ..."  exit 0
        "INVALID <reason>"                                             exit 1
        "ERROR <reason>"  (unreadable input)                           exit 2
"""
import logging
import os
import sys

logging.disable(logging.CRITICAL)  # pyHanko logs path-building warnings; we report reasons ourselves

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    pdf_path, root_path = sys.argv[1], sys.argv[2]
    need_ts = os.environ.get("REQUIRE_TIMESTAMP", "1") != "0"
    try:
        root = load_cert_from_pemder(root_path)
        fh = open(pdf_path, "rb")
        reader = PdfFileReader(fh)
        sigs = list(reader.embedded_signatures)
    except Exception as e:  # noqa: BLE001 - one-line verdict wanted
        print(f"ERROR cannot read input: {type(e).__name__}: {e}")
        return 2
    if not sigs:
        print("INVALID no signatures in document")
        return 1

    def ctx():
        return ValidationContext(trust_roots=[root], allow_fetching=False,
                                 revocation_mode="soft-fail")

    parts = []
    for sig in sigs:
        name = sig.field_name
        try:
            st = validate_pdf_signature(sig, signer_validation_context=ctx(),
                                        ts_validation_context=ctx())
        except Exception as e:  # noqa: BLE001
            print(f"INVALID {name}: validation error: {type(e).__name__}: {e}")
            return 1
        if not st.intact:
            print(f"INVALID {name}: digest mismatch (document changed after signing)")
            return 1
        if not st.valid:
            print(f"INVALID {name}: signature value does not verify")
            return 1
        if st.revoked:
            print(f"INVALID {name}: signer certificate revoked")
            return 1
        if not st.trusted:
            print(f"INVALID {name}: signer certificate does not chain to the given root")
            return 1
        if st.docmdp_ok is False:
            print(f"INVALID {name}: disallowed modifications after signing "
                  f"(coverage={st.coverage.name}, level={st.modification_level})")
            return 1
        ts = st.timestamp_validity
        if ts is None:
            if need_ts:
                print(f"INVALID {name}: no signature timestamp (PAdES B-B, B-T required)")
                return 1
            ts_txt = "none"
        else:
            if not (ts.intact and ts.valid):
                print(f"INVALID {name}: signature timestamp token does not verify")
                return 1
            if not ts.trusted:
                print(f"INVALID {name}: TSA certificate does not chain to the given root")
                return 1
            ts_txt = ts.timestamp.isoformat()
        if not st.bottom_line:
            print(f"INVALID {name}: {st.summary()}")
            return 1
        cn = st.signing_cert.subject.native.get("common_name", "?")
        parts.append(f"{name}={cn} ts={ts_txt} coverage={st.coverage.name}")
    print(f"VALID {len(sigs)} signature(s): " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
