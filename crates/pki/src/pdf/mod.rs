//! PAdES signatures in PDF files: signing at baseline B-T (an incremental
//! update with a signature field, a `/Sig` dictionary and a CAdES detached
//! CMS with an RFC 3161 signature timestamp) and verifying every signature
//! of a PDF, including what changed after each one.
//!
//! Parsing uses `lopdf`; the incremental update is written here by hand
//! because it must append to the original bytes without rewriting them
//! (rewriting would break earlier signatures), and `lopdf`'s writer
//! rewrites whole files.

mod appearance;
mod diff;
mod syntax;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::SystemTime;

use lopdf::{Dictionary, Document, Object, ObjectId};
use sha2::{Digest, Sha256};

pub use appearance::VisibleSignature;

use crate::ca::SignerIdentity;
use crate::cms::{build_signed_data, SignedDataParams, Timestamper};
use crate::error::{Error, Result};
use crate::keys::DigestAlgorithm;
use crate::oids;
use crate::report::{
    rfc3339, verdict_of, Reason, Severity, SignatureDetails, SignatureReport, ValidationReport,
};
use crate::verify::{check_one_signer, check_timestamp, read_signed_data, VerifyOptions};
use syntax::{pdf_date, pdf_text_string, serialize};

/// Why a PDF could not be processed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// The input does not start with a PDF header.
    #[error("not a pdf file: no %PDF- header")]
    NotPdf,
    /// The file ends before its end-of-file marker.
    #[error("the pdf is truncated: no %%EOF marker at the end")]
    Truncated,
    /// The file is encrypted.
    #[error("the pdf is encrypted; encrypted pdfs are not supported")]
    Encrypted,
    /// The structure is damaged.
    #[error("malformed pdf: {0}")]
    Malformed(String),
    /// The signature did not fit the space reserved for it.
    #[error("signature of {needed} bytes does not fit the {reserved} bytes reserved")]
    ContentsTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes reserved.
        reserved: usize,
    },
}

impl From<PdfError> for Error {
    fn from(e: PdfError) -> Self {
        Error::Pdf(e)
    }
}

/// Options for [`sign_pdf`].
#[derive(Clone, Default)]
pub struct PadesOptions<'a> {
    /// Name of the new signature field (default `Signature<n>`).
    pub field_name: Option<String>,
    /// The claimed signing time written to `/M` (PAdES: not a signed
    /// attribute; the timestamp is the proof).
    pub signing_time: Option<SystemTime>,
    /// The TSA for the signature timestamp (B-T). Without it the result is B-B.
    pub timestamper: Option<&'a dyn Timestamper>,
    /// `/Reason`, e.g. "Ký ban hành".
    pub reason: Option<String>,
    /// `/Location`, e.g. "Hà Nội".
    pub location: Option<String>,
    /// `/ContactInfo`.
    pub contact_info: Option<String>,
    /// A visible appearance; `None` makes an invisible signature.
    pub appearance: Option<VisibleSignature>,
}

/// Basic shape checks that do not need a parser.
fn precheck(pdf: &[u8]) -> Result<(), PdfError> {
    let head = &pdf[..pdf.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(PdfError::NotPdf);
    }
    let tail = &pdf[pdf.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(PdfError::Truncated);
    }
    Ok(())
}

/// Parses with `lopdf`, turning its errors and any panic into typed errors.
fn load(pdf: &[u8]) -> Result<Document, PdfError> {
    precheck(pdf)?;
    let options = lopdf::LoadOptions {
        strict: false,
        ..lopdf::LoadOptions::default()
    };
    // A parser panic on hostile input must not take the node down; lopdf is
    // not audited for that, so we contain it here.
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        Document::load_mem_with_options(pdf, options)
    }))
    .map_err(|_| PdfError::Malformed("the pdf parser failed on this input".into()))?;
    let doc = match loaded {
        Ok(doc) => doc,
        Err(lopdf::Error::Decryption(_)) | Err(lopdf::Error::UnsupportedSecurityHandler(_)) => {
            return Err(PdfError::Encrypted)
        }
        // An encryption dictionary we could not open is reported as such.
        Err(_) if pdf.windows(8).any(|w| w == b"/Encrypt") => return Err(PdfError::Encrypted),
        Err(e) => return Err(PdfError::Malformed(e.to_string())),
    };
    if doc.was_encrypted() || doc.trailer.has(b"Encrypt") {
        return Err(PdfError::Encrypted);
    }
    Ok(doc)
}

