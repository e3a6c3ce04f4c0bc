//! Who is calling and what they may do: Basic credentials, the read permission, crumbs.

use axum::http::HeaderMap;
use base64::Engine;

use super::pages::{self, Resp};
use crate::world::{ControllerInfo, Permission, User, World};

/// Who is calling.
pub(super) enum Caller {
    Anonymous,
    User { user: User, by_token: bool },
}

/// Who the Basic credentials name; `None` when they are wrong (401).
pub(super) fn authenticate(world: &World, headers: &HeaderMap) -> Option<Caller> {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Some(Caller::Anonymous);
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return Some(Caller::Anonymous);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())?;
    let (id, secret) = decoded.split_once(':')?;
    let user = world.user(id)?;
    let by_token = if user.token.as_deref() == Some(secret) {
        true
    } else if user.password.as_deref() == Some(secret) {
        false
    } else {
        return None;
    };
    Some(Caller::User {
        user: user.clone(),
        by_token,
    })
}

pub(super) fn require_read(c: &ControllerInfo, caller: &Caller, path: &str) -> Option<Resp> {
    match caller {
        Caller::Anonymous => Some(pages::login_required(c, path)),
        Caller::User { user, .. } if user.permission == Permission::None => Some(
            pages::access_denied(c, &user.id, "hudson.model.Hudson.Read"),
        ),
        Caller::User { .. } => None,
    }
}

/// The crumb of a user in an HTTP session: like `DefaultCrumbIssuer`, a salted hash of
/// the user name and the session id, so a crumb is only good with its session's cookie.
pub(super) fn crumb_for(c: &ControllerInfo, user: &str, session: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in user
        .bytes()
        .chain([b';'])
        .chain(session.bytes())
        .chain(c.session.bytes())
    {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!(
        "{h:016x}{:016x}{:016x}{:016x}",
        h.rotate_left(13),
        h.rotate_left(29),
        h.rotate_left(47)
    )
}

/// The `JSESSIONID` the client sent, if any.
pub(super) fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == "JSESSIONID")
        .map(|(_, v)| v.to_string())
}
