//! The registration load `congso bench documents` runs on a node it sets
//! up: incoming documents with a unique file each, registered from
//! concurrent tasks, each one streamed into the blob store, hashed,
//! numbered, indexed, committed and ledgered (and archived, when the
//! service has an archive) before its task sees it done.

use std::sync::Arc;
use std::time::Instant;

use crate::error::{DocsError, Result};
use crate::files::Upload;
use crate::model::{DocumentMetadata, Party};
use crate::service::{Acting, Service};

/// A file whose content is unique to `index` (so that no registration is
/// refused as a duplicate) and starts like a PDF (so that the content check
/// passes), without costing more than a copy to make.
fn document_file(base: &[u8], index: usize) -> Vec<u8> {
    let mut bytes = base.to_vec();
    let stamp = format!("{index:016}");
    if let Some(slot) = bytes.get_mut(16..32) {
        slot.copy_from_slice(stamp.as_bytes());
    }
    bytes
}

fn base_file(size: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(size.max(64));
    bytes.extend_from_slice(b"%PDF-1.7\n%bench ");
    // xorshift noise, so compression or deduplication below us cannot help.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while bytes.len() < size.max(64) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    // A PDF ends with the offset of its cross-reference table and its
    // end-of-file marker; registration checks both.
    const END: &[u8] = b"\nstartxref\n9\n%%EOF\n";
    bytes.truncate(size.max(64) - END.len());
    bytes.extend_from_slice(END);
    bytes
}

/// Registers `documents` incoming documents with a `file_bytes` file each
/// from `tasks` concurrent tasks through `service`, as `acting`.
pub async fn bench_register_incoming(
    service: &Service,
    acting: &Acting,
    documents: usize,
    tasks: usize,
    file_bytes: usize,
) -> Result<(f64, usize)> {
    let base = Arc::new(base_file(file_bytes));
    let tasks = tasks.max(1);
    let started = Instant::now();
    let mut handles = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let service = service.clone();
        let acting = acting.clone();
        let base = base.clone();
        // Exact counts per task: the first `documents % tasks` take one more.
        let count = documents / tasks + usize::from(task < documents % tasks);
        handles.push(tokio::spawn(async move {
            for local in 0..count {
                let index = task * (documents / tasks + 1) + local;
                let bytes = document_file(&base, index);
                let metadata = DocumentMetadata {
                    type_code: "cong-van".to_owned(),
                    summary: format!("Văn bản thử nghiệm hiệu năng số {index}"),
                    sender: Some(Party {
                        organ_code: Some("000.00.00.G22".to_owned()),
                        name: "Văn phòng Chính phủ".to_owned(),
                    }),
                    issuer: Party {
                        organ_code: Some("000.00.00.G22".to_owned()),
                        name: "Văn phòng Chính phủ".to_owned(),
                    },
                    number: Some(format!("{index}")),
                    notation: Some("VPCP-KGVX".to_owned()),
                    ..Default::default()
                };
                // A file size of 0 registers metadata only, which measures
                // the database and ledger path without the blob store.
                let original = (file_bytes > 0).then(|| Upload {
                    name: format!("cong-van-{index}.pdf"),
                    mime: "application/pdf".to_owned(),
                    reader: &bytes[..],
                });
                service
                    .register_incoming(&acting, metadata, original, Vec::new())
                    .await?;
            }
            Ok::<usize, DocsError>(count)
        }));
    }
    let mut registered = 0;
    for handle in handles {
        registered += handle
            .await
            .map_err(|error| DocsError::Io(std::io::Error::other(error)))??;
    }
    Ok((started.elapsed().as_secs_f64(), registered))
}
