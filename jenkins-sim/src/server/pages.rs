//! Responses shaped like Jenkins': API headers, the HTML error pages, redirects.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};

use super::limits::Container;
use crate::html::escape;
use crate::world::ControllerInfo;

/// A response under construction.
pub type Resp = Response<Body>;

fn set(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
        headers.append(n, v);
    }
}

/// A JSON `api/json` response with Api.setHeaders' headers.
pub fn api(c: &ControllerInfo, content_type: &str, body: impl Into<Body>) -> Resp {
    let mut r = Response::new(body.into());
    let h = r.headers_mut();
    set(h, "Cache-Control", "private");
    set(h, "X-Content-Type-Options", "nosniff");
    set(h, "X-Jenkins", &c.version);
    set(h, "X-Jenkins-Session", &c.session);
    set(h, "X-Frame-Options", "deny");
    set(h, "Content-Type", content_type);
    r
}

/// A Pipeline REST API (Jackson) response: no X-Jenkins headers.
pub fn wfapi(body: String) -> Resp {
    private(body, "application/json;charset=UTF-8")
}

/// A job's `config.xml`: no `X-Jenkins` headers and no charset, as recorded.
pub fn config_xml(body: String) -> Resp {
    private(body, "application/xml")
}

/// A plain-text console response (no X-Jenkins headers, as recorded).
pub fn text(body: impl Into<Body>) -> Resp {
    private(body, "text/plain;charset=UTF-8")
}

/// A response with only the headers every non-API answer carries.
fn private(body: impl Into<Body>, content_type: &str) -> Resp {
    let mut r = Response::new(body.into());
    let h = r.headers_mut();
    set(h, "Cache-Control", "private");
    set(h, "X-Content-Type-Options", "nosniff");
    set(h, "Content-Type", content_type);
    r
}

fn session_cookie(h: &mut HeaderMap) {
    let id: u128 = rand::random();
    set_session_cookie(h, &format!("{id:032X}"));
}

/// Open an HTTP session: `Set-Cookie: JSESSIONID=…`, as Tomcat writes it.
pub fn set_session_cookie(h: &mut HeaderMap, id: &str) {
    set(
        h,
        "Set-Cookie",
        &format!("JSESSIONID={id}; Path=/; HttpOnly"),
    );
}

/// The headers of a Jenkins HTML page (l:layout).
fn html_page(c: &ControllerInfo, status: StatusCode, title: &str, message: &str) -> Resp {
    let crumb: u128 = rand::random();
    let body = format!(
        "<!DOCTYPE html><html><head resURL=\"/static/{s}\" data-rooturl=\"\" data-resurl=\"/static/{s}\" \
data-crumb-header=\"Jenkins-Crumb\" data-crumb-value=\"{crumb:032x}\"><title>{title}</title></head>\
<body data-model-type=\"hudson.model.Hudson\" id=\"jenkins\" class=\"one-column jenkins-{v}\" data-version=\"{v}\">\
<div id=\"main-panel\"><h1>{title}</h1><p>{message}</p></div></body></html>",
        s = c.session,
        v = c.version,
        title = escape(title),
        message = escape(message),
    );
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    set(h, "Cache-Control", "no-cache,no-store,must-revalidate");
    set(h, "X-Content-Type-Options", "nosniff");
    set(h, "Expires", "0");
    set(h, "X-Hudson-Theme", "default");
    set(h, "Referrer-Policy", "same-origin");
    set(h, "Cross-Origin-Opener-Policy", "same-origin");
    session_cookie(h);
    discovery_headers(h, c);
    set(h, "X-Frame-Options", "sameorigin");
    set(h, "Content-Type", "text/html;charset=UTF-8");
    r
}

/// `Functions.advertiseHeaders`: what HTML pages and the 403 entry point announce.
fn discovery_headers(h: &mut HeaderMap, c: &ControllerInfo) {
    set(h, "X-Hudson", "1.395");
    set(h, "X-Jenkins", &c.version);
    set(h, "X-Jenkins-Session", &c.session);
}

/// Jenkins' 404 page.
pub fn not_found(c: &ControllerInfo) -> Resp {
    html_page(c, StatusCode::NOT_FOUND, "Jenkins - Not found", "Not found")
}

/// The "Oops!" page of an uncaught exception (HTTP 500).
pub fn oops(c: &ControllerInfo, cause: &str) -> Resp {
    let id: u128 = rand::random();
    let mut r = html_page(
        c,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Jenkins - Oops!",
        &format!("A problem occurred while processing the request. Logging ID={id:032x} ({cause})"),
    );
    set(r.headers_mut(), "Connection", "close");
    r
}

/// 403 for an authenticated user without a permission (AccessDeniedException3).
pub fn access_denied(c: &ControllerInfo, user: &str, permission: &str) -> Resp {
    let mut r = html_page(
        c,
        StatusCode::FORBIDDEN,
        "Jenkins - Access Denied",
        &format!("{user} is missing the {permission} permission"),
    );
    let h = r.headers_mut();
    set(h, "X-You-Are-Authenticated-As", user);
    set(
        h,
        "X-You-Are-In-Group-Disabled",
        "JENKINS-39402: use -Dhudson.security.AccessDeniedException2.REPORT_GROUP_HEADERS=true or use /whoAmI to diagnose",
    );
    set(h, "X-Required-Permission", permission);
    let implied: &[&str] = match permission {
        "hudson.model.Hudson.Read" | "hudson.model.Item.Read" => &[
            "hudson.security.Permission.GenericRead",
            "hudson.model.Hudson.Administer",
        ],
        // Item.Build is implied by Permission.UPDATE, which WRITE implies, which Administer implies.
        "hudson.model.Item.Build" => &[
            "hudson.security.Permission.GenericUpdate",
            "hudson.security.Permission.GenericWrite",
            "hudson.model.Hudson.Administer",
        ],
        _ => &["hudson.model.Hudson.Administer"],
    };
    for p in implied {
        set(h, "X-Permission-Implied-By", p);
    }
    r
}

