//! Issued documents published to the portal, and images of items.
//!
//! An issued outgoing document becomes an item of a legal category with its
//! metadata (number and notation, issue date, signer, summary, type) and
//! links to its files, which the public may download only while the item
//! is published. Publishing the same document again updates its item.
//!
//! Images are decoded for real (dimension and allocation limits refuse
//! decompression bombs before any pixel buffer is made), re-encoded (which
//! also drops EXIF and any other metadata) in a few widths, and stored in
//! the blob store.

use std::io::Cursor;

use congso_core::access::Action;
use congso_core::audit::AuditAction;
use congso_store::blob::BlobStore;
use congso_store::ledger::NewEntry;
use congso_store::portal::Item;
use congso_store::portal_media::{self as media_store, NewVariant};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::{clean_line, sanitize, status, Acting, ItemInput, Kind, Portal, PortalError, Result};

/// Widths (pixels) images are stored in; an image narrower than the
/// smallest is stored at its own width only.
pub const IMAGE_WIDTHS: [u32; 2] = [480, 960];
/// The largest image accepted, in pixels per side.
pub const MAX_IMAGE_SIDE: u32 = 8_000;
/// The most pixels an image may have (a 40-megapixel photo).
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;
/// The largest image file accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;
/// Longest text alternative, in characters.
pub const MAX_ALT_CHARS: usize = 300;

/// The external id of the item that shows document `id`.
pub fn document_external_id(document_id: i64) -> String {
    format!("van-ban-{document_id}")
}

/// The public address of a document file published with an item.
pub fn public_file_url(document_id: i64, file_id: i64) -> String {
    format!("/van-ban/{document_id}/tep/{file_id}")
}

/// The public address of one width of an image.
pub fn image_url(image_id: i64, width: i64, format: &str) -> String {
    let extension = if format == "png" { "png" } else { "jpg" };
    format!("/anh/{image_id}/{width}.{extension}")
}

/// One file of a document to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub file_id: i64,
    pub name: String,
}

/// What the portal needs to know of an issued document. The caller reads
/// it through the documents service as the acting user (so secret documents
/// they may not see never get here); the portal refuses documents that are
/// not issued outgoing ones, secret or recalled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentSource {
    pub document_id: i64,
    pub outgoing: bool,
    pub issued: bool,
    pub secret: bool,
    pub recalled: bool,
    pub number_notation: Option<String>,
    /// `YYYY-MM-DD`.
    pub issue_date: Option<String>,
    pub signer: Option<String>,
    pub summary: String,
    /// The document type's name ("Quyết định").
    pub type_name: String,
    /// The issuing agency.
    pub issuer: String,
    pub files: Vec<SourceFile>,
}

/// What [`Portal::publish_document`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPublication {
    pub item_id: i64,
    /// The item's status now (`published`, or `review` when the person
    /// acting may edit but not publish).
    pub status: String,
    /// Whether an existing item was updated rather than a new one made.
    pub updated: bool,
}

