//! shiphub: the hub server (REST API, store, call layer) and its CLI.

pub mod api;
pub mod call_layer;
pub mod cli;
pub mod cli_audit;
pub mod cli_rate;
pub mod crypto;
pub mod ids;
pub mod reconcile;
pub mod state;
pub mod store;
pub mod tracking;
pub mod webhooks;
