//! cinelake's core: everything both halves of the product share, with no I/O beyond
//! `std::io::Read`/`Write`.
//!
//! The CLI uses it to validate and fold the challenge's raw files and to write the dashboard
//! extract; the dashboard (compiled to wasm32) uses it to read that extract and to compute every
//! number it shows. Keeping the maths here means it is tested natively, fast, and only once.
//!
//! Architecture invariant: this crate knows nothing of S3, files, the DOM or async runtimes, and
//! it compiles for `wasm32-unknown-unknown`.

pub mod extract;
pub mod fold;
pub mod generate;
pub mod model;
pub mod raw;
pub mod title;
pub mod tmdb;
pub mod yearly;

pub use title::{GenreGroup, Kind, Rating, Title, Tmdb, Year};