/// An image decoded, checked and re-encoded, ready to store.
#[derive(Debug, Clone)]
pub struct ProcessedImage {
    pub width: u32,
    pub height: u32,
    /// (width, height, format, encoded bytes), narrowest first.
    pub variants: Vec<(u32, u32, &'static str, Vec<u8>)>,
}

/// Why an image was refused (the message names the problem).
fn refused(message: impl Into<String>) -> PortalError {
    PortalError::Invalid(message.into())
}

/// Decodes `bytes` as a JPEG or PNG within the limits, applies its EXIF
/// orientation and re-encodes it in [`IMAGE_WIDTHS`]. CPU-heavy: run it on
/// a blocking thread.
pub fn process_image(bytes: &[u8]) -> Result<ProcessedImage> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(refused(format!(
            "the image is larger than {} MiB",
            MAX_IMAGE_BYTES / (1024 * 1024)
        )));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| refused("the file could not be read"))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png) => {}
        _ => return Err(refused("the file is not a JPEG or PNG image")),
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    // Four bytes per pixel for the decoded buffer, plus the decoder's own.
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4 + 64 * 1024 * 1024);
    let mut decoder = {
        let mut reader = reader;
        reader.limits(limits);
        reader
            .into_decoder()
            .map_err(|error| describe_decode_error(&error))?
    };
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(refused("the image has no pixels"));
    }
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(refused(format!(
            "the image is too large: {width}×{height} pixels, at most {MAX_IMAGE_PIXELS} pixels"
        )));
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut decoded =
        DynamicImage::from_decoder(decoder).map_err(|error| describe_decode_error(&error))?;
    decoded.apply_orientation(orientation);
    let (width, height) = (decoded.width(), decoded.height());
    let has_alpha = decoded.color().has_alpha();
    let mut targets: Vec<u32> = IMAGE_WIDTHS
        .iter()
        .copied()
        .filter(|target| *target <= width)
        .collect();
    if targets.is_empty() {
        targets.push(width);
    }
    let mut variants = Vec::with_capacity(targets.len());
    for target in targets {
        let target_height = ((u64::from(height) * u64::from(target) + u64::from(width) / 2)
            / u64::from(width))
        .max(1) as u32;
        let resized = if target == width {
            decoded.clone()
        } else {
            decoded.resize_exact(
                target,
                target_height,
                image::imageops::FilterType::CatmullRom,
            )
        };
        let mut out = Vec::new();
        let format = if has_alpha {
            resized
                .to_rgba8()
                .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .map_err(|error| {
                    PortalError::Invalid(format!("the image could not be encoded: {error}"))
                })?;
            "png"
        } else {
            let rgb = resized.to_rgb8();
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
            rgb.write_with_encoder(encoder).map_err(|error| {
                PortalError::Invalid(format!("the image could not be encoded: {error}"))
            })?;
            "jpeg"
        };
        variants.push((target, target_height, format, out));
    }
    Ok(ProcessedImage {
        width,
        height,
        variants,
    })
}

fn describe_decode_error(error: &image::ImageError) -> PortalError {
    match error {
        image::ImageError::Limits(_) => refused(format!(
            "the image is too large (at most {MAX_IMAGE_SIDE} pixels a side and {MAX_IMAGE_PIXELS} pixels)"
        )),
        image::ImageError::Unsupported(_) => refused("this kind of image is not supported"),
        _ => refused("the file is not a valid JPEG or PNG image"),
    }
}

impl Portal {
    /// Publishes an issued document to the portal, or updates the item that
    /// already shows it. Someone who may publish (`PortalPublish`) puts it
    /// online at once; an editor (`PortalEdit`) sends it for review.
    /// `category` is the slug of a legal category, or `None` for the first.
    pub async fn publish_document(
        &self,
        acting: &Acting,
        source: &DocumentSource,
        category: Option<&str>,
    ) -> Result<DocumentPublication> {
        acting
            .require(Action::PortalEdit)
            .or_else(|_| acting.require(Action::PortalPublish))?;
        if !source.outgoing || !source.issued {
            return Err(PortalError::Conflict(format!(
                "document {} is not an issued outgoing document",
                source.document_id
            )));
        }
        if source.secret {
            return Err(PortalError::Conflict(format!(
                "document {} is secret and cannot be published",
                source.document_id
            )));
        }
        if source.recalled {
            return Err(PortalError::Conflict(format!(
                "document {} has been recalled",
                source.document_id
            )));
        }
        let categories = self.categories().await?;
        let legal = categories
            .iter()
            .filter(|candidate| candidate.kind == Kind::Legal.code());
        let category = match category {
            Some(slug) => legal
                .clone()
                .find(|candidate| candidate.slug == slug)
                .ok_or_else(|| {
                    PortalError::Invalid(format!("{slug:?} is not a category of legal documents"))
                })?,
            None => legal.clone().next().ok_or_else(|| {
                PortalError::Invalid("the portal has no category of legal documents".into())
            })?,
        };
        let input = document_input(source, &category.slug);
        let external_id = document_external_id(source.document_id);
        let existing = congso_store::portal::item_by_external_id(&self.db, &external_id).await?;
        let can_publish = acting.require(Action::PortalPublish).is_ok();
        let (item_id, updated) = match &existing {
            Some(item) => {
                self.update(acting, item.id, None, &input).await?;
                (item.id, true)
            }
            None => (
                self.create_with_id(acting, Some(&external_id), &input)
                    .await?,
                false,
            ),
        };
        let file_ids: Vec<i64> = source.files.iter().map(|file| file.file_id).collect();
        media_store::set_item_files(&self.db, item_id, source.document_id, &file_ids).await?;
        let item = self.item(item_id).await?;
        let new_status = if can_publish {
            if matches!(item.status.as_str(), status::DRAFT) {
                self.to_review(acting, &item).await?;
            }
            if item.status == status::PUBLISHED {
                status::PUBLISHED.to_owned()
            } else {
                self.publish(acting, item_id, crate::Schedule::default())
                    .await?
                    .to_owned()
            }
        } else {
            if matches!(item.status.as_str(), status::DRAFT | status::UNPUBLISHED) {
                self.to_review(acting, &item).await?;
            }
            self.item(item_id).await?.status
        };
        self.ledger
            .append(
                NewEntry::new(
                    &acting.actor,
                    AuditAction::PortalDocumentPublished,
                    format!("portal-item:{item_id}"),
                )
                .source(acting.source.clone())
                .data(input.body_html.as_bytes())
                .details(serde_json::json!({
                    "document": source.document_id,
                    "files": file_ids,
                    "updated": updated,
                    "status": new_status,
                })),
            )
            .await?;
        Ok(DocumentPublication {
            item_id,
            status: new_status,
            updated,
        })
    }

