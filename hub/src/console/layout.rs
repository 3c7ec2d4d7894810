//! The page shell: head, the navigation the role may use, the main region, and the headers
//! every console answer carries (a strict Content-Security-Policy: scripts and styles only from
//! the hub itself, no inline script, no framing).

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::Operator;
use super::assets;
use crate::roles::Permission;

/// A navigation entry: where, what it is called, and the permission that shows it (every role
/// reads; `None` shows it to everyone).
struct Nav {
    href: &'static str,
    label: &'static str,
    needs: Option<Permission>,
}

const NAV: &[Nav] = &[
    Nav {
        href: "/console",
        label: "Overview",
        needs: None,
    },
    Nav {
        href: "/console/shipments",
        label: "Shipments",
        needs: None,
    },
    Nav {
        href: "/console/exceptions",
        label: "Exceptions",
        needs: None,
    },
    Nav {
        href: "/console/print",
        label: "Print stations",
        needs: None,
    },
    Nav {
        href: "/console/webhooks",
        label: "Webhooks",
        needs: None,
    },
    Nav {
        href: "/console/carriers",
        label: "Carrier accounts",
        needs: None,
    },
    Nav {
        href: "/console/reconciliation",
        label: "Reconciliation",
        needs: None,
    },
    Nav {
        href: "/console/analytics",
        label: "Analytics",
        needs: None,
    },
    Nav {
        href: "/console/team",
        label: "Users & keys",
        needs: Some(Permission::Users),
    },
];

/// Sets the headers every console answer carries.
pub fn secure_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; \
             script-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · shiphub" }
            link rel="stylesheet" href=(assets::href("app.css"));
            script src=(assets::href("app.js")) defer {}
        }
    }
}

/// A page for a logged-in operator: `active` is the navigation entry's href it belongs to;
/// `scripts` are the page's own assets (by name) beside `app.js`.
pub fn page(op: &Operator, title: &str, active: &str, scripts: &[&str], body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf-token" content=(op.csrf());
                title { (title) " · shiphub" }
                link rel="stylesheet" href=(assets::href("app.css"));
                script src=(assets::href("app.js")) defer {}
                @for s in scripts { script src=(assets::href(s)) defer {} }
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/console" { "shiphub" }
                    nav aria-label="Console" {
                        ul {
                            @for n in NAV {
                                @if n.needs.is_none_or(|p| op.can(p)) {
                                    li {
                                        @if n.href == active {
                                            a href=(n.href) aria-current="page" { (n.label) }
                                        } @else {
                                            a href=(n.href) { (n.label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    form class="who" method="post" action="/console/logout" {
                        span { (op.email()) " · " span class="role" { (op.0.role) } }
                        input type="hidden" name="csrf" value=(op.csrf());
                        button type="submit" class="link" { "Log out" }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    let mut res = markup.into_response();
    secure_headers(res.headers_mut());
    res
}

/// A page with no navigation (login, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body { (body) }
        }
    }
}

/// A labelled count for the overview's tiles and the boards' headers.
pub fn stat(label: &str, value: impl std::fmt::Display, href: Option<&str>, alert: bool) -> Markup {
    html! {
        div class={ "stat" @if alert { " alert" } } {
            @if let Some(h) = href {
                a href=(h) { span class="value" { (value) } span class="label" { (label) } }
            } @else {
                span class="value" { (value) } span class="label" { (label) }
            }
        }
    }
}

/// A table that scrolls sideways on a narrow screen instead of overflowing the page.
pub fn table(caption: &str, head: &[&str], rows: Markup) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                caption { (caption) }
                thead { tr { @for h in head { th scope="col" { (h) } } } }
                tbody { (rows) }
            }
        }
    }
}
