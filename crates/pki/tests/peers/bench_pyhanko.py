#!/usr/bin/env python3
"""bench_pyhanko.py — pyHanko's PAdES B-T throughput on the same input, for
comparison with `cargo bench -p congso-pki --bench pades`.

Usage: bench_pyhanko.py PKI_DIR PDF [N [RESERVED]]
  PKI_DIR  made by mk-test-pki.sh (root.pem, signer.{key,pem}, tsa.{key,pem}: RSA-2048)
  PDF      the input document (the Rust bench writes its 40-page input to
           $TMPDIR/congso-bench-40-page.pdf)
  N        documents (default 100)
  RESERVED optional fixed /Contents size in bytes (default: pyHanko's estimate)

Signs N copies in process (SimpleSigner, DummyTimeStamper as the in-process
TSA, PAdES subfilter), then validates each with validate_pdf_signature
trusting only root.pem, one thread, and prints one line:
  pyhanko sign=<docs/s> verify=<docs/s> (N documents, <bytes> signed)
"""
import logging
import sys
import time
from io import BytesIO

logging.disable(logging.CRITICAL)

from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    pki, pdf_path = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    # A fixed reservation skips pyHanko's size-estimating dry run (which
    # signs and timestamps twice); None measures pyHanko's default.
    reserved = int(sys.argv[4]) if len(sys.argv) > 4 else None
    data = open(pdf_path, "rb").read()
    root = load_cert_from_pemder(f"{pki}/root.pem")
    signer = signers.SimpleSigner.load(f"{pki}/signer.key", f"{pki}/signer.pem", ca_chain_files=(f"{pki}/root.pem",))
    tsa = timestamps.DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(f"{pki}/tsa.pem"),
        tsa_key=load_private_key_from_pemder(f"{pki}/tsa.key", None),
    )
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES)

    started = time.perf_counter()
    signed = []
    for _ in range(n):
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(BytesIO(data)), meta, signer=signer, timestamper=tsa, bytes_reserved=reserved
        )
        signed.append(out.getvalue())
    sign_rate = n / (time.perf_counter() - started)

    def ctx():
        return ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")

    started = time.perf_counter()
    for blob in signed:
        sig = PdfFileReader(BytesIO(blob)).embedded_signatures[0]
        status = validate_pdf_signature(sig, signer_validation_context=ctx(), ts_validation_context=ctx())
        if not status.bottom_line or status.timestamp_validity is None:
            print(f"INVALID {status.summary()}")
            return 1
    verify_rate = n / (time.perf_counter() - started)
    print(f"pyhanko sign={sign_rate:.0f}/s verify={verify_rate:.0f}/s ({n} documents, {len(signed[0])} bytes signed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
