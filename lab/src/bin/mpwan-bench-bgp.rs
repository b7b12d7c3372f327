//! The BGP benchmark behind `bench/bgp`: announcing 100 000 prefixes,
//! receiving 500 000, and withdraw latency, mpwan side by side with gobgpd
//! and BIRD in the lab's namespaces; see `mpwan_lab::bench::bgp`.
//!
//! Usage: mpwan-bench-bgp [--quick] PATH-TO-MPWAN   (as root)

use mpwan_lab::bench::bgp::{self, Plan};
use mpwan_lab::bench::cli;

fn main() {
    cli::main("mpwan-bench-bgp", |quick, mpwan| {
        bgp::run(mpwan, if quick { Plan::QUICK } else { Plan::FULL })
    });
}
