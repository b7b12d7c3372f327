//! Tests of the health state machine on virtual time: no sleeps, no
//! sockets. `harness` drives single rounds with exact outcomes; `sim`
//! runs a simulated network through time; `scenarios` replays the data
//! files in tests/scenarios/.

mod harness;
mod sim;

mod carrier;
mod clock;
mod detection;
mod edges;
mod flapping;
mod quality;
mod random_loss;
mod scenarios;
mod transitions;
mod validation;
mod wan;
