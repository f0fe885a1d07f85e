//! buildmedic: reads a build or deploy log and says why it failed and what
//! to change.
//!
//! The data flows one way:
//! `input` (bytes) -> `normalize` (text) -> `matcher` (hits) -> `diagnose`
//! (ranked findings) -> `render`; `failure` tells which lines show a
//! failure, and `suspects` ranks the lines likeliest to state one no rule
//! knows. `catalog` is read-only configuration for the matcher and the
//! renderers; `app` is the only module that wires the stages together, and
//! [`run`] is the whole program, callable in-process.

pub mod app;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod context;
pub mod diagnose;
pub mod error;
pub mod failure;
pub mod input;
pub mod interrupt;
pub mod matcher;
pub mod normalize;
pub mod redact;
pub mod render;
pub mod selftest;
pub mod skeleton;
pub mod suspects;

pub use app::run;
pub use config::Env;