fn malformed(detail: impl Into<String>) -> PdfError {
    PdfError::Malformed(detail.into())
}

fn reference(object: &Object) -> Option<ObjectId> {
    object.as_reference().ok()
}

/// Resolves a possibly indirect dictionary.
fn dict_of<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    match object {
        Object::Dictionary(d) => Some(d),
        Object::Reference(id) => doc.get_object(*id).ok().and_then(|o| o.as_dict().ok()),
        _ => None,
    }
}

/// Resolves a possibly indirect array.
fn array_of<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Vec<Object>> {
    match object {
        Object::Array(a) => Some(a),
        Object::Reference(id) => doc.get_object(*id).ok().and_then(|o| o.as_array().ok()),
        _ => None,
    }
}

/// The offset after the last `startxref` keyword, and the number there.
fn last_startxref(pdf: &[u8]) -> Option<usize> {
    let pos = pdf.windows(9).rposition(|w| w == b"startxref")?;
    let rest = &pdf[pos + 9..];
    let digits: Vec<u8> = rest
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// All signature-field names already in the form, walking `/Kids`.
fn field_names(doc: &Document, fields: &[Object], out: &mut Vec<Vec<u8>>, depth: usize) {
    if depth > 32 {
        return;
    }
    for field in fields {
        let Some(dict) = dict_of(doc, field) else {
            continue;
        };
        if let Ok(Object::String(name, _)) = dict.get(b"T") {
            out.push(name.clone());
        }
        if let Some(kids) = dict.get(b"Kids").ok().and_then(|k| array_of(doc, k)) {
            field_names(doc, kids, out, depth + 1);
        }
    }
}

/// The number of pages of a PDF (for placing a visible signature on the
/// last page, where Decree 30 puts the signer's block). Refuses what
/// [`sign_pdf`] refuses: corrupt, encrypted or oversized files.
pub fn page_count(pdf: &[u8]) -> Result<u32> {
    let doc = load(pdf)?;
    Ok(u32::try_from(doc.get_pages().len()).unwrap_or(u32::MAX))
}

/// Signs `pdf` at PAdES B-T (B-B without a timestamper) and returns the
/// signed file: the original bytes followed by one incremental update.
pub fn sign_pdf(
    pdf: &[u8],
    identity: &SignerIdentity,
    options: &PadesOptions<'_>,
) -> Result<Vec<u8>> {
    let doc = load(pdf)?;
    let root_id = doc
        .trailer
        .get(b"Root")
        .ok()
        .and_then(reference)
        .ok_or_else(|| malformed("no /Root in the trailer"))?;
    let mut catalog = doc
        .get_object(root_id)
        .and_then(Object::as_dict)
        .map_err(|_| malformed("no catalog"))?
        .clone();
    let pages = doc.get_pages();
    let page_number = options.appearance.as_ref().map_or(1, |a| a.page.max(1));
    let page_id = *pages
        .get(&page_number)
        .ok_or_else(|| malformed(format!("no page {page_number}")))?;
    let mut page = doc
        .get_object(page_id)
        .and_then(Object::as_dict)
        .map_err(|_| malformed("page is not a dictionary"))?
        .clone();
    let prev_xref = last_startxref(pdf).ok_or_else(|| malformed("no startxref"))?;
    let size = doc
        .trailer
        .get(b"Size")
        .and_then(Object::as_i64)
        .unwrap_or(0);
    let mut next_id = u32::try_from(size).unwrap_or(0).max(doc.max_id + 1);
    let mut alloc = || {
        let id = (next_id, 0u16);
        next_id += 1;
        id
    };

    // The existing form, which may be inline in the catalog or indirect.
    let acroform_ref = catalog.get(b"AcroForm").ok().and_then(reference);
    let mut acroform = catalog
        .get(b"AcroForm")
        .ok()
        .and_then(|o| dict_of(&doc, o))
        .cloned()
        .unwrap_or_default();
    let mut fields = acroform
        .get(b"Fields")
        .ok()
        .and_then(|f| array_of(&doc, f))
        .cloned()
        .unwrap_or_default();
    let mut names = Vec::new();
    field_names(&doc, &fields, &mut names, 0);
    let field_name = match &options.field_name {
        Some(name) if names.contains(&pdf_text_string(name)) => {
            return Err(malformed(format!("a field named {name:?} already exists")).into())
        }
        Some(name) => name.clone(),
        None => (1..)
            .map(|n| format!("Signature{n}"))
            .find(|n| !names.contains(&pdf_text_string(n)))
            .unwrap_or_default(),
    };

    let sig_id = alloc();
    let widget_id = alloc();
    let mut objects: Vec<(ObjectId, Vec<u8>)> = Vec::new();

    // Appearance (visible signature) objects.
    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    widget.set(
        "T",
        Object::String(
            pdf_text_string(&field_name),
            lopdf::StringFormat::Hexadecimal,
        ),
    );
    widget.set("V", Object::Reference(sig_id));
    widget.set("P", Object::Reference(page_id));
    // Print + Locked (PDF 32000 12.5.3): shown when printed, not movable.
    widget.set("F", Object::Integer(132));
    match &options.appearance {
        Some(visible) => {
            let built = appearance::build(visible, identity, options.signing_time, &mut alloc)?;
            widget.set(
                "Rect",
                built
                    .rect
                    .iter()
                    .map(|v| Object::Real(*v))
                    .collect::<Vec<_>>(),
            );
            let mut ap = Dictionary::new();
            ap.set("N", Object::Reference(built.form_id));
            widget.set("AP", Object::Dictionary(ap));
            objects.extend(built.objects);
        }
        None => {
            widget.set(
                "Rect",
                vec![
                    Object::Integer(0),
                    Object::Integer(0),
                    Object::Integer(0),
                    Object::Integer(0),
                ],
            );
        }
    }
    objects.push((widget_id, serialize(&Object::Dictionary(widget))));

    // The page gains the widget in /Annots (rewriting the array object if
    // the page refers to one).
    match page.get(b"Annots").ok().cloned() {
        Some(Object::Reference(annots_id)) => {
            let mut annots = doc
                .get_object(annots_id)
                .and_then(Object::as_array)
                .cloned()
                .unwrap_or_default();
            annots.push(Object::Reference(widget_id));
            objects.push((annots_id, serialize(&Object::Array(annots))));
        }
        Some(Object::Array(mut annots)) => {
            annots.push(Object::Reference(widget_id));
            page.set("Annots", Object::Array(annots));
            objects.push((page_id, serialize(&Object::Dictionary(page))));
        }
        _ => {
            page.set("Annots", Object::Array(vec![Object::Reference(widget_id)]));
            objects.push((page_id, serialize(&Object::Dictionary(page))));
        }
    }

    // The form gains the field; SigFlags 3 = SignaturesExist | AppendOnly.
    fields.push(Object::Reference(widget_id));
    match acroform.get(b"Fields").ok().cloned() {
        Some(Object::Reference(fields_id)) => {
            objects.push((fields_id, serialize(&Object::Array(fields))))
        }
        _ => acroform.set("Fields", Object::Array(fields)),
    }
    acroform.set("SigFlags", Object::Integer(3));
    match acroform_ref {
        Some(id) => objects.push((id, serialize(&Object::Dictionary(acroform)))),
        None => {
            catalog.set("AcroForm", Object::Dictionary(acroform));
            objects.push((root_id, serialize(&Object::Dictionary(catalog))));
        }
    }

    // Reserve room for the CMS: certificates, signature and a token, with
    // slack; retried with more room if a large external token overflows it.
    let cert_bytes: usize = identity.certificate().to_der().len()
        + identity
            .chain()
            .iter()
            .map(|c| c.to_der().len())
            .sum::<usize>();
    let mut reserved = (cert_bytes
        + 1024
        + if options.timestamper.is_some() {
            8192
        } else {
            0
        })
    .next_multiple_of(1024);
    for _ in 0..3 {
        match write_signed(
            pdf, &doc, sig_id, &objects, options, identity, root_id, prev_xref, next_id, reserved,
        ) {
            Err(Error::Pdf(PdfError::ContentsTooSmall { needed, .. })) => {
                reserved = (needed * 2).next_multiple_of(1024)
            }
            other => return other,
        }
    }
    Err(malformed("signature does not fit").into())
}

#[allow(clippy::too_many_arguments)]
fn write_signed(
    pdf: &[u8],
    doc: &Document,
    sig_id: ObjectId,
    objects: &[(ObjectId, Vec<u8>)],
    options: &PadesOptions<'_>,
    identity: &SignerIdentity,
    root_id: ObjectId,
    prev_xref: usize,
    size: u32,
    reserved: usize,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(pdf.len() + reserved * 2 + 4096);
    out.extend_from_slice(pdf);
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets: Vec<(ObjectId, usize)> = Vec::new();

    // The signature dictionary, with placeholders at known offsets.
    offsets.push((sig_id, out.len()));
    out.extend_from_slice(
        format!(
            "{} {} obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached",
            sig_id.0, sig_id.1
        )
        .as_bytes(),
    );
    out.extend_from_slice(b"/ByteRange [");
    let byte_range_at = out.len();
    out.extend_from_slice(&[b' '; 43]);
    out.extend_from_slice(b"]/Contents <");
    let contents_start = out.len() - 1;
    out.extend(std::iter::repeat_n(b'0', reserved * 2));
    out.push(b'>');
    let contents_end = out.len();
    if let Some(time) = options.signing_time {
        out.extend_from_slice(b"/M ");
        out.extend_from_slice(&serialize(&Object::String(
            pdf_date(time).into_bytes(),
            lopdf::StringFormat::Literal,
        )));
    }
    for (key, value) in [
        ("Name", identity.certificate().common_name()),
        ("Reason", options.reason.clone()),
        ("Location", options.location.clone()),
        ("ContactInfo", options.contact_info.clone()),
    ] {
        if let Some(value) = value {
            out.extend_from_slice(format!("/{key} ").as_bytes());
            out.extend_from_slice(&serialize(&Object::String(
                pdf_text_string(&value),
                lopdf::StringFormat::Hexadecimal,
            )));
        }
    }
    out.extend_from_slice(b">>\nendobj\n");

    for (id, body) in objects {
        offsets.push((*id, out.len()));
        out.extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }

    // Cross-reference section in the style of the original file.
    let xref_at = out.len();
    let uses_xref_stream = pdf
        .get(prev_xref..)
        .is_some_and(|rest| !rest.starts_with(b"xref"));
    let mut trailer = Dictionary::new();
    trailer.set("Root", Object::Reference(root_id));
    trailer.set(
        "Prev",
        Object::Integer(i64::try_from(prev_xref).unwrap_or(0)),
    );
    if let Ok(info) = doc.trailer.get(b"Info") {
        trailer.set("Info", info.clone());
    }
    if let Ok(id) = doc.trailer.get(b"ID") {
        trailer.set("ID", id.clone());
    }
    if uses_xref_stream {
        let xref_id = (size, 0u16);
        offsets.push((xref_id, xref_at));
        trailer.set("Size", Object::Integer(i64::from(size) + 1));
        syntax::write_xref_stream(&mut out, xref_id, &mut offsets, trailer);
    } else {
        trailer.set("Size", Object::Integer(i64::from(size)));
        syntax::write_xref_table(&mut out, &mut offsets, &trailer);
    }
    out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());

    // Fill in /ByteRange, then digest the two ranges and sign.
    let ranges = [0, contents_start, contents_end, out.len() - contents_end];
    let text = format!("{} {} {} {}", ranges[0], ranges[1], ranges[2], ranges[3]);
    if text.len() > 43 {
        return Err(malformed("file too large for the byte range field").into());
    }
    out[byte_range_at..byte_range_at + text.len()].copy_from_slice(text.as_bytes());
    let digest = Sha256::new()
        .chain_update(&out[..contents_start])
        .chain_update(&out[contents_end..])
        .finalize();
    let cms = build_signed_data(&SignedDataParams {
        identity,
        econtent_type: oids::CMS_DATA,
        econtent: None,
        content_digest: &digest,
        // PAdES baseline: no signing-time attribute; /M carries the claim.
        signing_time: None,
        timestamper: options.timestamper,
        include_chain: true,
    })?;
    if cms.len() > reserved {
        return Err(PdfError::ContentsTooSmall {
            needed: cms.len(),
            reserved,
        }
        .into());
    }
    let hex = crate::cert::hex(&cms);
    out[contents_start + 1..contents_start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

/// One signature found in a PDF.
struct FoundSignature {
    field_name: String,
    sig: Dictionary,
}

fn find_signatures(doc: &Document) -> Vec<FoundSignature> {
    let mut found = Vec::new();
    let Some(acroform) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"AcroForm").ok())
        .and_then(|a| dict_of(doc, a))
    else {
        return found;
    };
    let Some(fields) = acroform.get(b"Fields").ok().and_then(|f| array_of(doc, f)) else {
        return found;
    };
    collect_signature_fields(doc, fields, "", &mut found, 0);
    found
}

