//! Helpers shared by the lab's own tests.

use mpwan_lab::Lab;

/// A new lab; the panic message holds the whole error chain.
pub fn lab() -> Lab {
    Lab::new().unwrap_or_else(|e| panic!("{e:?}"))
}
