//! Unit tests of the reconciler, with virtual time and a model kernel.

mod changes;
mod failures;
mod harness;
mod rejoin;
mod start;
mod subflows;