fn collect_signature_fields(
    doc: &Document,
    fields: &[Object],
    prefix: &str,
    out: &mut Vec<FoundSignature>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    for field in fields {
        let Some(dict) = dict_of(doc, field) else {
            continue;
        };
        let partial = match dict.get(b"T") {
            Ok(Object::String(bytes, _)) => syntax::decode_text_string(bytes),
            _ => String::new(),
        };
        let name = match (prefix.is_empty(), partial.is_empty()) {
            (true, _) => partial,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{partial}"),
        };
        let is_sig = matches!(dict.get(b"FT"), Ok(Object::Name(n)) if n == b"Sig");
        if is_sig {
            if let Some(sig) = dict.get(b"V").ok().and_then(|v| dict_of(doc, v)) {
                out.push(FoundSignature {
                    field_name: name.clone(),
                    sig: sig.clone(),
                });
            }
        }
        if let Some(kids) = dict.get(b"Kids").ok().and_then(|k| array_of(doc, k)) {
            collect_signature_fields(doc, kids, &name, out, depth + 1);
        }
    }
}

fn invalid_signature(field_name: &str, reason: Reason, now: SystemTime) -> SignatureReport {
    SignatureReport {
        field_name: Some(field_name.to_string()),
        verdict: verdict_of(std::slice::from_ref(&reason)),
        reasons: vec![reason],
        details: SignatureDetails {
            validation_time: rfc3339(now),
            ..SignatureDetails::default()
        },
    }
}

