//! One `WholeAndParts` pass against the two `sha2` passes it replaces (the whole file's SHA-256
//! and one per part), over 64 MiB in 5 MiB parts, fed in 128 KiB chunks as the ingest hasher
//! reads them. Results: BENCHMARKS.md, "ingest".

use std::hint::black_box;
use std::num::NonZeroU64;

use cinelake_sha256_pair::WholeAndParts;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest as _, Sha256};

const DATA_BYTES: usize = 64 << 20;
const PART_BYTES: usize = 5 << 20;
const CHUNK_BYTES: usize = 128 << 10;

fn whole_and_parts(c: &mut Criterion) {
    let data: Vec<u8> = (0..DATA_BYTES).map(|i| (i * 31 % 251) as u8).collect();
    let mut group = c.benchmark_group("sha256 whole + 5 MiB parts of 64 MiB");
    group.throughput(Throughput::Bytes(DATA_BYTES as u64));
    group.sample_size(20);
    group.bench_function("WholeAndParts, one pass", |b| {
        b.iter(|| {
            let part_size = NonZeroU64::new(PART_BYTES as u64).expect("positive");
            let mut hasher = WholeAndParts::new(part_size);
            for chunk in data.chunks(CHUNK_BYTES) {
                hasher.update(black_box(chunk));
            }
            hasher.finish()
        })
    });
    group.bench_function("sha2 0.10, two passes", |b| {
        b.iter(|| {
            let mut whole = Sha256::new();
            for chunk in data.chunks(CHUNK_BYTES) {
                whole.update(black_box(chunk));
            }
            let parts: Vec<[u8; 32]> = data
                .chunks(PART_BYTES)
                .map(|part| {
                    let mut hasher = Sha256::new();
                    for chunk in part.chunks(CHUNK_BYTES) {
                        hasher.update(black_box(chunk));
                    }
                    hasher.finalize().into()
                })
                .collect();
            (<[u8; 32]>::from(whole.finalize()), parts)
        })
    });
    group.finish();
}

criterion_group!(benches, whole_and_parts);
criterion_main!(benches);