/// 403 for an anonymous caller: HudsonAuthenticationEntryPoint's login redirect.
pub fn login_required(c: &ControllerInfo, from: &str) -> Resp {
    let from =
        percent_encoding::utf8_percent_encode(from, percent_encoding::NON_ALPHANUMERIC).to_string();
    let body = format!(
        "<html><head><meta http-equiv='refresh' content='1;url=/login?from={from}'/><script id='redirect' \
data-redirect-url='/login?from={from}' src='/static/{s}/scripts/redirect.js'></script></head>\
<body style='background-color:white; color:white;'>\nAuthentication required\n<!--\n-->\n\n</body></html>",
        s = c.session
    );
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::FORBIDDEN;
    let h = r.headers_mut();
    set(h, "Cache-Control", "private");
    set(h, "X-Content-Type-Options", "nosniff");
    session_cookie(h);
    discovery_headers(h, c);
    set(h, "Content-Type", "text/html;charset=UTF-8");
    r
}

/// A servlet container's plain status page (401, 400, crumb 403), as Tomcat renders it.
pub fn container(status: StatusCode, message: &str) -> Resp {
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = status.as_u16();
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><title>HTTP Status {code} – {reason}</title></head><body>\
<h1>HTTP Status {code} – {reason}</h1><hr class=\"line\" /><p><b>Type</b> Status Report</p>\
<p><b>Message</b> {}</p><hr class=\"line\" /></body></html>",
        escape(message)
    );
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    set(h, "X-Content-Type-Options", "nosniff");
    set(h, "Content-Type", "text/html;charset=utf-8");
    set(h, "Content-Language", "en");
    r
}

/// The container's answer to a request head over its size limit, before Jenkins sees
/// it: Jetty's bad-message page (414 or 431), or Tomcat's 400 page. Either closes the
/// connection.
pub fn head_too_large(by: Container, status: StatusCode) -> Resp {
    let mut r = match by {
        Container::Jetty => {
            let code = status.as_u16();
            let reason = status.canonical_reason().unwrap_or("Bad Message");
            let mut r = Response::new(Body::from(format!(
                "<h1>Bad Message {code}</h1><pre>reason: {reason}</pre>"
            )));
            *r.status_mut() = status;
            set(
                r.headers_mut(),
                "Content-Type",
                "text/html;charset=iso-8859-1",
            );
            r
        }
        Container::Tomcat => container(StatusCode::BAD_REQUEST, "Request header is too large"),
    };
    set(r.headers_mut(), "Connection", "close");
    r
}

/// 401 with the Basic challenge.
pub fn unauthorized() -> Resp {
    let mut r = container(StatusCode::UNAUTHORIZED, "Unauthorized");
    let h = r.headers_mut();
    set(h, "Cache-Control", "private");
    set(
        h,
        "Set-Cookie",
        "remember-me=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:10 GMT; Path=/",
    );
    set(h, "WWW-Authenticate", "Basic realm=\"Jenkins\"");
    r
}

/// 503 while Jenkins is starting up (HudsonIsLoading).
pub fn starting(c: &ControllerInfo) -> Resp {
    let mut r = html_page(
        c,
        StatusCode::SERVICE_UNAVAILABLE,
        "Starting Jenkins",
        "Please wait while Jenkins is getting ready to work",
    );
    set(r.headers_mut(), "Retry-After", "5");
    r
}

/// A plain error page for injected upstream failures (500/502/503 from a proxy or Jenkins).
pub fn injected(c: &ControllerInfo, status: StatusCode) -> Resp {
    match status {
        StatusCode::SERVICE_UNAVAILABLE => starting(c),
        StatusCode::INTERNAL_SERVER_ERROR => oops(c, "injected fault"),
        s => container(s, "Injected fault"),
    }
}

/// 302 to the same path with a trailing slash (Stapler's DirectoryishDispatcher).
pub fn redirect_slash(root: &str, path: &str, query: Option<&str>) -> Resp {
    let base = root.trim_end_matches('/');
    let location = match query {
        Some(q) => format!("{base}{path}/?{q}"),
        None => format!("{base}{path}/"),
    };
    redirect(StatusCode::FOUND, &location)
}

/// A redirect (or 201 Created) with a Location header.
pub fn redirect(status: StatusCode, location: &str) -> Resp {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    let h = r.headers_mut();
    set(h, "X-Content-Type-Options", "nosniff");
    if let Ok(v) = HeaderValue::try_from(location) {
        h.insert(header::LOCATION, v);
    }
    r
}

/// A Jenkins HTML page with a status and message (405, 409 and friends).
pub fn page(c: &ControllerInfo, status: StatusCode, message: &str) -> Resp {
    let mut r = html_page(c, status, &format!("Jenkins - {message}"), message);
    if status == StatusCode::METHOD_NOT_ALLOWED {
        set(r.headers_mut(), "Allow", "POST");
    }
    r
}