/// Verifies every signature in `pdf`. Set `options.require_timestamp` to
/// demand PAdES B-T. Fails only when the file cannot be read as a PDF at
/// all; problems with signatures are reasons in the report.
pub fn verify_pdf(pdf: &[u8], options: &VerifyOptions) -> Result<ValidationReport> {
    let doc = load(pdf)?;
    let signatures = find_signatures(&doc);
    if signatures.is_empty() {
        return Ok(ValidationReport::new(
            vec![Reason::new(
                "NO_SIGNATURES",
                Severity::Invalid,
                "Văn bản không có chữ ký số nào.",
                "the document has no signatures",
            )],
            vec![],
        ));
    }
    let mut reports = Vec::new();
    for found in &signatures {
        reports.push(verify_one(pdf, &doc, found, options));
    }
    Ok(ValidationReport::new(Vec::new(), reports))
}

fn byte_range_error(field: &str, detail: &str, now: SystemTime) -> SignatureReport {
    invalid_signature(
        field,
        Reason::new(
            "PDF_BYTERANGE_INVALID",
            Severity::Invalid,
            "Phạm vi dữ liệu được ký trong tệp PDF không hợp lệ; chữ ký không bảo vệ đúng văn bản.",
            format!("the signature's /ByteRange is not valid: {detail}"),
        ),
        now,
    )
}