    /// Takes the item showing a document off the public site because the
    /// document was recalled (thu hồi): a recalled document must not stay
    /// online as if it were in force. The item stays in the staff archive
    /// with its history; the withdrawal is a ledger entry by the person who
    /// recalled the document. Returns the item withdrawn, if one was online
    /// or waiting for review or its scheduled time.
    pub async fn withdraw_document(
        &self,
        acting: &Acting,
        document_id: i64,
    ) -> Result<Option<i64>> {
        let external_id = document_external_id(document_id);
        let Some(item) = congso_store::portal::item_by_external_id(&self.db, &external_id).await?
        else {
            return Ok(None);
        };
        if !matches!(
            item.status.as_str(),
            status::PUBLISHED | status::SCHEDULED | status::REVIEW
        ) {
            return Ok(None);
        }
        self.take_down(
            acting,
            &item,
            status::UNPUBLISHED,
            AuditAction::PortalItemUnpublished,
        )
        .await?;
        Ok(Some(item.id))
    }

    /// Moves a draft (or unpublished item) to review, with its ledger entry.
    async fn to_review(&self, acting: &Acting, item: &Item) -> Result<()> {
        self.set_status(
            item,
            status::REVIEW,
            item.published_at,
            None,
            item.unpublish_at,
        )
        .await?;
        self.record(
            acting,
            AuditAction::PortalItemSubmitted,
            item.id,
            item.body_html.as_bytes(),
            serde_json::json!({"revision": item.revision}),
        )
        .await
    }

    /// The document files linked to an item.
    pub async fn item_files(&self, item_id: i64) -> Result<Vec<media_store::PublicFile>> {
        Ok(media_store::item_files(&self.db, item_id).await?)
    }

