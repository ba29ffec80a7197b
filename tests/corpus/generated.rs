//! The two corpus inputs too big to commit, made at test time and the same every time: a raw
//! movies file with one 10 MiB field, and 50 MiB of seeded random bytes. Included with `#[path]`
//! by crates/core/tests/corpus.rs and crates/cli/tests/cli/corpus.rs, so both read the same bytes.

/// The size of the field in [`huge_field_movies`]: ten times the reader's line limit.
pub const HUGE_FIELD_BYTES: usize = 10 << 20;

/// The size of [`garbage`].
pub const GARBAGE_BYTES: usize = 50 << 20;

/// A movies file: the header, a good row, a row whose `personagem` is 10 MiB of `x`, a good row.
/// The reader rejects line 3 whole ("longer than 1048576 bytes") and keeps reading.
pub fn huge_field_movies() -> Vec<u8> {
    let header = "id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos\r\n";
    let row = |id: &str, character: &str| {
        format!(
            "{id}|Miss Jerry|Miss Jerry|1894|45|Romance|5.3|200|actress|{character}|Blanche Bayliss|1878|1951|actress|tt0000009\r\n"
        )
    };
    let mut file = Vec::with_capacity(HUGE_FIELD_BYTES + 1024);
    file.extend_from_slice(header.as_bytes());
    file.extend_from_slice(row("tt0000009", "Miss Geraldine Holbrook").as_bytes());
    file.extend_from_slice(row("tt0000010", &"x".repeat(HUGE_FIELD_BYTES)).as_bytes());
    file.extend_from_slice(row("tt0000011", "Miss Jerry").as_bytes());
    file
}

/// 50 MiB from splitmix64 seeded with 11 (issue 11): random bytes, so about one line end every
/// 256 bytes and almost no valid UTF-8.
pub fn garbage() -> Vec<u8> {
    let mut state: u64 = 11;
    let mut bytes = Vec::with_capacity(GARBAGE_BYTES);
    while bytes.len() < GARBAGE_BYTES {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        bytes.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    bytes
}
