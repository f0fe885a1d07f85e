//! The integration tests: one binary, one module per area.

#[path = "it/support.rs"]
mod support;

#[path = "it/catalog.rs"]
mod catalog;
#[path = "it/cli.rs"]
mod cli;
#[path = "it/inputs.rs"]
mod inputs;
#[path = "it/pages.rs"]
mod pages;
#[path = "it/rules_dir.rs"]
mod rules_dir;
