//! Uploads: which file types a document may carry, checked three ways
//! (the name's extension, the declared MIME type, the first bytes), before
//! anything is stored; renditions and their kinds; legacy-encoding text.

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::{DocsError, Result};

/// A file as a caller hands it in: a name, the MIME type the client
/// declared, and a stream (never a buffer: uploads may be gigabytes).
pub struct Upload<R> {
    pub name: String,
    pub mime: String,
    pub reader: R,
}

/// How a stored file relates to its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// The document itself, as received or drafted: immutable.
    Original,
    /// An attachment (phụ lục, tài liệu kèm theo): immutable.
    Attachment,
    /// A derived copy beside an original; never replaces it.
    Rendition,
    /// The signed file the signing hook recorded.
    Signed,
}

impl FileKind {
    pub fn code(self) -> &'static str {
        match self {
            FileKind::Original => "original",
            FileKind::Attachment => "attachment",
            FileKind::Rendition => "rendition",
            FileKind::Signed => "signed",
        }
    }
}

/// What a rendition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenditionKind {
    /// A PDF made from a word-processor file.
    Pdf,
    /// The text layer recognised from a scan.
    OcrText,
    /// Text converted from a legacy Vietnamese encoding to Unicode.
    EncodingConverted,
    /// Text extracted from a document.
    TextExtract,
}

impl RenditionKind {
    pub fn code(self) -> &'static str {
        match self {
            RenditionKind::Pdf => "pdf",
            RenditionKind::OcrText => "ocr_text",
            RenditionKind::EncodingConverted => "encoding_converted",
            RenditionKind::TextExtract => "text_extract",
        }
    }

    /// Whether the rendition is text to index for search.
    pub fn bears_text(self) -> bool {
        !matches!(self, RenditionKind::Pdf)
    }
}

/// One accepted file type: extension, accepted MIME types (the first is
/// canonical), and the magic bytes the content starts with (none for plain
/// text, which has no signature).
type FileType = (
    &'static str,
    &'static [&'static str],
    &'static [&'static [u8]],
);

