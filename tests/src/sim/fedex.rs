//! fedex simulator (being built).

use axum::Router;

use super::Sim;

pub fn router(sim: Sim) -> Router {
    super::control(sim)
}
