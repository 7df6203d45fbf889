//! Parse and write throughput: a 10 KB document message (the header-heavy common case)
//! and a message with a 32 MiB attachment (base64 streaming). Criterion reports MB/s of
//! edXML text; numbers and machine go in docs/PERFORMANCE.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{self, Read};

use congso_edxml::{read_edoc, write_edoc, write_edoc_streaming, EdocMessage, EdxmlReader};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SAMPLE: &[u8] = include_bytes!("../tests/data/edoc_update.edxml");

/// The update sample with its attachment cut down so the whole message is about 10 KB.
fn ten_kb_message() -> EdocMessage {
    let mut message = read_edoc(SAMPLE).unwrap().value;
    for attachment in &mut message.attachments {
        attachment.content.truncate(1024);
    }
    message
}

struct Zeros(u64);

impl Read for Zeros {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = out.len().min(usize::try_from(self.0).unwrap_or(usize::MAX));
        out[..n].fill(0x5A);
        self.0 -= n as u64;
        Ok(n)
    }
}

fn small(c: &mut Criterion) {
    let message = ten_kb_message();
    let bytes = write_edoc(&message, Vec::new()).unwrap();
    eprintln!("10kb_document: {} bytes of edXML", bytes.len());
    let mut group = c.benchmark_group("10kb_document");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("parse", |b| b.iter(|| read_edoc(&bytes[..]).unwrap()));
    group.bench_function("write", |b| {
        b.iter(|| write_edoc(&message, Vec::with_capacity(bytes.len())).unwrap())
    });
    group.finish();
}

fn large(c: &mut Criterion) {
    const SIZE: u64 = 32 << 20;
    let mut message = ten_kb_message();
    message.attachments.truncate(1);
    let bytes = write_edoc_streaming(&message, |_, _| Ok(Zeros(SIZE)), Vec::new()).unwrap();
    let mut group = c.benchmark_group("32mib_attachment");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("parse_streaming", |b| {
        b.iter(|| {
            EdxmlReader::default()
                .read_edoc_streaming(&bytes[..], |_meta| Ok(io::sink()))
                .unwrap()
        })
    });
    group.bench_function("write_streaming", |b| {
        b.iter(|| write_edoc_streaming(&message, |_, _| Ok(Zeros(SIZE)), io::sink()).unwrap())
    });
    group.finish();
}

criterion_group!(benches, small, large);
criterion_main!(benches);