/// The file types documents carry.
const FILE_TYPES: &[FileType] = &[
    ("pdf", &["application/pdf"], &[b"%PDF-"]),
    (
        "docx",
        &["application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
        &[b"PK\x03\x04"],
    ),
    (
        "xlsx",
        &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        &[b"PK\x03\x04"],
    ),
    (
        "odt",
        &["application/vnd.oasis.opendocument.text"],
        &[b"PK\x03\x04"],
    ),
    (
        "ods",
        &["application/vnd.oasis.opendocument.spreadsheet"],
        &[b"PK\x03\x04"],
    ),
    (
        "doc",
        &["application/msword"],
        &[b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"],
    ),
    (
        "xls",
        &["application/vnd.ms-excel"],
        &[b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"],
    ),
    ("txt", &["text/plain"], &[]),
    ("xml", &["application/xml", "text/xml"], &[]),
    ("edxml", &["application/xml", "text/xml"], &[]),
    ("jpg", &["image/jpeg"], &[b"\xFF\xD8\xFF"]),
    ("jpeg", &["image/jpeg"], &[b"\xFF\xD8\xFF"]),
    ("png", &["image/png"], &[b"\x89PNG\r\n\x1A\n"]),
    ("tif", &["image/tiff"], &[b"II*\x00", b"MM\x00*"]),
    ("tiff", &["image/tiff"], &[b"II*\x00", b"MM\x00*"]),
    ("zip", &["application/zip"], &[b"PK\x03\x04"]),
];

fn refused(code: &'static str, detail: String) -> DocsError {
    DocsError::Refused { code, detail }
}

/// How much of a PDF's end is kept while it streams in, to find its
/// end-of-file marker and its trailer.
pub const PDF_TAIL_BYTES: usize = 4096;

/// Checks the end of a PDF the way a PDF reader starts: the file must end
/// with `startxref`, the offset of its cross-reference table (within the
/// file's `size` bytes) and its `%%EOF` marker (else it is truncated or
/// corrupt), and its trailer must not name an `/Encrypt` dictionary (an encrypted PDF cannot
/// be read, signed or archived as it is). The whole structure is parsed when
/// the file is signed; this cheap check refuses the obvious cases at upload,
/// before anything is registered.
pub fn check_pdf_tail(name: &str, tail: &[u8], size: u64) -> Result<()> {
    let end = &tail[tail.len().saturating_sub(1024)..];
    if !end.windows(5).any(|window| window == b"%%EOF") {
        return Err(refused(
            "pdf_corrupt",
            format!("{name:?} is not a complete PDF (no %%EOF marker at its end): it is truncated or corrupt"),
        ));
    }
    if tail.windows(8).any(|window| window == b"/Encrypt") {
        return Err(refused(
            "pdf_encrypted",
            format!("{name:?} is an encrypted PDF; ask the sender for an unencrypted copy"),
        ));
    }
    // Every PDF ends `startxref <offset> %%EOF`: where a reader finds its
    // cross-reference table. A file cut short and given a new marker has
    // lost it. (Whether the offset is exact is not checked: readers repair
    // slightly wrong offsets, and so many producers write them that
    // refusing them would refuse real letters.)
    match startxref_offset(tail) {
        Some(offset) if offset < size => Ok(()),
        Some(offset) => Err(refused(
            "pdf_corrupt",
            format!(
                "{name:?} is not a complete PDF: its cross-reference table is said to start at byte {offset}, past its end ({size} bytes); it is truncated or corrupt"
            ),
        )),
        None => Err(refused(
            "pdf_corrupt",
            format!(
                "{name:?} is not a complete PDF (no \"startxref\" offset before its end-of-file marker): it is truncated or corrupt"
            ),
        )),
    }
}

/// The offset after the last `startxref` of a PDF's tail, when it is
/// followed (after white space) by digits and then the `%%EOF` marker.
fn startxref_offset(tail: &[u8]) -> Option<u64> {
    const KEYWORD: &[u8] = b"startxref";
    let at = tail
        .windows(KEYWORD.len())
        .rposition(|window| window == KEYWORD)?;
    let is_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0');
    let rest = &tail[at + KEYWORD.len()..];
    let rest = &rest[rest.iter().take_while(|b| is_space(b)).count()..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 {
        return None;
    }
    let offset: u64 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let rest = &rest[digits..];
    let rest = &rest[rest.iter().take_while(|b| is_space(b)).count()..];
    rest.starts_with(b"%%EOF").then_some(offset)
}

/// A reader that remembers the last [`PDF_TAIL_BYTES`] it passed on.
pub struct TailKeeper<R> {
    inner: R,
    tail: Vec<u8>,
}

impl<R> TailKeeper<R> {
    pub fn new(inner: R) -> Self {
        TailKeeper {
            inner,
            tail: Vec::with_capacity(2 * PDF_TAIL_BYTES),
        }
    }

    /// The last bytes read (at most [`PDF_TAIL_BYTES`]).
    pub fn tail(&self) -> &[u8] {
        &self.tail[self.tail.len().saturating_sub(PDF_TAIL_BYTES)..]
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for TailKeeper<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(())) = &polled {
            let fresh = &buf.filled()[before..];
            let keeper = &mut *self;
            if fresh.len() >= PDF_TAIL_BYTES {
                keeper.tail.clear();
                keeper
                    .tail
                    .extend_from_slice(&fresh[fresh.len() - PDF_TAIL_BYTES..]);
            } else {
                keeper.tail.extend_from_slice(fresh);
                if keeper.tail.len() > 2 * PDF_TAIL_BYTES {
                    let cut = keeper.tail.len() - PDF_TAIL_BYTES;
                    keeper.tail.drain(..cut);
                }
            }
        }
        polled
    }
}

/// Bytes read ahead to check the signature.
const MAGIC_LEN: usize = 8;

/// The extension of a file name, lower case.
fn extension(name: &str) -> Option<String> {
    let (_, extension) = name.rsplit_once('.')?;
    Some(extension.to_ascii_lowercase())
}

/// Checks the name and declared MIME type; returns the canonical MIME type.
pub fn check_declared(name: &str, declared: &str) -> Result<&'static str> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 255 {
        return Err(refused(
            "file_name",
            "the file name is empty or longer than 255 characters".to_owned(),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return Err(refused(
            "file_name",
            format!("the file name {trimmed:?} contains a path separator or a control character"),
        ));
    }
    let Some(extension) = extension(trimmed) else {
        return Err(refused(
            "file_type",
            format!(
                "the file name {trimmed:?} has no extension; accepted: {}",
                accepted()
            ),
        ));
    };
    let Some((_, mimes, _)) = FILE_TYPES.iter().find(|(ext, _, _)| *ext == extension) else {
        return Err(refused(
            "file_type",
            format!(
                "files of type .{extension} are not accepted; accepted: {}",
                accepted()
            ),
        ));
    };
    let declared_base = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    // Browsers send application/octet-stream for types they do not know;
    // the content check below still applies.
    if declared_base != "application/octet-stream" && !mimes.contains(&declared_base.as_str()) {
        return Err(refused(
            "file_type_mismatch",
            format!(
                "the declared type {declared_base:?} does not match the extension .{extension} \
                 (expected {})",
                mimes.join(" or ")
            ),
        ));
    }
    Ok(mimes[0])
}

fn accepted() -> String {
    FILE_TYPES
        .iter()
        .map(|(ext, _, _)| format!(".{ext}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that the content starts as its extension says.
pub fn check_magic(name: &str, head: &[u8]) -> Result<()> {
    let extension = extension(name).unwrap_or_default();
    let Some((_, _, magics)) = FILE_TYPES.iter().find(|(ext, _, _)| *ext == extension) else {
        return Ok(());
    };
    if magics.is_empty() || magics.iter().any(|magic| head.starts_with(magic)) {
        return Ok(());
    }
    Err(refused(
        "file_content_mismatch",
        format!("the content of {name:?} is not a .{extension} file"),
    ))
}

/// Reads the first bytes of an upload to check them, and gives back a
/// reader that yields the whole stream again.
pub async fn sniff<R: AsyncRead + Unpin>(
    name: &str,
    mut reader: R,
) -> Result<impl AsyncRead + Unpin> {
    let mut head = Vec::with_capacity(MAGIC_LEN);
    let mut buffer = [0u8; MAGIC_LEN];
    while head.len() < MAGIC_LEN {
        let read = reader.read(&mut buffer[..MAGIC_LEN - head.len()]).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    if head.is_empty() {
        return Err(refused("file_empty", format!("{name:?} is empty")));
    }
    check_magic(name, &head)?;
    Ok(std::io::Cursor::new(head).chain(reader))
}

/// The MIME type to record for an attachment received in an edXML package:
/// the sender's as sent when it has the shape `type/subtype` (the clerk sees
/// what the sender declared), else the canonical type of the name's
/// extension, else `application/octet-stream`.
pub fn received_mime(name: &str, declared: Option<&str>) -> String {
    if let Some(declared) = declared.map(str::trim) {
        let well_formed = declared.len() <= 100
            && declared.split_once('/').is_some_and(|(kind, subtype)| {
                !kind.is_empty()
                    && !subtype.is_empty()
                    && declared
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/.+-_".contains(c))
            });
        if well_formed {
            return declared.to_ascii_lowercase();
        }
    }
    match check_declared(name, "application/octet-stream") {
        Ok(mime) => mime.to_owned(),
        Err(_) => "application/octet-stream".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_must_match_the_extension() {
        let check = |name: &str, mime: &str, expected: std::result::Result<&str, &str>| {
            let got = check_declared(name, mime).map_err(|error| error.to_string());
            match expected {
                Ok(canonical) => assert_eq!(got.as_deref(), Ok(canonical), "{name} {mime}"),
                Err(part) => {
                    let message = got.expect_err(name);
                    assert!(message.contains(part), "{name} {mime}: {message}");
                }
            }
        };
        check("QĐ 12.pdf", "application/pdf", Ok("application/pdf"));
        check(
            "QĐ 12.PDF",
            "application/pdf; charset=binary",
            Ok("application/pdf"),
        );
        check("a.pdf", "application/octet-stream", Ok("application/pdf"));
        check("a.txt", "text/plain; charset=utf-8", Ok("text/plain"));
        check(
            "a.pdf",
            "text/plain",
            Err("does not match the extension .pdf"),
        );
        check("a.exe", "application/octet-stream", Err("not accepted"));
        check("noextension", "application/pdf", Err("has no extension"));
        check("../etc/passwd.txt", "text/plain", Err("path separator"));
        check(" ", "text/plain", Err("empty"));
    }

    #[test]
    fn content_must_match_the_extension() {
        assert!(check_magic("a.pdf", b"%PDF-1.7\n").is_ok());
        assert!(check_magic("a.pdf", b"PK\x03\x04....").is_err());
        assert!(check_magic("a.docx", b"PK\x03\x04....").is_ok());
        assert!(check_magic("a.png", b"\x89PNG\r\n\x1A\n").is_ok());
        assert!(check_magic("a.txt", b"anything").is_ok());
    }

    #[test]
    fn received_types_are_kept_when_well_formed() {
        assert_eq!(
            received_mime("a.doc", Some("application/zip")),
            "application/zip"
        );
        assert_eq!(received_mime("a.pdf", Some("<script>")), "application/pdf");
        assert_eq!(received_mime("a.pdf", None), "application/pdf");
        assert_eq!(received_mime("a.bin", Some("")), "application/octet-stream");
    }

    #[test]
    fn pdf_tails_are_checked() {
        let check = |tail: &[u8], expected: Option<&str>| {
            let got =
                check_pdf_tail("a.pdf", tail, tail.len() as u64)
                    .err()
                    .map(|error| match error {
                        DocsError::Refused { code, .. } => code,
                        other => panic!("{other}"),
                    });
            assert_eq!(got, expected, "{}", String::from_utf8_lossy(tail));
        };
        check(
            b"%PDF-1.7\n...trailer << /Root 1 0 R >>\nstartxref\n9\n%%EOF\n",
            None,
        );
        check(b"%PDF-1.7\n...\r\nstartxref\r\n12 %%EOF\r\n\0\0", None);
        // Cut short and given a new marker: no startxref any more.
        check(
            b"%PDF-1.7\n...trailer << /Root 1 0 R >>\n%%EOF\n",
            Some("pdf_corrupt"),
        );
        check(b"%PDF-1.7\nstartxref\n%%EOF\n", Some("pdf_corrupt"));
        check(b"%PDF-1.7\nstartxref\n99999\n%%EOF\n", Some("pdf_corrupt"));
        check(
            b"%PDF-1.7\nstartxref\n99999999999999999999999\n%%EOF\n",
            Some("pdf_corrupt"),
        );
        check(
            b"%PDF-1.7\n...trailer << /Root 1 0 R >>\n%%EO",
            Some("pdf_corrupt"),
        );
        check(
            b"trailer << /Root 1 0 R /Encrypt 5 0 R >>\nstartxref\n9\n%%EOF",
            Some("pdf_encrypted"),
        );
    }

    #[tokio::test]
    async fn tails_are_kept_while_streaming() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut keeper = TailKeeper::new(&data[..]);
        let mut sink = Vec::new();
        let mut buffer = [0u8; 777];
        loop {
            let read = keeper.read(&mut buffer).await.unwrap();
            if read == 0 {
                break;
            }
            sink.extend_from_slice(&buffer[..read]);
        }
        assert_eq!(sink, data);
        assert_eq!(keeper.tail(), &data[data.len() - PDF_TAIL_BYTES..]);
    }

    #[tokio::test]
    async fn sniffing_gives_the_whole_stream_back() {
        let data = b"%PDF-1.7 rest of the file".to_vec();
        let mut reader = sniff("a.pdf", &data[..]).await.unwrap();
        let mut back = Vec::new();
        reader.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, data);
        assert!(sniff("a.pdf", &b""[..]).await.is_err());
        assert!(sniff("a.pdf", &b"GIF89a"[..]).await.is_err());
    }
}
