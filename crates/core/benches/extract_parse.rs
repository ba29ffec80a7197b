//! Dashboard extract parsing on 115k generated titles (`generate::extract_titles(115_000, 42)`
//! written by `ExtractWriter`, about 9 MB), in MB/s: what the dashboard does to every byte it
//! downloads, measured natively (the browser figures are in BENCHMARKS.md).
//!
//! - `reader`: `ExtractReader` over the bytes in memory (the CLI's path).
//! - `parser_64k`: `ExtractParser` pushed 64 KiB at a time (the dashboard's path).
//! - `csv_byte_records` (peer): the `csv` crate's plain record iteration over the same bytes, no
//!   typing: the floor the record splitting sets; the rest is building `Title`s.
//!
//! Run with `cargo bench -p cinelake-core --bench extract_parse`.

use std::hint::black_box;

use cinelake_core::extract::{ExtractParser, ExtractReader, ExtractWriter};
use cinelake_core::generate::extract_titles;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn extract_parse(c: &mut Criterion) {
    let mut writer = ExtractWriter::new(Vec::new()).unwrap();
    for title in extract_titles(115_000, 42) {
        writer.write(&title).unwrap();
    }
    let bytes = writer.finish().unwrap();
    let mut group = c.benchmark_group("extract_parse");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(10);

    group.bench_function("reader", |b| {
        b.iter(|| {
            let (titles, errors) = ExtractReader::new(&bytes[..]).unwrap().read_all();
            assert!(errors.is_empty());
            black_box(titles.len())
        })
    });
    group.bench_function("parser_64k", |b| {
        b.iter(|| {
            let mut parser = ExtractParser::new();
            let mut titles = Vec::new();
            for chunk in bytes.chunks(64 * 1024) {
                parser
                    .push_with(chunk, &mut |row| titles.push(row.unwrap()))
                    .unwrap();
            }
            parser
                .finish_with(&mut |row| titles.push(row.unwrap()))
                .unwrap();
            black_box(titles.len())
        })
    });
    group.bench_function("csv_byte_records", |b| {
        b.iter(|| {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(&bytes[..]);
            let mut record = csv::ByteRecord::new();
            let mut fields = 0;
            while reader.read_byte_record(&mut record).unwrap() {
                fields += record.len();
            }
            black_box(fields)
        })
    });
    group.finish();
}

criterion_group!(benches, extract_parse);
criterion_main!(benches);
