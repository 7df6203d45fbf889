//! PDF object syntax for the incremental updates we append: serialising
//! `lopdf` objects, text strings, dates and cross-reference sections.

use std::time::SystemTime;

use lopdf::{Dictionary, Object, ObjectId, StringFormat};

/// Serialises one object in PDF syntax.
pub(crate) fn serialize(object: &Object) -> Vec<u8> {
    let mut out = Vec::new();
    write(object, &mut out);
    out
}

fn write(object: &Object, out: &mut Vec<u8>) {
    match object {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => {
            // PDF reals have no exponent form.
            let text = format!("{r:.4}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            out.extend_from_slice(if text.is_empty() || text == "-" {
                b"0"
            } else {
                text.as_bytes()
            });
        }
        Object::Name(name) => write_name(name, out),
        Object::String(bytes, StringFormat::Hexadecimal) => {
            out.push(b'<');
            out.extend_from_slice(crate::cert::hex(bytes).as_bytes());
            out.push(b'>');
        }
        Object::String(bytes, StringFormat::Literal) => {
            out.push(b'(');
            for &b in bytes {
                match b {
                    b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    _ => out.push(b),
                }
            }
            out.push(b')');
        }
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write(item, out);
            }
            out.push(b']');
        }
        Object::Dictionary(dict) => write_dict(dict, out),
        Object::Stream(stream) => {
            let mut dict = stream.dict.clone();
            dict.set(
                "Length",
                Object::Integer(i64::try_from(stream.content.len()).unwrap_or(0)),
            );
            write_dict(&dict, out);
            out.extend_from_slice(b"\nstream\n");
            out.extend_from_slice(&stream.content);
            out.extend_from_slice(b"\nendstream");
        }
        Object::Reference((id, generation)) => {
            out.extend_from_slice(format!("{id} {generation} R").as_bytes())
        }
    }
}

fn write_dict(dict: &Dictionary, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<<");
    for (key, value) in dict.iter() {
        write_name(key, out);
        out.push(b' ');
        write(value, out);
    }
    out.extend_from_slice(b">>");
}

