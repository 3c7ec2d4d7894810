//! The error answers operations share, as reusable `utoipa::IntoResponses` families, so every
//! `#[utoipa::path]` documents each status it can give (all `application/problem+json` with
//! the `Problem` schema) without repeating the list. An operation names the families that
//! apply: [`Auth`] on every `/v1` operation, [`Missing`] where a path names a resource,
//! [`BadBody`] where a JSON body is parsed, [`BadQuery`] where query parameters are, and
//! [`CarrierFailure`] where a carrier is called. Statuses particular to one operation (a 409
//! conflict) stay tuples on that operation, with a description saying when.
#![allow(dead_code)] // The variants are never built: they only describe answers.

use super::problem::Problem;

/// Every authenticated operation: a missing or unknown key, and the per-key request limit.
#[derive(utoipa::IntoResponses)]
pub enum Auth {
    /// No `Authorization: Bearer <key>` header, or an unknown or revoked key.
    #[response(status = 401, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/unauthorized", "title": "Missing or invalid API key",
            "status": 401, "detail": "send `Authorization: Bearer <api key>`"}))]
    Unauthorized(Problem),
    /// The key's scope or the user's role lacks the permission the operation needs (the
    /// detail names it), or a request authenticated by the session cookie changes something
    /// without its `X-CSRF-Token` header.
    #[response(status = 403, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/forbidden", "title": "Forbidden",
            "status": 403, "detail": "this needs the `buy` permission, which the role `viewer` does not grant"}))]
    Forbidden(Problem),
    /// Too many requests for this key or tenant; retry after `Retry-After` seconds.
    #[response(status = 429, content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds to wait before retrying")),
        example = json!({"type": "https://shiphub.dev/problems/rate-limited", "title": "Too many requests",
            "status": 429, "retryable": true, "retry_after": 1}))]
    RateLimited(Problem),
    /// The hub's database cannot be reached (down, restarting, failing over): nothing was
    /// changed; retry after `Retry-After` seconds (with the same `Idempotency-Key`).
    #[response(status = 503, content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds to wait before retrying")),
        example = json!({"type": "https://shiphub.dev/problems/database-unavailable",
            "title": "The database cannot be reached", "status": 503,
            "detail": "the hub's database is down, restarting or failing over; nothing was changed unless a purchase says otherwise: send the same request (and Idempotency-Key) again after Retry-After",
            "retryable": true, "retry_after": 2}))]
    DatabaseUnavailable(Problem),
}

/// Operations whose path names a resource of the tenant's.
#[derive(utoipa::IntoResponses)]
pub enum Missing {
    /// No such resource for this tenant (ids of other tenants are not found either).
    #[response(status = 404, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/not-found", "title": "Not found",
            "status": 404, "detail": "no such shipment"}))]
    NotFound(Problem),
    /// A path segment holds a control character (`%00`): `errors` points at `/path/<name>`.
    #[response(status = 422, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/validation", "title": "The request is not valid",
            "status": 422, "detail": "/path/id: must not contain control characters (U+0000 to U+001F, U+007F to U+009F)",
            "errors": [{"pointer": "/path/id", "detail": "must not contain control characters (U+0000 to U+001F, U+007F to U+009F)", "code": "pattern"}]}))]
    BadPath(Problem),
}

/// Operations that parse a JSON body.
#[derive(utoipa::IntoResponses)]
pub enum BadBody {
    /// The body is not JSON.
    #[response(status = 400, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/malformed-request", "title": "Malformed request body",
            "status": 400, "detail": "EOF while parsing an object at line 1 column 9"}))]
    Malformed(Problem),
    /// The body stopped arriving for longer than the body timeout (`--body-timeout`); nothing
    /// was done.
    #[response(status = 408, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/body-timeout", "title": "The request body stopped arriving",
            "status": 408, "retryable": true}))]
    BodyTimeout(Problem),
    /// The body is larger than the route's limit (1 MiB; `POST /v1/batches` 32 MiB); `detail`
    /// names the limit that refused.
    #[response(status = 413, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/body-too-large", "title": "Request body too large",
            "status": 413}))]
    TooLarge(Problem),
    /// `Content-Type` is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/unsupported-media-type",
            "title": "Expected Content-Type: application/json", "status": 415}))]
    UnsupportedMedia(Problem),
    /// A field is missing or invalid: `errors` names each one by JSON pointer.
    #[response(status = 422, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/validation", "title": "The request is not valid",
            "status": 422, "detail": "/to/postal_code: is required",
            "errors": [{"pointer": "/to/postal_code", "detail": "is required"}]}))]
    Invalid(Problem),
}

/// Operations that read query (or path) parameters beyond an id.
#[derive(utoipa::IntoResponses)]
pub enum BadQuery {
    /// A parameter is missing or invalid: `errors` names each one (`/limit`).
    #[response(status = 422, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/validation", "title": "The request is not valid",
            "status": 422, "detail": "/limit: must be between 1 and 100",
            "errors": [{"pointer": "/limit", "detail": "must be between 1 and 100"}]}))]
    Invalid(Problem),
}

/// Operations that call a carrier.
#[derive(utoipa::IntoResponses)]
pub enum CarrierFailure {
    /// The carrier rejected the account's credentials, or answered something unreadable.
    #[response(status = 502, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/carrier-auth",
            "title": "The carrier rejected the account's credentials", "status": 502,
            "detail": "ups: authentication failed", "retryable": false, "carrier": "ups"}))]
    BadGateway(Problem),
    /// The carrier is down or throttling, or (`account-throttled`, purchases) the carrier
    /// account's request quota has no slot within the purchase's 2 s wait and nothing was sent,
    /// or (`database-unavailable`) the hub's database cannot be reached: retry after
    /// `Retry-After` seconds (with the same `Idempotency-Key` for purchases and voids).
    #[response(status = 503, content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds to wait before retrying")),
        example = json!({"type": "https://shiphub.dev/problems/carrier-unavailable",
            "title": "The carrier is unavailable", "status": 503,
            "detail": "ups: connection timed out", "retryable": true, "retry_after": 5, "carrier": "ups"}))]
    Unavailable(Problem),
}

/// Operations that honour `Idempotency-Key`.
#[derive(utoipa::IntoResponses)]
pub enum Idempotent {
    /// A request with this key is still being processed; retry after `Retry-After` seconds.
    #[response(status = 409, content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds to wait before retrying")),
        example = json!({"type": "https://shiphub.dev/problems/idempotency-in-progress",
            "title": "A request with this Idempotency-Key is still in progress", "status": 409,
            "retryable": true, "retry_after": 1}))]
    InProgress(Problem),
    /// The `Idempotency-Key` is not 1 to 255 visible ASCII characters, or was first used for
    /// another request.
    #[response(status = 422, content_type = "application/problem+json",
        example = json!({"type": "https://shiphub.dev/problems/idempotency-key-reused",
            "title": "Idempotency-Key reused with a different request", "status": 422,
            "detail": "this Idempotency-Key was first used with a different body; use a new key for a new request"}))]
    KeyReused(Problem),
}
