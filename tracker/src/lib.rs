//! WAN health tracking: probes (ICMP, DNS, HTTP, link events) and the
//! health state machine that turns probe rounds into WAN states.
#![forbid(unsafe_code)]
