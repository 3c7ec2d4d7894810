//! Commands from a queue, answered by the API itself: a `streams::commands::Command` becomes the
//! HTTP request it stands for (its credential as `Authorization`, its message id as
//! `Idempotency-Key`, its body as the JSON body) and goes through the same router, so a queued
//! purchase is checked, authorized, deduplicated and answered exactly as a POST would be. A
//! message that names no known command, no id or no body is answered here with a problem that
//! names the header or field at fault.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use tower::ServiceExt;

use super::problem::Problem;
use crate::error::FieldProblem;
use crate::state::AppState;
use crate::streams::commands::{Command, Handler, Reply};

/// Largest answer read back (a shipment with its label links is a few KiB).
const MAX_ANSWER: usize = 4 << 20;

/// The handler `--commands-from` runs every command with.
pub fn handler(app: AppState) -> Handler {
    let router = super::router(app);
    std::sync::Arc::new(move |cmd| {
        let router = router.clone();
        Box::pin(async move { run(router, cmd).await })
    })
}

async fn run(router: Router, cmd: Command) -> Reply {
    let req = match request(&cmd) {
        Ok(req) => req,
        Err(p) => return problem(*p),
    };
    match router.oneshot(req).await {
        Ok(res) => {
            let status = res.status().as_u16();
            match axum::body::to_bytes(res.into_body(), MAX_ANSWER).await {
                Ok(body) => Reply {
                    status,
                    body: body.to_vec(),
                },
                Err(e) => problem(internal(format!("reading the answer: {e}"))),
            }
        }
        Err(e) => match e {},
    }
}

/// The HTTP request a command stands for, or the problem with the message.
fn request(cmd: &Command) -> Result<Request<Body>, Box<Problem>> {
    let id = cmd
        .id
        .as_deref()
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| {
            malformed(
                "/headers/message-id",
                "a command needs a message id: it is the idempotency key",
            )
        })?;
    let body: serde_json::Value = serde_json::from_slice(&cmd.body)
        .map_err(|e| malformed("/body", &format!("the payload is not JSON: {e}")))?;
    let (path, body) = match cmd.command.as_deref() {
        Some("purchase") => ("/v1/shipments".to_string(), Some(body)),
        Some("tracker") => ("/v1/trackers".to_string(), Some(body)),
        Some("print_job") => ("/v1/print-jobs".to_string(), Some(body)),
        Some("void") => {
            let shipment = body["shipment"]
                .as_str()
                .filter(|s| {
                    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                })
                .ok_or_else(|| {
                    malformed(
                        "/shipment",
                        "a void names the shipment: {\"shipment\": \"shp_…\"}",
                    )
                })?;
            (format!("/v1/shipments/{shipment}/void"), None)
        }
        Some(other) => {
            return Err(malformed(
                "/headers/shiphub-command",
                &format!("unknown command `{other}`: purchase, void, tracker or print_job"),
            ));
        }
        None => {
            return Err(malformed(
                "/headers/shiphub-command",
                "name the command: purchase, void, tracker or print_job",
            ));
        }
    };
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("idempotency-key", id);
    if let Some(c) = &cmd.credential {
        req = req.header(header::AUTHORIZATION, c.as_str());
    }
    let body = match body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(serde_json::to_vec(&b).expect("JSON serializes"))
        }
        None => Body::empty(),
    };
    req.body(body).map_err(|e| {
        malformed(
            "/headers",
            &format!("the headers do not make a request: {e}"),
        )
    })
}

fn malformed(pointer: &str, detail: &str) -> Box<Problem> {
    Box::new(Problem {
        type_: "https://shiphub.dev/problems/malformed-command".into(),
        title: "Malformed command".into(),
        status: StatusCode::BAD_REQUEST.as_u16(),
        detail: Some(detail.to_string()),
        errors: vec![FieldProblem {
            pointer: pointer.into(),
            detail: detail.to_string(),
            code: None,
        }],
        retryable: Some(false),
        retry_after: None,
        carrier: None,
    })
}

fn internal(detail: String) -> Problem {
    Problem {
        type_: "https://shiphub.dev/problems/internal".into(),
        title: "Internal error".into(),
        status: StatusCode::INTERNAL_SERVER_ERROR.as_u16(),
        detail: Some(detail),
        errors: vec![],
        retryable: Some(true),
        retry_after: None,
        carrier: None,
    }
}

fn problem(p: Problem) -> Reply {
    Reply {
        status: p.status,
        body: serde_json::to_vec(&p).expect("problem serializes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(command: &str, id: Option<&str>, body: &str) -> Command {
        Command {
            command: Some(command.into()),
            id: id.map(str::to_string),
            credential: Some("Bearer sh_x".into()),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn commands_become_the_posts_they_stand_for() {
        let r = request(&cmd("purchase", Some("m-1"), "{}")).unwrap();
        assert_eq!(r.uri(), "/v1/shipments");
        assert_eq!(r.headers()["idempotency-key"], "m-1");
        assert_eq!(r.headers()["authorization"], "Bearer sh_x");
        let r = request(&cmd("void", Some("m-2"), r#"{"shipment":"shp_01"}"#)).unwrap();
        assert_eq!(r.uri(), "/v1/shipments/shp_01/void");
    }

    #[test]
    fn malformed_commands_get_a_problem_naming_what_is_wrong() {
        let p = request(&cmd("purchase", None, "{}")).unwrap_err();
        assert_eq!(p.errors[0].pointer, "/headers/message-id");
        let p = request(&cmd("purchase", Some("m"), "not json")).unwrap_err();
        assert_eq!(p.errors[0].pointer, "/body");
        let p = request(&cmd("refund", Some("m"), "{}")).unwrap_err();
        assert_eq!(p.errors[0].pointer, "/headers/shiphub-command");
        let p = request(&cmd("void", Some("m"), r#"{"shipment":"../x"}"#)).unwrap_err();
        assert_eq!(p.errors[0].pointer, "/shipment");
    }
}
