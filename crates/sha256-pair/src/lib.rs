//! The SHA-256 of a whole stream and of each of its fixed-size parts, computed in one pass.
//!
//! `cinelake ingest` needs both for every file it uploads: the whole file's SHA-256 (stored as
//! object metadata) and one per multipart-upload part (sent as `x-amz-checksum-sha256`, so the
//! server verifies each part). Hashing the file twice costs two SHA-256 passes; this crate does
//! it in about 0.57 of that (BENCHMARKS.md, "ingest").
//!
//! How: when the part size is a whole number of 64-byte blocks, every block of the file is one
//! block of the whole file's message and one block of exactly one part's message, at the same
//! offset. SHA-256's message schedule depends only on the block, so [`WholeAndParts`] expands
//! each block once and advances both states with it; on x86-64 with SHA-NI the two states'
//! rounds are interleaved, which hides the latency of the round instruction (`sha_ni`). On
//! other CPUs and on wasm32 the same two states are advanced by `sha2::compress256`, one after
//! the other. Part sizes that are not whole blocks fall back to two ordinary `sha2` hashers.
//!
//! Architecture Invariant: the only `unsafe` of the workspace is in this crate's `sha_ni`
//! module (unaligned SIMD loads and the call to the feature-gated kernel), and every result is
//! property-tested against `sha2::Sha256` on both kernels.

#![deny(unsafe_op_in_unsafe_fn)]

use std::num::NonZeroU64;

use sha2::digest::generic_array::GenericArray;
use sha2::{Digest as _, Sha256};

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod sha_ni;

/// Bytes in one SHA-256 block.
const BLOCK: usize = 64;

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const INITIAL_STATE: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The SHA-256 of everything given to a [`WholeAndParts`] and of each of its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WholeAndPartsDigests {
    /// Bytes hashed.
    pub bytes: u64,
    /// The SHA-256 of all the bytes.
    pub whole: [u8; 32],
    /// The SHA-256 of each consecutive `part_size`-byte part, in order; the last part may be
    /// shorter. No bytes, no parts.
    pub parts: Vec<[u8; 32]>,
}

/// Hashes a stream as a whole and in `part_size`-byte parts at once: feed it with
/// [`update`](Self::update) in chunks of any size, then [`finish`](Self::finish).
///
/// ```
/// use std::num::NonZeroU64;
/// use cinelake_sha256_pair::WholeAndParts;
///
/// let mut hasher = WholeAndParts::new(NonZeroU64::new(64).unwrap());
/// hasher.update(&[7; 100]);
/// let digests = hasher.finish();
/// assert_eq!((digests.bytes, digests.parts.len()), (100, 2));
/// ```
pub struct WholeAndParts {
    part_size: NonZeroU64,
    mode: Mode,
}

enum Mode {
    /// Part size a whole number of blocks: one expansion per block, two states.
    Paired(Paired),
    /// Any other part size: two independent hashers.
    Separate(Separate),
}

impl WholeAndParts {
    /// A hasher for parts of `part_size` bytes, on the fastest kernel this CPU has.
    pub fn new(part_size: NonZeroU64) -> Self {
        Self::with_kernel(part_size, Kernel::detect())
    }

    fn with_kernel(part_size: NonZeroU64, kernel: Kernel) -> Self {
        let bytes = part_size.get();
        let mode = if bytes.is_multiple_of(BLOCK as u64) {
            Mode::Paired(Paired {
                kernel,
                part_size: bytes,
                whole: INITIAL_STATE,
                part: INITIAL_STATE,
                whole_compressed: 0,
                part_compressed: 0,
                pending: [0; BLOCK],
                pending_len: 0,
                parts: Vec::new(),
            })
        } else {
            Mode::Separate(Separate {
                part_size: bytes,
                whole: Sha256::new(),
                part: Sha256::new(),
                bytes: 0,
                part_filled: 0,
                parts: Vec::new(),
            })
        };
        WholeAndParts { part_size, mode }
    }

    /// The bytes per part this hasher was made for.
    pub fn part_size(&self) -> NonZeroU64 {
        self.part_size
    }

    /// Hashes the next `bytes` of the stream.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.mode {
            Mode::Paired(paired) => paired.update(bytes),
            Mode::Separate(separate) => separate.update(bytes),
        }
    }

    /// The digests of everything given to [`update`](Self::update).
    pub fn finish(self) -> WholeAndPartsDigests {
        match self.mode {
            Mode::Paired(paired) => paired.finish(),
            Mode::Separate(separate) => separate.finish(),
        }
    }
}

/// The two states and the bytes not yet making a whole block.
struct Paired {
    kernel: Kernel,
    /// A multiple of [`BLOCK`].
    part_size: u64,
    whole: [u32; 8],
    part: [u32; 8],
    /// Bytes compressed into `whole` (a multiple of [`BLOCK`]).
    whole_compressed: u64,
    /// Bytes of the current part compressed into `part` (a multiple of [`BLOCK`], below
    /// `part_size`: a full part is finished at once).
    part_compressed: u64,
    /// The start of the next block.
    pending: [u8; BLOCK],
    pending_len: usize,
    parts: Vec<[u8; 32]>,
}