fn verify_one(
    pdf: &[u8],
    doc: &Document,
    found: &FoundSignature,
    options: &VerifyOptions,
) -> SignatureReport {
    let field = found.field_name.as_str();
    let sig = &found.sig;
    let ranges: Vec<i64> = match sig.get(b"ByteRange").ok().and_then(|r| array_of(doc, r)) {
        Some(items) => items.iter().filter_map(|o| o.as_i64().ok()).collect(),
        None => return byte_range_error(field, "missing", options.now),
    };
    let [a, b, c, d] = ranges[..] else {
        return byte_range_error(field, "not four integers", options.now);
    };
    let len = i64::try_from(pdf.len()).unwrap_or(i64::MAX);
    if a != 0 || b < 0 || c <= b || d < 0 || c.checked_add(d).is_none_or(|end| end > len) {
        return byte_range_error(
            field,
            &format!("[{a} {b} {c} {d}] does not fit the file of {len} bytes"),
            options.now,
        );
    }
    let (b, c, d) = (b as usize, c as usize, d as usize);
    let contents = match sig.get(b"Contents") {
        Ok(Object::String(bytes, _)) => bytes.clone(),
        _ => return byte_range_error(field, "no /Contents string", options.now),
    };
    // The gap must be exactly this signature's /Contents hex string.
    let gap = &pdf[b..c];
    let hex_ok = gap.first() == Some(&b'<')
        && gap.last() == Some(&b'>')
        && syntax::decode_hex(&gap[1..gap.len() - 1]).is_some_and(|bytes| bytes == contents);
    if !hex_ok {
        return byte_range_error(
            field,
            "the excluded range is not the /Contents value",
            options.now,
        );
    }
    let (first, second) = (&pdf[..b], &pdf[c..c + d]);
    let digest_of = |alg: DigestAlgorithm| alg.digest_parts(&[first, second]);
    // DER of the CMS, without the zero padding that fills the reservation.
    let cms = match cms::content_info::ContentInfo::from_der_partial_bytes(&contents) {
        Some(cms) => cms,
        None => {
            return invalid_signature(
                field,
                Reason::new(
                    "MALFORMED_SIGNATURE",
                    Severity::Invalid,
                    "Chữ ký trong tệp PDF bị hỏng.",
                    "the CMS signature in /Contents is corrupt",
                ),
                options.now,
            )
        }
    };
    let sub_filter = match sig.get(b"SubFilter") {
        Ok(Object::Name(name)) => name.clone(),
        _ => Vec::new(),
    };
    let mut report = if sub_filter == b"ETSI.RFC3161" {
        document_timestamp(cms, &digest_of, options)
    } else if sub_filter == b"ETSI.CAdES.detached" || sub_filter == b"adbe.pkcs7.detached" {
        match read_signed_data(cms) {
            Ok(signed_data) => {
                let mut pool = crate::verify::embedded(&signed_data);
                pool.extend(options.extra_certificates.iter().cloned());
                let claimed = match sig.get(b"M") {
                    Ok(Object::String(bytes, _)) => syntax::parse_pdf_date(bytes),
                    _ => None,
                };
                match signed_data.signer_infos.0.get(0) {
                    Some(signer_info) => check_one_signer(
                        &signed_data,
                        signer_info,
                        &digest_of,
                        &pool,
                        options,
                        claimed,
                        crate::verify::raw_attrs_for(
                            &crate::verify::raw_signed_attributes(cms).unwrap_or_default(),
                            signer_info,
                        ),
                    ),
                    None => invalid_signature(
                        field,
                        Reason::new(
                            "NO_SIGNER",
                            Severity::Invalid,
                            "Chữ ký không có người ký.",
                            "the CMS has no signer",
                        ),
                        options.now,
                    ),
                }
            }
            Err(reason) => invalid_signature(field, reason, options.now),
        }
    } else {
        invalid_signature(
            field,
            Reason::new(
                "UNSUPPORTED_SIGNATURE_FORMAT",
                Severity::Indeterminate,
                "Định dạng chữ ký trong tệp PDF không được hỗ trợ.",
                format!(
                    "unsupported /SubFilter {}",
                    String::from_utf8_lossy(&sub_filter)
                ),
            ),
            options.now,
        )
    };
    report.field_name = Some(field.to_string());

    // What the file holds after the signed revision.
    let end = c + d;
    if pdf[end..].iter().all(u8::is_ascii_whitespace) {
        report.reasons.push(Reason::new(
            "PDF_COVERS_WHOLE_FILE",
            Severity::Passed,
            "Chữ ký bao trùm toàn bộ tệp PDF.",
            "the signature covers the whole file",
        ));
    } else {
        match diff::changes_after(&pdf[..end], doc) {
            Ok(changes) if changes.is_empty() => report.reasons.push(Reason::new(
                "PDF_LATER_SIGNATURES_ONLY",
                Severity::Note,
                "Sau chữ ký này, tệp PDF chỉ được bổ sung chữ ký hoặc dấu thời gian khác.",
                "later revisions only add signatures or timestamps",
            )),
            Ok(changes) => report.reasons.push(Reason::new(
                "PDF_MODIFIED_AFTER_SIGNING",
                Severity::Invalid,
                "Văn bản PDF đã bị sửa đổi sau khi ký.",
                format!(
                    "the document was modified after this signature: {}",
                    changes.join("; ")
                ),
            )),
            Err(e) => report.reasons.push(Reason::new(
                "PDF_MODIFIED_AFTER_SIGNING",
                Severity::Invalid,
                "Văn bản PDF đã bị thêm nội dung sau khi ký và không phân tích được phần thêm.",
                format!("the document has later revisions that cannot be analysed: {e}"),
            )),
        }
    }
    report.verdict = verdict_of(&report.reasons);
    report
}

