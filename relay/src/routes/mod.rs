//! The HTTP routes, one module per area; [`crate::app`] puts them together.

pub mod callback;
pub mod config;
pub mod listen;
pub mod pending;
pub mod proxy;
pub mod static_files;
