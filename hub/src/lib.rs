//! shiphub: the hub server (REST API, store, call layer) and its CLI.

pub mod ids;
pub mod store;
