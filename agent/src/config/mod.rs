//! Configuration: `mpwan.toml` and `wan.d/<name>.toml`, loaded strictly.

pub mod model;

pub use model::*;
