//! buildmedic: reads a build or deploy log and says why it failed and what
//! to change.
//!
//! The data flows one way:
//! `input` (bytes) -> `normalize` (text) -> `matcher` (hits) -> `window`
//! (conditions) -> `finding`s -> `rank` -> `render`. `failure` tells which
//! lines show a failure, and `suspects` ranks the lines likeliest to state
//! one no rule knows. [`Engine`] is the front door that runs the stages over
//! one input; `catalog` is read-only configuration for the engine and the
//! renderers; `app` is the command line, and [`run`] is the whole program,
//! callable in-process.

#![warn(missing_docs)]

pub mod app;
pub mod builder;
pub mod catalog;
// The command line's types: their doc comments are its `--help` text.
#[allow(missing_docs)]
pub mod cli;
pub mod config;
pub mod context;
pub mod engine;
pub mod error;
pub mod failure;
pub mod finding;
pub mod input;
pub mod interrupt;
pub mod matcher;
pub mod normalize;
pub mod rank;
pub mod redact;
pub mod render;
pub mod selftest;
pub mod skeleton;
pub mod suspects;
pub mod window;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub use app::run;
pub use catalog::Catalog;
pub use config::Env;
pub use engine::{Engine, Events, Options};
pub use finding::{Finding, InputReport, Report, Role, RuleIndex, Status};
