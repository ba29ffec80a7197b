//! Every kernel against `sha2::Sha256`: known answers, then random data, part sizes and chunkings.

use std::num::NonZeroU64;

use proptest::prelude::*;
use sha2::{Digest as _, Sha256};

use super::{BLOCK, Kernel, Mode, WholeAndParts, WholeAndPartsDigests, compress};

/// The portable kernel, and SHA-NI where this CPU has it (the machine the benchmarks run on
/// does: BENCHMARKS.md).
fn kernels() -> Vec<Kernel> {
    let mut kernels = vec![Kernel::Portable];
    #[cfg(target_arch = "x86_64")]
    if let Some(cpu) = super::sha_ni::Detected::now() {
        kernels.push(Kernel::ShaNi(cpu));
    }
    kernels
}

fn part_size(bytes: u64) -> NonZeroU64 {
    NonZeroU64::new(bytes).expect("test part sizes are positive")
}

fn hash(kernel: Kernel, part_bytes: u64, chunks: &[&[u8]]) -> WholeAndPartsDigests {
    let mut hasher = WholeAndParts::with_kernel(part_size(part_bytes), kernel);
    for chunk in chunks {
        hasher.update(chunk);
    }
    hasher.finish()
}

/// What two plain `sha2` passes give.
fn reference(data: &[u8], part_bytes: usize) -> WholeAndPartsDigests {
    WholeAndPartsDigests {
        bytes: data.len() as u64,
        whole: Sha256::digest(data).into(),
        parts: data
            .chunks(part_bytes)
            .map(|part| Sha256::digest(part).into())
            .collect(),
    }
}

fn from_hex(hex: &str) -> [u8; 32] {
    let mut bytes = [0; 32];
    for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).expect("ascii hex");
        *byte = u8::from_str_radix(pair, 16).expect("hex digit pair");
    }
    bytes
}

#[test]
fn known_answers_fips_180_2() {
    let vectors = [
        (
            "",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            "abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        ),
    ];
    for kernel in kernels() {
        for (message, expected) in vectors {
            let expected = from_hex(expected);
            // One part holding the whole message: its digest is the whole's.
            let digests = hash(kernel, 1 << 20, &[message.as_bytes()]);
            assert_eq!(digests.whole, expected, "{kernel:?} {message:?}");
            let parts: &[[u8; 32]] = if message.is_empty() { &[] } else { &[expected] };
            assert_eq!(digests.parts, parts, "{kernel:?} {message:?}");
            assert_eq!(digests.bytes, message.len() as u64);
        }
    }
}

#[test]
fn one_million_a_spans_many_parts() {
    // FIPS 180-2's third vector, cut into 64 KiB parts and fed in odd chunks.
    let data = vec![b'a'; 1_000_000];
    let chunks: Vec<&[u8]> = data.chunks(1000 + 7).collect();
    for kernel in kernels() {
        let digests = hash(kernel, 64 << 10, &chunks);
        assert_eq!(
            digests.whole,
            from_hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        );
        assert_eq!(digests, reference(&data, 64 << 10), "{kernel:?}");
    }
}

#[test]
fn whole_blocks_take_the_paired_path_and_others_two_hashers() {
    for (bytes, paired) in [
        (64, true),
        (5 << 20, true),
        (1, false),
        (100, false),
        (5_000_001, false),
    ] {
        let hasher = WholeAndParts::new(part_size(bytes));
        assert_eq!(
            matches!(hasher.mode, Mode::Paired(_)),
            paired,
            "part size {bytes}"
        );
    }
}

#[test]
fn parts_end_exactly_at_the_end_leave_no_empty_part() {
    let data = vec![3u8; 3 * 128];
    for kernel in kernels() {
        let digests = hash(kernel, 128, &[&data]);
        assert_eq!(digests.parts.len(), 3);
        assert_eq!(digests, reference(&data, 128));
    }
}

/// Part sizes around the block size, whole blocks or not.
fn part_sizes() -> impl Strategy<Value = usize> {
    prop_oneof![
        (1usize..=16).prop_map(|blocks| blocks * BLOCK),
        Just(4096),
        1usize..200,
        Just(4095),
        Just(4097),
    ]
}

/// Data up to about three parts plus some, and the lengths to cut it into for `update`.
fn data_and_chunks() -> impl Strategy<Value = (usize, Vec<u8>, Vec<usize>)> {
    part_sizes().prop_flat_map(|part| {
        (
            Just(part),
            proptest::collection::vec(any::<u8>(), 0..=3 * part + 130),
            proptest::collection::vec(0usize..3 * part + 70, 1..8),
        )
    })
}

/// `data` cut at the given lengths, cycling through them; the last piece is whatever is left.
/// A zero length gives an empty piece (an empty `update`, worth testing too); when a whole cycle
/// of lengths takes nothing, the rest goes in one piece (cycling on would never end).
fn cut<'a>(data: &'a [u8], lengths: &[usize]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let before = rest.len();
        for &length in lengths {
            if rest.is_empty() {
                break;
            }
            let (piece, later) = rest.split_at(length.min(rest.len()));
            pieces.push(piece);
            rest = later;
        }
        if rest.len() == before {
            pieces.push(rest);
            rest = &[];
        }
    }
    pieces
}

#[test]
fn cutting_with_only_zero_lengths_ends() {
    let pieces = cut(b"abc", &[0, 0]);
    assert_eq!(pieces, [&b""[..], b"", b"abc"]);
    assert_eq!(cut(b"abcde", &[2, 0]), [&b"ab"[..], b"", b"cd", b"", b"e"]);
}

proptest! {
    #[test]
    fn every_kernel_matches_sha2_whatever_the_chunking((part, data, lengths) in data_and_chunks()) {
        let expected = reference(&data, part);
        let chunks = cut(&data, &lengths);
        for kernel in kernels() {
            prop_assert_eq!(&hash(kernel, part as u64, &chunks), &expected, "{:?}", kernel);
        }
    }

    #[test]
    fn paired_kernels_match_two_compressions(
        first in any::<[u32; 8]>(),
        second in any::<[u32; 8]>(),
        data in proptest::collection::vec(any::<u8>(), 0..=4 * BLOCK),
    ) {
        let blocks = data.as_chunks::<BLOCK>().0;
        let (mut expected_first, mut expected_second) = (first, second);
        compress(&mut expected_first, blocks);
        compress(&mut expected_second, blocks);
        for kernel in kernels() {
            let (mut got_first, mut got_second) = (first, second);
            kernel.compress_pair(&mut got_first, &mut got_second, blocks);
            prop_assert_eq!((got_first, got_second), (expected_first, expected_second), "{:?}", kernel);
        }
    }
}
