//! End-to-end tests of the real `cinelake` binary. One test binary for the whole CLI (each test
//! binary links every dependency again): each command's tests are a module under `tests/cli/`.

#[path = "cli/check.rs"]
mod check;

#[path = "cli/corpus.rs"]
mod corpus;

#[path = "cli/faults.rs"]
mod faults;

#[path = "cli/gen.rs"]
mod generate;

#[path = "cli/ingest.rs"]
mod ingest;

#[path = "cli/model.rs"]
mod model;
