//! The overview: what needs attention today.

use axum::Router;
use axum::routing::get;
use maud::html;

use super::{Operator, Page, layout};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/console", get(page))
}

async fn page(op: Operator) -> Page {
    Ok(layout::page(
        &op,
        "Overview",
        "/console",
        &[],
        html! {
            p { "Welcome." }
        },
    ))
}