fn document_timestamp(
    cms: &[u8],
    digest_of: &dyn Fn(DigestAlgorithm) -> Vec<u8>,
    options: &VerifyOptions,
) -> SignatureReport {
    let outcome = check_timestamp(cms, digest_of, options);
    let mut details = SignatureDetails {
        validation_time: rfc3339(options.now),
        ..SignatureDetails::default()
    };
    if let Some(ts) = &outcome.details {
        details.signer_subject.clone_from(&ts.tsa);
        details.chain.clone_from(&ts.chain);
    }
    details.timestamp = outcome.details;
    SignatureReport {
        field_name: None,
        verdict: verdict_of(&outcome.reasons),
        reasons: outcome.reasons,
        details,
    }
}

/// Finds the DER element at the start of a zero-padded buffer.
trait FromDerPartialBytes {
    fn from_der_partial_bytes(bytes: &[u8]) -> Option<&[u8]>;
}

impl FromDerPartialBytes for cms::content_info::ContentInfo {
    fn from_der_partial_bytes(bytes: &[u8]) -> Option<&[u8]> {
        use der::Decode;
        let (_, rest) = cms::content_info::ContentInfo::from_der_partial(bytes).ok()?;
        if !rest.iter().all(|b| *b == 0) {
            return None;
        }
        bytes.get(..bytes.len() - rest.len())
    }
}

