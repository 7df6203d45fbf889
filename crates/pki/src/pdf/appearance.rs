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
    /// The signer's handwritten-signature image (PNG, transparent
    /// background), drawn centred in the upper part of the box.
    pub signature_image: Option<Vec<u8>>,
    /// The organisation's seal (PNG, red on transparent), drawn over the
    /// left third of the signature image as Decree 30 Appendix I describes.
    pub seal_image: Option<Vec<u8>>,
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
            signature_image: None,
            seal_image: None,
        }
    }

    /// Like [`VisibleSignature::decree30`], with the handwritten-signature
    /// and seal images (PNG) and a box tall enough for them.
    pub fn decree30_with_images(
        page: u32,
        signature_png: Option<Vec<u8>>,
        seal_png: Option<Vec<u8>>,
    ) -> Self {
        Self {
            rect: [318.0, 90.0, 560.0, 240.0],
            signature_image: signature_png,
            seal_image: seal_png,
            ..Self::decree30(page)
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

/// A decoded 8-bit image: RGB samples and an optional alpha channel.
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
    alpha: Option<Vec<u8>>,
}

/// Largest image we accept, in pixels: a signature or seal is small, and a
/// hostile PNG must not make us allocate gigabytes.
const MAX_PIXELS: u64 = 4096 * 4096;

fn decode_png(data: &[u8]) -> Result<Image> {
    let bad = |e: String| crate::Error::Malformed {
        what: "signature image",
        detail: e,
    };
    let mut decoder =
        png::Decoder::new_with_limits(std::io::Cursor::new(data), png::Limits { bytes: 256 << 20 });
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| bad(e.to_string()))?;
    let (width, height) = (reader.info().width, reader.info().height);
    if u64::from(width) * u64::from(height) > MAX_PIXELS || width == 0 || height == 0 {
        return Err(bad(format!("{width}x{height} pixels is too large")));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| bad("image too large".into()))?;
    let mut buffer = vec![0; size];
    let info = reader
        .next_frame(&mut buffer)
        .map_err(|e| bad(e.to_string()))?;
    let pixels = &buffer[..info.buffer_size()];
    let (rgb, alpha) = match info.color_type {
        png::ColorType::Rgb => (pixels.to_vec(), None),
        png::ColorType::Rgba => (
            pixels
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
            Some(pixels.chunks_exact(4).map(|p| p[3]).collect()),
        ),
        png::ColorType::Grayscale => (pixels.iter().flat_map(|g| [*g, *g, *g]).collect(), None),
        png::ColorType::GrayscaleAlpha => (
            pixels
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0]])
                .collect(),
            Some(pixels.chunks_exact(2).map(|p| p[1]).collect()),
        ),
        other => return Err(bad(format!("unsupported colour type {other:?}"))),
    };
    Ok(Image {
        width,
        height,
        rgb,
        alpha,
    })
}

/// Adds the image (and its soft mask) as XObjects; returns the image's id.
fn push_image(
    image: &Image,
    alloc: &mut dyn FnMut() -> ObjectId,
    objects: &mut Vec<(ObjectId, Vec<u8>)>,
) -> ObjectId {
    let image_id = alloc();
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"XObject".to_vec()));
    dict.set("Subtype", Object::Name(b"Image".to_vec()));
    dict.set("Width", Object::Integer(i64::from(image.width)));
    dict.set("Height", Object::Integer(i64::from(image.height)));
    dict.set("ColorSpace", Object::Name(b"DeviceRGB".to_vec()));
    dict.set("BitsPerComponent", Object::Integer(8));
    if let Some(alpha) = &image.alpha {
        let mask_id = alloc();
        let mut mask = Dictionary::new();
        mask.set("Type", Object::Name(b"XObject".to_vec()));
        mask.set("Subtype", Object::Name(b"Image".to_vec()));
        mask.set("Width", Object::Integer(i64::from(image.width)));
        mask.set("Height", Object::Integer(i64::from(image.height)));
        mask.set("ColorSpace", Object::Name(b"DeviceGray".to_vec()));
        mask.set("BitsPerComponent", Object::Integer(8));
        objects.push((mask_id, compressed(mask, alpha.clone())));
        dict.set("SMask", Object::Reference(mask_id));
    }
    objects.push((image_id, compressed(dict, image.rgb.clone())));
    image_id
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
    let has_images = visible.signature_image.is_some() || visible.seal_image.is_some();
    // With images, the upper 60 % of the box holds them and the text sits
    // below; without, the text has the whole box.
    let text_height = if has_images { height * 0.4 } else { height };
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
        if widest <= width - 2.0 * padding && count * size * 1.2 <= text_height - 2.0 * padding {
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
    let mut y = text_height - padding - size;
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

    // Images: signature centred above the text, seal over its left third.
    let mut images = Dictionary::new();
    let image_top = height - padding;
    let image_area = height - text_height - padding;
    let mut signature_box: Option<(f32, f32, f32, f32)> = None;
    if let Some(png) = &visible.signature_image {
        let image = decode_png(png)?;
        let scale =
            (image_area / image.height as f32).min((width - 2.0 * padding) / image.width as f32);
        let (w, h) = (image.width as f32 * scale, image.height as f32 * scale);
        let (x, y) = ((width - w) / 2.0, image_top - h);
        signature_box = Some((x, y, w, h));
        let id = push_image(&image, alloc, &mut objects);
        images.set("Sig", Object::Reference(id));
        content.push_str(&format!("q {w:.2} 0 0 {h:.2} {x:.2} {y:.2} cm /Sig Do Q\n"));
    }
    if let Some(png) = &visible.seal_image {
        let image = decode_png(png)?;
        let target = image_area.max(height * 0.5);
        let scale = target / image.height.max(image.width) as f32;
        let (w, h) = (image.width as f32 * scale, image.height as f32 * scale);
        let (x, y) = match signature_box {
            // The seal's right edge at one third of the signature image.
            // Kept inside the box, which clips what lies outside it.
            Some((sx, sy, sw, sh)) => (
                (sx + sw / 3.0 - w).max(0.0),
                (sy + sh / 2.0 - h / 2.0).max(0.0),
            ),
            None => (padding, image_top - h),
        };
        let id = push_image(&image, alloc, &mut objects);
        images.set("Seal", Object::Reference(id));
        content.push_str(&format!(
            "q {w:.2} 0 0 {h:.2} {x:.2} {y:.2} cm /Seal Do Q\n"
        ));
    }
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
    if !images.is_empty() {
        resources.set("XObject", Object::Dictionary(images));
    }
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
