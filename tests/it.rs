//! The integration tests: one binary, one module per area.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "it/support.rs"]
mod support;

#[path = "it/catalog.rs"]
mod catalog;
#[path = "it/cli.rs"]
mod cli;
#[path = "it/contract.rs"]
mod contract;
#[path = "it/failures.rs"]
mod failures;
#[path = "it/hostile.rs"]
mod hostile;
#[path = "it/inputs.rs"]
mod inputs;
#[path = "it/pages.rs"]
mod pages;
#[path = "it/pipeline.rs"]
mod pipeline;
#[path = "it/properties.rs"]
mod properties;
#[path = "it/ranking.rs"]
mod ranking;
#[path = "it/rules_dir.rs"]
mod rules_dir;
#[path = "it/wrapping.rs"]
mod wrapping;