/// [`bench_pades`] with a throwaway PKI made for the run: a P-256 root, an
/// RSA-2048 document signer and a P-256 TSA, signing `pdf` (or, if `None`,
/// a generated one-page PDF). This is what `congso bench documents` calls.
pub fn bench_pades_throwaway(
    pdf: Option<&[u8]>,
    documents: usize,
    threads: usize,
) -> Result<PadesBench> {
    use crate::{CertificateAuthority, CertificateProfile, KeyAlgorithm, SubjectName};
    let now = SystemTime::now();
    let year = std::time::Duration::from_secs(365 * 86_400);
    let ca = CertificateAuthority::create_root(
        &SubjectName::new("Bench CA"),
        KeyAlgorithm::EcdsaP256,
        now,
        year,
    )?;
    let tsa = crate::TimestampAuthority::new(
        ca.issue_identity(
            &SubjectName::new("Bench TSA"),
            CertificateProfile::TimeStamping,
            KeyAlgorithm::EcdsaP256,
            now,
            year,
        )?,
        crate::DEFAULT_TSA_POLICY,
    )?;
    let signer = ca.issue_identity(
        &SubjectName::new("Bench Signer"),
        CertificateProfile::DocumentSigning,
        KeyAlgorithm::Rsa2048,
        now,
        year,
    )?;
    let generated;
    let pdf = match pdf {
        Some(pdf) => pdf,
        None => {
            generated = one_page_pdf();
            &generated
        }
    };
    bench_pades(
        pdf,
        &signer,
        &tsa,
        vec![ca.certificate().clone()],
        documents,
        threads,
    )
}

