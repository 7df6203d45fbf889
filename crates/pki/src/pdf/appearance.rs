//! Visible signature appearances: a box of Vietnamese text (signer, position,
//! organisation, time) drawn with an embedded subset of Liberation Serif
//! (metric-compatible with Times New Roman, which Decree 30/2020 asks for),
//! as a Type 0 font with Identity-H encoding and a ToUnicode map so the text
//! can be copied and searched.
//!
//! The font subset and its glyph table are generated once by
//! `assets/make_font_subset.py`; see that script for the character set.

use std::time::SystemTime;

use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};

use super::syntax::serialize;
use crate::ca::SignerIdentity;
use crate::error::Result;

#[path = "../../assets/signature_font_glyphs.rs"]
mod glyphs;

const FONT: &[u8] = include_bytes!("../../assets/signature-font.ttf");

/// Where and what to draw for a visible signature.
#[derive(Debug, Clone, PartialEq)]
pub struct VisibleSignature {
    /// 1-based page number.
    pub page: u32,
    /// Box in PDF points: lower-left x, lower-left y, upper-right x, upper-right y.
    pub rect: [f32; 4],
    /// Lines of text; `None` draws the default lines (see [`VisibleSignature::default_lines`]).
    pub lines: Option<Vec<String>>,
    /// Font size in points (Decree 30: size 10 for signature information);
    /// reduced automatically when a line would not fit.
    pub font_size: f32,
}

impl VisibleSignature {
    /// The signer's block on an A4 portrait page, where Decree 30/2020
    /// Appendix I puts the signature of the competent person: right half of
    /// the page, below the body text (here 70 mm above the bottom edge).
    pub fn decree30(page: u32) -> Self {
        Self {
            page,
            rect: [318.0, 140.0, 560.0, 210.0],
            lines: None,
            font_size: 10.0,
        }
    }

    /// The default text: "Ký bởi", "Chức vụ", "Cơ quan", "Thời gian ký"
    /// (Vietnam time, ISO 8601 offset, as Appendix I asks).
    pub fn default_lines(
        identity: &SignerIdentity,
        signing_time: Option<SystemTime>,
    ) -> Vec<String> {
        let cert = identity.certificate();
        let mut lines = vec![format!(
            "Ký bởi: {}",
            cert.common_name().unwrap_or_else(|| cert.subject())
        )];
        if let Some(title) = crate::cert::name_attribute(cert.subject_name(), crate::oids::AT_TITLE)
        {
            lines.push(format!("Chức vụ: {title}"));
        }
        if let Some(org) = cert.organization() {
            lines.push(format!("Cơ quan: {org}"));
        }
        if let Some(time) = signing_time {
            lines.push(format!("Thời gian ký: {}", vietnam_time(time)));
        }
        lines
    }
}

/// `29/11/2026 08:23:45 +07:00`.
fn vietnam_time(time: SystemTime) -> String {
    let local = time + std::time::Duration::from_secs(7 * 3600);
    match der::DateTime::from_system_time(local) {
        Ok(dt) => format!(
            "{:02}/{:02}/{} {:02}:{:02}:{:02} +07:00",
            dt.day(),
            dt.month(),
            dt.year(),
            dt.hour(),
            dt.minutes(),
            dt.seconds()
        ),
        Err(_) => String::new(),
    }
}

pub(crate) struct Built {
    pub rect: [f32; 4],
    pub form_id: ObjectId,
    pub objects: Vec<(ObjectId, Vec<u8>)>,
}

fn glyph(c: char) -> (u16, u16) {
    match glyphs::GLYPHS.binary_search_by_key(&c, |(ch, _, _)| *ch) {
        Ok(index) => (glyphs::GLYPHS[index].1, glyphs::GLYPHS[index].2),
        Err(_) => (0, glyphs::NOTDEF_ADVANCE),
    }
}

