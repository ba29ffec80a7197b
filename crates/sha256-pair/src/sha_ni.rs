//! Two SHA-256 states advanced over the same blocks with x86-64's SHA extensions.
//!
//! `sha256rnds2` (two rounds) is latency-bound: one state's rounds form a single dependency
//! chain and leave the unit idle between them. The message schedule (`sha256msg1`/`msg2`)
//! depends only on the block, so each block is expanded once and its rounds are applied to both
//! states in turn: the second chain fills the first one's latency and the expansion is shared.
//! The instruction sequence is Intel's ("Intel SHA Extensions", 2013), with the rounds of the
//! two states interleaved.
//!
//! This is the only module in the workspace that may use `unsafe`: the unaligned loads of the
//! blocks and round constants take raw pointers, and calling the kernel requires the CPU
//! features it is compiled for, which [`Detected`] proves.

use std::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_extract_epi32, _mm_loadu_si128, _mm_set_epi32,
    _mm_set_epi64x, _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32,
    _mm_shuffle_epi8, _mm_shuffle_epi32,
};

use crate::BLOCK;

/// The round constants, four per `sha256rnds2` pair.
const K: [[u32; 4]; 16] = [
    [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5],
    [0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5],
    [0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3],
    [0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174],
    [0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc],
    [0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da],
    [0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7],
    [0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967],
    [0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13],
    [0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85],
    [0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3],
    [0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070],
    [0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5],
    [0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3],
    [0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208],
    [0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2],
];

/// Proof that this CPU has every feature [`compress_pair_sha_ni`] is compiled for: made only by
/// [`Detected::now`], after asking the CPU.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Detected(());

impl Detected {
    /// `Some` when the CPU has SHA-NI and the SSE levels the kernel's shuffles need. (std caches
    /// the CPUID answer; callers ask once per hasher.)
    pub(crate) fn now() -> Option<Detected> {
        let has_all = std::is_x86_feature_detected!("sha")
            && std::is_x86_feature_detected!("sse2")
            && std::is_x86_feature_detected!("ssse3")
            && std::is_x86_feature_detected!("sse4.1");
        has_all.then_some(Detected(()))
    }
}