impl Paired {
    fn update(&mut self, mut bytes: &[u8]) {
        if self.pending_len > 0 {
            let taken = (BLOCK - self.pending_len).min(bytes.len());
            let (now, rest) = bytes.split_at(taken);
            self.pending[self.pending_len..self.pending_len + taken].copy_from_slice(now);
            self.pending_len += taken;
            bytes = rest;
            if self.pending_len < BLOCK {
                return;
            }
            let block = self.pending;
            self.compress(std::slice::from_ref(&block));
            self.pending_len = 0;
        }
        let (blocks, rest) = bytes.as_chunks::<BLOCK>();
        self.compress(blocks);
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// Compresses whole blocks into both states, finishing each part as it fills.
    fn compress(&mut self, mut blocks: &[[u8; BLOCK]]) {
        while !blocks.is_empty() {
            let part_room = (self.part_size - self.part_compressed) / BLOCK as u64;
            let now =
                usize::try_from(part_room).map_or(blocks.len(), |room| room.min(blocks.len()));
            let (now, later) = blocks.split_at(now);
            self.kernel
                .compress_pair(&mut self.whole, &mut self.part, now);
            let compressed = (now.len() * BLOCK) as u64;
            self.whole_compressed += compressed;
            self.part_compressed += compressed;
            if self.part_compressed == self.part_size {
                self.parts
                    .push(pad_and_finish(self.part, self.part_size, &[]));
                self.part = INITIAL_STATE;
                self.part_compressed = 0;
            }
            blocks = later;
        }
    }

    fn finish(mut self) -> WholeAndPartsDigests {
        let tail = &self.pending[..self.pending_len];
        if self.part_compressed > 0 || !tail.is_empty() {
            self.parts
                .push(pad_and_finish(self.part, self.part_compressed, tail));
        }
        WholeAndPartsDigests {
            bytes: self.whole_compressed + tail.len() as u64,
            whole: pad_and_finish(self.whole, self.whole_compressed, tail),
            parts: self.parts,
        }
    }
}

/// The digest of a message whose first `compressed` bytes (whole blocks) gave `state` and whose
/// last bytes are `tail` (shorter than a block): SHA-256's padding (a 1 bit, zeros, the length
/// in bits as a 64-bit big-endian number, FIPS 180-4 5.1.1) and the final compression.
fn pad_and_finish(mut state: [u32; 8], compressed: u64, tail: &[u8]) -> [u8; 32] {
    let mut last = [0u8; 2 * BLOCK];
    last[..tail.len()].copy_from_slice(tail);
    last[tail.len()] = 0x80;
    // The length needs 8 bytes after the 0x80: a second block when the tail leaves fewer.
    let end = if tail.len() < BLOCK - 8 {
        BLOCK
    } else {
        2 * BLOCK
    };
    // SHA-256 defines the length modulo 2^64 bits.
    let bits = compressed.wrapping_add(tail.len() as u64).wrapping_mul(8);
    last[end - 8..end].copy_from_slice(&bits.to_be_bytes());
    compress(&mut state, last[..end].as_chunks::<BLOCK>().0);
    let mut digest = [0u8; 32];
    for (bytes, word) in digest.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// One state's compression of whole blocks, with `sha2` (which itself uses SHA-NI when present).
fn compress(state: &mut [u32; 8], blocks: &[[u8; BLOCK]]) {
    for block in blocks {
        sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
    }
}

/// Which code advances the two states of a [`Paired`] hasher.
#[derive(Debug, Clone, Copy)]
enum Kernel {
    /// `sha2::compress256` on each state in turn.
    Portable,
    /// Both states at once on SHA-NI, found at run time.
    #[cfg(target_arch = "x86_64")]
    ShaNi(sha_ni::Detected),
}

impl Kernel {
    fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        if let Some(cpu) = sha_ni::Detected::now() {
            return Kernel::ShaNi(cpu);
        }
        Kernel::Portable
    }

    fn compress_pair(self, first: &mut [u32; 8], second: &mut [u32; 8], blocks: &[[u8; BLOCK]]) {
        match self {
            Kernel::Portable => {
                compress(first, blocks);
                compress(second, blocks);
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::ShaNi(cpu) => sha_ni::compress_pair(cpu, first, second, blocks),
        }
    }
}

/// Two ordinary hashers, for part sizes that are not whole blocks.
struct Separate {
    part_size: u64,
    whole: Sha256,
    part: Sha256,
    bytes: u64,
    /// Bytes of the current part hashed so far (below `part_size`).
    part_filled: u64,
    parts: Vec<[u8; 32]>,
}

impl Separate {
    fn update(&mut self, mut bytes: &[u8]) {
        self.whole.update(bytes);
        self.bytes += bytes.len() as u64;
        while !bytes.is_empty() {
            let room = usize::try_from(self.part_size - self.part_filled).unwrap_or(usize::MAX);
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.part.update(now);
            self.part_filled += now.len() as u64;
            if self.part_filled == self.part_size {
                self.parts.push(self.part.finalize_reset().into());
                self.part_filled = 0;
            }
            bytes = rest;
        }
    }

    fn finish(mut self) -> WholeAndPartsDigests {
        if self.part_filled > 0 {
            self.parts.push(self.part.finalize().into());
        }
        WholeAndPartsDigests {
            bytes: self.bytes,
            whole: self.whole.finalize().into(),
            parts: self.parts,
        }
    }
}

#[cfg(test)]
mod tests;