/// Width of `text` at `size` points.
fn text_width(text: &str, size: f32) -> f32 {
    let units: u32 = text.chars().map(|c| u32::from(glyph(c).1)).sum();
    units as f32 * size / f32::from(glyphs::UNITS_PER_EM)
}

fn compressed(dict: Dictionary, content: Vec<u8>) -> Vec<u8> {
    let mut stream = Stream::new(dict, content);
    // Compression failure only leaves the stream uncompressed.
    let _ = stream.compress();
    serialize(&Object::Stream(stream))
}

pub(crate) fn build(
    visible: &VisibleSignature,
    identity: &SignerIdentity,
    signing_time: Option<SystemTime>,
    alloc: &mut dyn FnMut() -> ObjectId,
) -> Result<Built> {
    let [x1, y1, x2, y2] = visible.rect;
    let (width, height) = ((x2 - x1).abs(), (y2 - y1).abs());
    let lines = visible
        .lines
        .clone()
        .unwrap_or_else(|| VisibleSignature::default_lines(identity, signing_time));
    let padding = 4.0;
    // Shrink the font until the widest line and all lines fit the box.
    let mut size = if visible.font_size > 0.0 {
        visible.font_size
    } else {
        10.0
    };
    let count = lines.len().max(1) as f32;
    while size > 4.0 {
        let widest = lines
            .iter()
            .map(|l| text_width(l, size))
            .fold(0.0, f32::max);
        if widest <= width - 2.0 * padding && count * size * 1.2 <= height - 2.0 * padding {
            break;
        }
        size -= 0.5;
    }

    let mut used: Vec<(u16, u16, char)> = Vec::new();
    let mut content = String::new();
    // A thin blue frame, then blue text (Decree 30 uses blue for signature
    // information).
    content.push_str(&format!(
        "q 0 0 0.55 RG 0.6 w 0.5 0.5 {:.2} {:.2} re S Q\n",
        width - 1.0,
        height - 1.0
    ));
    content.push_str("q 0 0 0.55 rg BT\n");
    content.push_str(&format!("/F1 {size:.2} Tf\n"));
    let line_height = size * 1.2;
    let mut y = height - padding - size;
    for line in &lines {
        let mut hex = String::new();
        for c in line.chars() {
            let (gid, advance) = glyph(c);
            hex.push_str(&format!("{gid:04X}"));
            if !used.iter().any(|(g, _, _)| *g == gid) {
                used.push((gid, advance, c));
            }
        }
        content.push_str(&format!("1 0 0 1 {padding:.2} {y:.2} Tm <{hex}> Tj\n"));
        y -= line_height;
    }
    content.push_str("ET Q\n");
    used.sort_unstable();

    let font_file_id = alloc();
    let descriptor_id = alloc();
    let cid_font_id = alloc();
    let to_unicode_id = alloc();
    let type0_id = alloc();
    let form_id = alloc();
    let mut objects = Vec::new();
    // The subset is renamed with a tag, as PDF 32000 9.6.4 asks for subsets.
    let font_name = b"CGSOVN+LiberationSerif".to_vec();

    let mut file_dict = Dictionary::new();
    file_dict.set(
        "Length1",
        Object::Integer(i64::try_from(FONT.len()).unwrap_or(0)),
    );
    objects.push((font_file_id, compressed(file_dict, FONT.to_vec())));

    let scale = |v: i16| Object::Integer(i64::from(v) * 1000 / i64::from(glyphs::UNITS_PER_EM));
    let mut descriptor = Dictionary::new();
    descriptor.set("Type", Object::Name(b"FontDescriptor".to_vec()));
    descriptor.set("FontName", Object::Name(font_name.clone()));
    descriptor.set("Flags", Object::Integer(34)); // Serif + Nonsymbolic.
    descriptor.set(
        "FontBBox",
        glyphs::BBOX.iter().map(|v| scale(*v)).collect::<Vec<_>>(),
    );
    descriptor.set("ItalicAngle", Object::Integer(0));
    descriptor.set("Ascent", scale(glyphs::ASCENT));
    descriptor.set("Descent", scale(glyphs::DESCENT));
    descriptor.set("CapHeight", scale(glyphs::ASCENT));
    descriptor.set("StemV", Object::Integer(80));
    descriptor.set("FontFile2", Object::Reference(font_file_id));
    objects.push((descriptor_id, serialize(&Object::Dictionary(descriptor))));

    let mut widths = Vec::new();
    for (gid, advance, _) in &used {
        widths.push(Object::Integer(i64::from(*gid)));
        widths.push(Object::Array(vec![Object::Integer(
            i64::from(*advance) * 1000 / i64::from(glyphs::UNITS_PER_EM),
        )]));
    }
    let mut system_info = Dictionary::new();
    system_info.set(
        "Registry",
        Object::String(b"Adobe".to_vec(), StringFormat::Literal),
    );
    system_info.set(
        "Ordering",
        Object::String(b"Identity".to_vec(), StringFormat::Literal),
    );
    system_info.set("Supplement", Object::Integer(0));
    let mut cid_font = Dictionary::new();
    cid_font.set("Type", Object::Name(b"Font".to_vec()));
    cid_font.set("Subtype", Object::Name(b"CIDFontType2".to_vec()));
    cid_font.set("BaseFont", Object::Name(font_name.clone()));
    cid_font.set("CIDSystemInfo", Object::Dictionary(system_info));
    cid_font.set("FontDescriptor", Object::Reference(descriptor_id));
    cid_font.set("CIDToGIDMap", Object::Name(b"Identity".to_vec()));
    cid_font.set("W", Object::Array(widths));
    objects.push((cid_font_id, serialize(&Object::Dictionary(cid_font))));

    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    for chunk in used.chunks(100) {
        cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (gid, _, c) in chunk {
            let mut utf16 = [0u16; 2];
            let units: String = c
                .encode_utf16(&mut utf16)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            cmap.push_str(&format!("<{gid:04X}> <{units}>\n"));
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    objects.push((
        to_unicode_id,
        compressed(Dictionary::new(), cmap.into_bytes()),
    ));

    let mut type0 = Dictionary::new();
    type0.set("Type", Object::Name(b"Font".to_vec()));
    type0.set("Subtype", Object::Name(b"Type0".to_vec()));
    type0.set("BaseFont", Object::Name(font_name));
    type0.set("Encoding", Object::Name(b"Identity-H".to_vec()));
    type0.set(
        "DescendantFonts",
        Object::Array(vec![Object::Reference(cid_font_id)]),
    );
    type0.set("ToUnicode", Object::Reference(to_unicode_id));
    objects.push((type0_id, serialize(&Object::Dictionary(type0))));

    let mut fonts = Dictionary::new();
    fonts.set("F1", Object::Reference(type0_id));
    let mut resources = Dictionary::new();
    resources.set("Font", Object::Dictionary(fonts));
    let mut form = Dictionary::new();
    form.set("Type", Object::Name(b"XObject".to_vec()));
    form.set("Subtype", Object::Name(b"Form".to_vec()));
    form.set(
        "BBox",
        vec![
            Object::Integer(0),
            Object::Integer(0),
            Object::Real(width),
            Object::Real(height),
        ],
    );
    form.set("Resources", Object::Dictionary(resources));
    objects.push((form_id, compressed(form, content.into_bytes())));

    Ok(Built {
        rect: [x1.min(x2), y1.min(y2), x1.max(x2), y1.max(y2)],
        form_id,
        objects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vietnamese_letter_has_a_glyph() {
        let alphabet = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY\
                        àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ\
                        ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ";
        for c in alphabet.chars() {
            assert_ne!(glyph(c).0, 0, "no glyph for {c}");
        }
        assert_eq!(glyph('\u{4e2d}').0, 0);
        assert!(
            glyphs::GLYPHS.windows(2).all(|w| w[0].0 < w[1].0),
            "table must be sorted"
        );
    }
}
