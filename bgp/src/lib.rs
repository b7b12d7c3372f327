//! An embeddable BGP speaker: wire codec, session FSM, Graceful Restart,
//! Adj-RIB-In/Out and the announce policy.
#![forbid(unsafe_code)]