    /// Adds an image to an item: checked and re-encoded on a blocking
    /// thread, every width written to the blob store, then recorded in one
    /// transaction and one ledger entry. An image of a published item is
    /// public at once, so only someone who may publish can add it.
    pub async fn add_image(
        &self,
        acting: &Acting,
        blobs: &BlobStore,
        item_id: i64,
        alt: &str,
        bytes: Vec<u8>,
    ) -> Result<i64> {
        acting
            .require(Action::PortalEdit)
            .or_else(|_| acting.require(Action::PortalPublish))?;
        let item = self.item(item_id).await?;
        if matches!(item.status.as_str(), status::PUBLISHED | status::SCHEDULED) {
            acting.require(Action::PortalPublish)?;
        }
        let alt = clean_line(alt);
        if alt.is_empty() {
            return Err(PortalError::Invalid(
                "the text alternative (alt) is empty".into(),
            ));
        }
        if alt.chars().count() > MAX_ALT_CHARS {
            return Err(PortalError::Invalid(format!(
                "the text alternative is longer than {MAX_ALT_CHARS} characters"
            )));
        }
        let processed = tokio::task::spawn_blocking(move || process_image(&bytes))
            .await
            .map_err(|_| PortalError::Invalid("the image processing was interrupted".into()))??;
        let mut variants = Vec::with_capacity(processed.variants.len());
        for (width, height, format, encoded) in processed.variants {
            let size = encoded.len() as i64;
            let blob = blobs.put_bytes(encoded.into()).await?;
            variants.push(NewVariant {
                width: i64::from(width),
                height: i64::from(height),
                format,
                sha256: blob.sha256,
                size,
            });
        }
        let id = media_store::insert_image(
            &self.db,
            item_id,
            &alt,
            i64::from(processed.width),
            i64::from(processed.height),
            &variants,
            &acting.name(),
            congso_store::now().micros(),
        )
        .await?;
        self.ledger
            .append(
                NewEntry::new(
                    &acting.actor,
                    AuditAction::PortalImageAdded,
                    format!("portal-item:{item_id}"),
                )
                .source(acting.source.clone())
                .data(alt.as_bytes())
                .details(serde_json::json!({
                    "image": id,
                    "width": processed.width,
                    "height": processed.height,
                    "variants": variants
                        .iter()
                        .map(|variant| hex_digest(&variant.sha256))
                        .collect::<Vec<_>>(),
                })),
            )
            .await?;
        Ok(id)
    }

    /// An item's images with their variants (narrowest first).
    pub async fn images(
        &self,
        item_id: i64,
    ) -> Result<Vec<(media_store::Image, Vec<media_store::Variant>)>> {
        let images = media_store::images(&self.db, item_id).await?;
        let variants = media_store::item_variants(&self.db, item_id).await?;
        Ok(images
            .into_iter()
            .map(|image| {
                let own = variants
                    .iter()
                    .filter(|variant| variant.image_id == image.id)
                    .cloned()
                    .collect();
                (image, own)
            })
            .collect())
    }
}

fn hex_digest(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `dd/mm/yyyy` from `YYYY-MM-DD`; other text unchanged.
fn vn_day(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [year, month, day] => format!("{day}/{month}/{year}"),
        _ => iso.to_owned(),
    }
}

