//! The console's stylesheet and scripts, compiled into the binary (no CDN, works offline).
//! Each is served under a name that carries its content's hash, so browsers may keep it for a
//! year and still see a new build's at once.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// (name, content type, bytes). Each page module's script is its own file.
const FILES: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    ),
    (
        "shipments.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/shipments.js"),
    ),
    (
        "print.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/print.js"),
    ),
    (
        "finance.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/finance.js"),
    ),
];

/// Each file's served name: `app.3f2a9c01.css`.
static HASHED: LazyLock<Vec<(String, usize)>> = LazyLock::new(|| {
    FILES
        .iter()
        .enumerate()
        .map(|(i, (name, _, body))| {
            let digest = Sha256::digest(body.as_bytes());
            let tag = hex::encode(&digest[..4]);
            let (stem, ext) = name
                .rsplit_once('.')
                .expect("asset names have an extension");
            (format!("{stem}.{tag}.{ext}"), i)
        })
        .collect()
});

/// The URL of asset `name` (one of [`FILES`]).
pub fn href(name: &str) -> String {
    let i = FILES
        .iter()
        .position(|(n, _, _)| *n == name)
        .unwrap_or_else(|| panic!("no console asset {name}"));
    let served = HASHED
        .iter()
        .find(|(_, j)| *j == i)
        .map(|(s, _)| s.as_str())
        .expect("every asset is hashed");
    format!("/console/assets/{served}")
}

pub fn router() -> Router<AppState> {
    Router::new().route("/console/assets/{name}", get(serve))
}

async fn serve(Path(name): Path<String>) -> Response {
    let Some((_, i)) = HASHED.iter().find(|(s, _)| *s == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (_, kind, body) = FILES[*i];
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_hashed_name_that_serves_it() {
        for (name, _, _) in FILES {
            let h = href(name);
            assert!(h.starts_with("/console/assets/"), "{h}");
            assert_ne!(h, format!("/console/assets/{name}"));
        }
    }
}
