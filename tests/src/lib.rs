//! Test support for the end-to-end tests: carrier simulators (`sim`) that speak the carriers'
//! wire formats on loopback, usable from tests and by a person through the `carrier-sim` binary.

pub mod sim;
