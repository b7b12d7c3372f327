//! The idle footprint benchmark behind `bench/footprint`: resident memory
//! of mpwan, gobgpd and BIRD 2 each holding one idle BGP session in the
//! lab's namespaces, and `mpwan restart` watched from the peer; see
//! `mpwan_lab::bench::footprint`. `bench/footprint` prints the binary
//! sizes itself.
//!
//! Usage: mpwan-bench-footprint [--quick] PATH-TO-MPWAN   (as root)

use mpwan_lab::bench::cli;
use mpwan_lab::bench::footprint::{self, Plan};

fn main() {
    cli::main("mpwan-bench-footprint", |quick, mpwan| {
        footprint::run(mpwan, if quick { Plan::QUICK } else { Plan::FULL })
    });
}