/// Compresses `blocks` into both `first` and `second`, as two separate SHA-256 compressions would.
pub(crate) fn compress_pair(
    _cpu: Detected,
    first: &mut [u32; 8],
    second: &mut [u32; 8],
    blocks: &[[u8; BLOCK]],
) {
    // SAFETY: the only requirement of a `#[target_feature]` function is that the CPU has those
    // features, and a `Detected` exists only after `Detected::now` found all of them.
    unsafe { compress_pair_sha_ni(first, second, blocks) }
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress_pair_sha_ni(first: &mut [u32; 8], second: &mut [u32; 8], blocks: &[[u8; BLOCK]]) {
    // Byte order: SHA-256 reads big-endian words; this shuffle swaps each 32-bit lane's bytes.
    let big_endian = _mm_set_epi64x(0x0C0D_0E0F_0809_0A0B, 0x0405_0607_0001_0203);
    let (mut first_abef, mut first_cdgh) = load_state(first);
    let (mut second_abef, mut second_cdgh) = load_state(second);
    for block in blocks {
        let (first_abef_in, first_cdgh_in) = (first_abef, first_cdgh);
        let (second_abef_in, second_cdgh_in) = (second_abef, second_cdgh);
        let words = block.as_ptr().cast::<__m128i>();
        // SAFETY: `block` is 64 readable bytes, so the four 16-byte loads at offsets 0, 16, 32
        // and 48 stay inside it; `loadu` has no alignment requirement.
        let (mut w0, mut w1, mut w2, mut w3) = unsafe {
            (
                _mm_shuffle_epi8(_mm_loadu_si128(words), big_endian),
                _mm_shuffle_epi8(_mm_loadu_si128(words.add(1)), big_endian),
                _mm_shuffle_epi8(_mm_loadu_si128(words.add(2)), big_endian),
                _mm_shuffle_epi8(_mm_loadu_si128(words.add(3)), big_endian),
            )
        };
        // Four rounds of both states with schedule words `4 * quad ..= 4 * quad + 3`.
        macro_rules! rounds {
            ($words:expr, $quad:literal) => {{
                // SAFETY: `K[$quad]` is a `[u32; 4]`, 16 readable bytes; `loadu` has no
                // alignment requirement.
                let k = unsafe { _mm_loadu_si128(K[$quad].as_ptr().cast::<__m128i>()) };
                let low_rounds = _mm_add_epi32($words, k);
                let high_rounds = _mm_shuffle_epi32(low_rounds, 0x0E);
                first_cdgh = _mm_sha256rnds2_epu32(first_cdgh, first_abef, low_rounds);
                second_cdgh = _mm_sha256rnds2_epu32(second_cdgh, second_abef, low_rounds);
                first_abef = _mm_sha256rnds2_epu32(first_abef, first_cdgh, high_rounds);
                second_abef = _mm_sha256rnds2_epu32(second_abef, second_cdgh, high_rounds);
            }};
        }
        // The next four schedule words replace the oldest four (`$oldest`), from the 12 after
        // them. Written out in full, so the schedule stays in registers (an indexed array of
        // four was kept on the stack).
        macro_rules! expand {
            ($oldest:ident, $older:ident, $newer:ident, $newest:ident) => {
                $oldest = _mm_sha256msg2_epu32(
                    _mm_add_epi32(
                        _mm_sha256msg1_epu32($oldest, $older),
                        _mm_alignr_epi8($newest, $newer, 4),
                    ),
                    $newest,
                );
            };
        }
        rounds!(w0, 0);
        rounds!(w1, 1);
        rounds!(w2, 2);
        rounds!(w3, 3);
        expand!(w0, w1, w2, w3);
        rounds!(w0, 4);
        expand!(w1, w2, w3, w0);
        rounds!(w1, 5);
        expand!(w2, w3, w0, w1);
        rounds!(w2, 6);
        expand!(w3, w0, w1, w2);
        rounds!(w3, 7);
        expand!(w0, w1, w2, w3);
        rounds!(w0, 8);
        expand!(w1, w2, w3, w0);
        rounds!(w1, 9);
        expand!(w2, w3, w0, w1);
        rounds!(w2, 10);
        expand!(w3, w0, w1, w2);
        rounds!(w3, 11);
        expand!(w0, w1, w2, w3);
        rounds!(w0, 12);
        expand!(w1, w2, w3, w0);
        rounds!(w1, 13);
        expand!(w2, w3, w0, w1);
        rounds!(w2, 14);
        expand!(w3, w0, w1, w2);
        rounds!(w3, 15);
        first_abef = _mm_add_epi32(first_abef, first_abef_in);
        first_cdgh = _mm_add_epi32(first_cdgh, first_cdgh_in);
        second_abef = _mm_add_epi32(second_abef, second_abef_in);
        second_cdgh = _mm_add_epi32(second_cdgh, second_cdgh_in);
    }
    store_state(first, first_abef, first_cdgh);
    store_state(second, second_abef, second_cdgh);
}

/// The state `a..h` as the two registers `sha256rnds2` works on: lanes (high to low) `a b e f`
/// and `c d g h`.
#[target_feature(enable = "sse2")]
fn load_state(state: &[u32; 8]) -> (__m128i, __m128i) {
    let lane = |i: usize| state[i].cast_signed();
    (
        _mm_set_epi32(lane(0), lane(1), lane(4), lane(5)),
        _mm_set_epi32(lane(2), lane(3), lane(6), lane(7)),
    )
}

/// The inverse of [`load_state`].
#[target_feature(enable = "sse4.1")]
fn store_state(state: &mut [u32; 8], abef: __m128i, cdgh: __m128i) {
    *state = [
        _mm_extract_epi32::<3>(abef),
        _mm_extract_epi32::<2>(abef),
        _mm_extract_epi32::<3>(cdgh),
        _mm_extract_epi32::<2>(cdgh),
        _mm_extract_epi32::<1>(abef),
        _mm_extract_epi32::<0>(abef),
        _mm_extract_epi32::<1>(cdgh),
        _mm_extract_epi32::<0>(cdgh),
    ]
    .map(i32::cast_unsigned);
}