fn write_name(name: &[u8], out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in name {
        let regular = b.is_ascii_graphic() && !b"#/()<>[]{}%".contains(&b);
        if regular {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

/// A PDF text string: ASCII as is, anything else as UTF-16BE with a BOM.
pub(crate) fn pdf_text_string(text: &str) -> Vec<u8> {
    if text.is_ascii() {
        return text.as_bytes().to_vec();
    }
    let mut out = vec![0xfe, 0xff];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out
}

/// Decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, or
/// PDFDocEncoding read as Latin-1, which is right for the ASCII range).
pub(crate) fn decode_text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Decodes the hex digits between `<` and `>` (whitespace allowed, odd
/// length padded with 0 as the PDF specification says).
pub(crate) fn decode_hex(text: &[u8]) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(digits.len() / 2 + 1);
    for pair in digits.chunks(2) {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = match pair.get(1) {
            Some(&b) => char::from(b).to_digit(16)?,
            None => 0,
        };
        out.push(u8::try_from(hi * 16 + lo).ok()?);
    }
    Some(out)
}

/// `D:YYYYMMDDHHmmSSZ` (UTC).
pub(crate) fn pdf_date(time: SystemTime) -> String {
    match der::DateTime::from_system_time(time) {
        Ok(dt) => format!(
            "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minutes(),
            dt.seconds()
        ),
        Err(_) => "D:19700101000000Z".into(),
    }
}

/// Reads a PDF date (`D:YYYYMMDDHHmmSS` with optional `Z` or `+HH'mm'`).
pub(crate) fn parse_pdf_date(bytes: &[u8]) -> Option<SystemTime> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix("D:").unwrap_or(text);
    let digits = |r: std::ops::Range<usize>, default: u16| -> Option<u16> {
        match text.get(r) {
            Some(s) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => s.parse().ok(),
            Some(_) => None,
            None => Some(default),
        }
    };
    let year = digits(0..4, 0)?;
    let dt = der::DateTime::new(
        year,
        u8::try_from(digits(4..6, 1)?).ok()?,
        u8::try_from(digits(6..8, 1)?).ok()?,
        u8::try_from(digits(8..10, 0)?).ok()?,
        u8::try_from(digits(10..12, 0)?).ok()?,
        u8::try_from(digits(12..14, 0)?).ok()?,
    )
    .ok()?;
    let mut time = dt.to_system_time();
    // Offsets: local time = UTC + offset, so UTC = local - offset.
    if let Some(rest) = text.get(14..) {
        let sign = rest.chars().next();
        let hours: u64 = rest.get(1..3).and_then(|h| h.parse().ok()).unwrap_or(0);
        let minutes: u64 = rest.get(4..6).and_then(|m| m.parse().ok()).unwrap_or(0);
        let offset = std::time::Duration::from_secs(hours * 3600 + minutes * 60);
        match sign {
            Some('+') => time = time.checked_sub(offset)?,
            Some('-') => time = time.checked_add(offset)?,
            _ => {}
        }
    }
    Some(time)
}

/// Groups sorted object numbers into consecutive runs: (first, count).
fn runs(offsets: &[(ObjectId, usize)]) -> Vec<(u32, Vec<usize>)> {
    let mut runs: Vec<(u32, Vec<usize>)> = Vec::new();
    for &((id, _), offset) in offsets {
        match runs.last_mut() {
            Some((first, items))
                if *first + u32::try_from(items.len()).unwrap_or(u32::MAX) == id =>
            {
                items.push(offset)
            }
            _ => runs.push((id, vec![offset])),
        }
    }
    runs
}

/// Writes a classic `xref` table and trailer.
pub(crate) fn write_xref_table(
    out: &mut Vec<u8>,
    offsets: &mut [(ObjectId, usize)],
    trailer: &Dictionary,
) {
    offsets.sort_by_key(|(id, _)| *id);
    out.extend_from_slice(b"xref\n");
    for (first, items) in runs(offsets) {
        out.extend_from_slice(format!("{first} {}\n", items.len()).as_bytes());
        for offset in items {
            // Each entry is exactly 20 bytes: "nnnnnnnnnn ggggg n\r\n".
            out.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes());
        }
    }
    out.extend_from_slice(b"trailer\n");
    write_dict(trailer, out);
    out.push(b'\n');
}

/// Writes a cross-reference stream object (for files whose previous
/// section is one), which also carries the trailer entries.
pub(crate) fn write_xref_stream(
    out: &mut Vec<u8>,
    xref_id: ObjectId,
    offsets: &mut [(ObjectId, usize)],
    mut trailer: Dictionary,
) {
    offsets.sort_by_key(|(id, _)| *id);
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (first, items) in runs(offsets) {
        index.push(Object::Integer(i64::from(first)));
        index.push(Object::Integer(i64::try_from(items.len()).unwrap_or(0)));
        for offset in items {
            // Type 1 entry: W = [1 4 2].
            data.push(1u8);
            data.extend_from_slice(&u32::try_from(offset).unwrap_or(u32::MAX).to_be_bytes());
            data.extend_from_slice(&[0, 0]);
        }
    }
    trailer.set("Type", Object::Name(b"XRef".to_vec()));
    trailer.set(
        "W",
        vec![Object::Integer(1), Object::Integer(4), Object::Integer(2)],
    );
    trailer.set("Index", Object::Array(index));
    let stream = lopdf::Stream::new(trailer, data);
    out.extend_from_slice(format!("{} {} obj\n", xref_id.0, xref_id.1).as_bytes());
    write(&Object::Stream(stream), out);
    out.extend_from_slice(b"\nendobj\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_915_425);
        assert_eq!(pdf_date(t), "D:20261129012345Z");
        assert_eq!(parse_pdf_date(pdf_date(t).as_bytes()), Some(t));
        assert_eq!(parse_pdf_date(b"D:20261129082345+07'00'"), Some(t));
        assert_eq!(
            parse_pdf_date(b"D:2026"),
            Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600))
        );
        assert_eq!(parse_pdf_date(b"D:20xx"), None);
    }

    #[test]
    fn text_strings_and_names() {
        assert_eq!(decode_text_string(&pdf_text_string("Chữ ký 1")), "Chữ ký 1");
        assert_eq!(pdf_text_string("Sig"), b"Sig");
        assert_eq!(serialize(&Object::Name(b"A B#".to_vec())), b"/A#20B#23");
        assert_eq!(
            serialize(&Object::String(b"a(b)\\".to_vec(), StringFormat::Literal)),
            b"(a\\(b\\)\\\\)"
        );
        assert_eq!(serialize(&Object::Real(1.5)), b"1.5");
        assert_eq!(serialize(&Object::Real(2.0)), b"2");
        assert_eq!(decode_hex(b"0A b"), Some(vec![0x0a, 0xb0]));
        assert_eq!(decode_hex(b"zz"), None);
    }
}