/// A minimal one-page PDF with a classic cross-reference table.
fn one_page_pdf() -> Vec<u8> {
    let stream = "BT /F1 18 Tf 72 720 Td (Congso benchmark document) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
    ];
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// Throughput measured by [`bench_pades`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PadesBench {
    /// Documents signed and then verified.
    pub documents: usize,
    /// Worker threads used for each phase.
    pub threads: usize,
    /// Size of one signed document in bytes.
    pub signed_size: usize,
    /// PAdES B-T signatures per second (signature + in-process timestamp).
    pub signed_per_second: f64,
    /// Full verifications per second (digest, CMS, chain, timestamp, coverage).
    pub verified_per_second: f64,
}

/// A ready-made benchmark for `congso bench documents`: signs `documents`
/// copies of `pdf` at B-T with `identity` and timestamps from `tsa` (in
/// process), then verifies each against `trust_anchors`, spreading each
/// phase over `threads` threads. Fails if any document does not verify,
/// so a fast but broken run cannot report numbers.
pub fn bench_pades(
    pdf: &[u8],
    identity: &SignerIdentity,
    tsa: &crate::TimestampAuthority,
    trust_anchors: Vec<crate::Certificate>,
    documents: usize,
    threads: usize,
) -> Result<PadesBench> {
    let threads = threads.max(1);
    let now = SystemTime::now();
    let timestamper = tsa.at(now);
    let per_thread = documents.div_ceil(threads);
    let started = std::time::Instant::now();
    let signed: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|index| {
                // Spread `documents` exactly: the first threads take one more.
                let count = documents / threads + usize::from(index < documents % threads);
                let timestamper = &timestamper;
                scope.spawn(move || -> Result<Vec<Vec<u8>>> {
                    let options = PadesOptions {
                        signing_time: Some(now),
                        timestamper: Some(timestamper),
                        ..PadesOptions::default()
                    };
                    (0..count)
                        .map(|_| sign_pdf(pdf, identity, &options))
                        .collect()
                })
            })
            .collect();
        let mut all = Vec::new();
        for worker in workers {
            let batch = worker
                .join()
                .map_err(|_| Error::Pdf(malformed("benchmark worker panicked")))??;
            all.extend(batch);
        }
        Ok::<_, Error>(all)
    })?;
    let signed_per_second = signed.len() as f64 / started.elapsed().as_secs_f64();
    let options = VerifyOptions {
        require_timestamp: true,
        ..VerifyOptions::new(trust_anchors, now)
    };
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = signed
            .chunks(per_thread.max(1))
            .map(|chunk| {
                let options = &options;
                scope.spawn(move || -> Result<()> {
                    for file in chunk {
                        let report = verify_pdf(file, options)?;
                        if !report.is_valid() {
                            let failed: Vec<_> = report
                                .all_reasons()
                                .filter(|r| r.severity > Severity::Note)
                                .map(|r| r.en.clone())
                                .collect();
                            return Err(Error::Pdf(malformed(format!(
                                "benchmark document did not verify: {:?}: {}",
                                report.verdict,
                                failed.join("; ")
                            ))));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| Error::Pdf(malformed("benchmark worker panicked")))??;
        }
        Ok::<_, Error>(())
    })?;
    let verified_per_second = signed.len() as f64 / started.elapsed().as_secs_f64();
    Ok(PadesBench {
        documents: signed.len(),
        threads,
        signed_size: signed.first().map_or(0, Vec::len),
        signed_per_second,
        verified_per_second,
    })
}