/// The item content of a document.
fn document_input(source: &DocumentSource, category: &str) -> ItemInput {
    let number = source.number_notation.clone().unwrap_or_default();
    let summary = clean_line(&source.summary);
    let mut title = if number.is_empty() {
        format!("{} {}", source.type_name, summary)
    } else {
        format!("{} số {}: {}", source.type_name, number, summary)
    };
    if title.chars().count() > crate::MAX_TITLE_CHARS {
        title = title.chars().take(crate::MAX_TITLE_CHARS - 1).collect();
        title.push('…');
    }
    let mut metadata = serde_json::Map::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            metadata.insert(key.to_owned(), serde_json::Value::from(value));
        }
    };
    put("number", source.number_notation.clone());
    put("document_type", Some(source.type_name.clone()));
    put("issued", source.issue_date.as_deref().map(vn_day));
    put("signer", source.signer.clone());
    put("issuer", Some(source.issuer.clone()));
    metadata.insert(
        "source_document".to_owned(),
        serde_json::Value::from(source.document_id),
    );
    metadata.insert(
        "attachments".to_owned(),
        serde_json::Value::Array(
            source
                .files
                .iter()
                .map(|file| {
                    serde_json::json!({
                        "name": file.name,
                        "url": public_file_url(source.document_id, file.file_id),
                    })
                })
                .collect(),
        ),
    );
    let mut body = format!(
        "<p>{} {}",
        sanitize::escape(&source.type_name),
        sanitize::escape(&number)
    );
    if let Some(date) = &source.issue_date {
        body.push_str(&format!(" ngày {}", sanitize::escape(&vn_day(date))));
    }
    body.push_str(&format!(
        " của {}: {}</p>",
        sanitize::escape(&source.issuer),
        sanitize::escape(&summary)
    ));
    if let Some(signer) = &source.signer {
        body.push_str(&format!("<p>Người ký: {}</p>", sanitize::escape(signer)));
    }
    ItemInput {
        category: category.to_owned(),
        title,
        summary,
        body_html: body,
        metadata,
        published_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        })
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap_or_else(|error| panic!("png: {error}"));
        out
    }

    #[test]
    fn a_photo_is_stored_in_each_width_as_jpeg() {
        let processed = process_image(&png(1200, 600)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((processed.width, processed.height), (1200, 600));
        let sizes: Vec<(u32, u32, &str)> = processed
            .variants
            .iter()
            .map(|(w, h, f, _)| (*w, *h, *f))
            .collect();
        assert_eq!(sizes, vec![(480, 240, "jpeg"), (960, 480, "jpeg")]);
        for (width, height, _, bytes) in &processed.variants {
            let decoded = image::load_from_memory(bytes).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!((decoded.width(), decoded.height()), (*width, *height));
        }
    }

    #[test]
    fn a_small_image_keeps_its_width() {
        let processed = process_image(&png(100, 50)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(processed.variants.len(), 1);
        assert_eq!(processed.variants[0].0, 100);
    }

    #[test]
    fn garbage_and_other_formats_are_refused() {
        let error = process_image(b"<html>not an image</html>").unwrap_err();
        assert!(error.to_string().contains("not a JPEG or PNG"), "{error}");
        let mut truncated = png(64, 64);
        truncated.truncate(60);
        let error = process_image(&truncated).unwrap_err();
        assert!(error.to_string().contains("image"), "{error}");
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert!(process_image(gif).is_err());
    }

    /// A PNG whose header claims 50,000 × 50,000 pixels (2.5 gigapixels)
    /// but whose data is a few bytes: refused from the header, before any
    /// buffer is allocated.
    #[test]
    fn a_decompression_bomb_is_refused_by_its_dimensions() {
        let bomb = crate::media::tests::bomb_png(50_000, 50_000);
        let error = process_image(&bomb).unwrap_err();
        assert!(error.to_string().contains("too large"), "{error}");
    }

    /// A minimal PNG header (signature and IHDR with a correct CRC) claiming
    /// the given size, followed by an empty IDAT and IEND.
    pub(crate) fn bomb_png(width: u32, height: u32) -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut crc_input = kind.to_vec();
            crc_input.extend_from_slice(data);
            out.extend_from_slice(&crc_input);
            out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
        }
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(
            &mut out,
            b"IDAT",
            &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        );
        chunk(&mut out, b"IEND", &[]);
        out
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn document_content_carries_its_metadata() {
        let input = document_input(
            &DocumentSource {
                document_id: 7,
                number_notation: Some("12/QĐ-STTTT".into()),
                issue_date: Some("2026-11-20".into()),
                signer: Some("Trần Văn <b>A</b>".into()),
                summary: "Về việc ban hành quy chế".into(),
                type_name: "Quyết định".into(),
                issuer: "Sở TT&TT".into(),
                files: vec![SourceFile {
                    file_id: 3,
                    name: "qd.pdf".into(),
                }],
                ..DocumentSource::default()
            },
            "van-ban-chi-dao",
        );
        assert_eq!(
            input.title,
            "Quyết định số 12/QĐ-STTTT: Về việc ban hành quy chế"
        );
        assert_eq!(input.metadata["issued"], "20/11/2026");
        assert_eq!(input.metadata["attachments"][0]["url"], "/van-ban/7/tep/3");
        assert!(input.body_html.contains("Trần Văn &lt;b&gt;A&lt;/b&gt;"));
        assert!(input.body_html.contains("Sở TT&amp;TT"));
    }
}
