//! Raw parsing throughput on a generated 250k-title movies.csv (about 1.2 M rows), in MB/s.
//!
//! `raw_reader` types every row (the reader alone); `raw_checked` gives only each row's verdict
//! and title id (`RawReader::next_checked`, what `cinelake ingest` validates with); `check` also
//! folds rows into titles (what `cinelake check` does); `csv_byte_records` is the peer: the `csv`
//! crate's plain record iteration over the same bytes (`|` delimiter, no quoting, no typing), the
//! floor a general CSV parser sets. Run with `cargo bench -p cinelake-core --bench raw_parse`.

use std::hint::black_box;

use cinelake_core::generate::{GenOptions, raw_bytes};
use cinelake_core::raw::{CheckOptions, RawKind, RawReader, ReaderOptions, check};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn raw_parse(c: &mut Criterion) {
    let bytes = raw_bytes(&GenOptions {
        kind: RawKind::Movies,
        titles: 250_000,
        seed: 42,
    });
    let mut group = c.benchmark_group("raw_parse");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(10);

    group.bench_function("raw_reader", |b| {
        b.iter(|| {
            let mut reader =
                RawReader::new(&bytes[..], "movies.csv", &ReaderOptions::default()).unwrap();
            let mut votes = 0u64;
            while let Some(row) = reader.next_row() {
                votes += row.unwrap().unwrap().votes.unwrap_or(0);
            }
            black_box(votes)
        })
    });

    group.bench_function("raw_checked", |b| {
        b.iter(|| {
            let mut reader =
                RawReader::new(&bytes[..], "movies.csv", &ReaderOptions::default()).unwrap();
            let mut id_bytes = 0usize;
            while let Some(row) = reader.next_checked() {
                id_bytes += row.unwrap().unwrap().len();
            }
            black_box(id_bytes)
        })
    });

    group.bench_function("check", |b| {
        b.iter(|| {
            let s = check(&bytes[..], "movies.csv", &CheckOptions::default()).unwrap();
            assert_eq!(s.rejected, 0);
            black_box(s.folded.titles.len())
        })
    });

    group.bench_function("csv_byte_records", |b| {
        b.iter(|| {
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(b'|')
                .quoting(false)
                .has_headers(true)
                .from_reader(&bytes[..]);
            let mut record = csv::ByteRecord::new();
            let mut fields = 0usize;
            while reader.read_byte_record(&mut record).unwrap() {
                fields += record.len();
            }
            black_box(fields)
        })
    });
    group.finish();
}

criterion_group!(benches, raw_parse);
criterion_main!(benches);
