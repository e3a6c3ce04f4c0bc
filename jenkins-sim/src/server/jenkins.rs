//! Jenkins' URL space: authentication, object resolution (Stapler-style), and each endpoint.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use base64::Engine;

use super::pages::{self, Resp};
use super::{now_ms, wfapi, SimState};
use crate::export::{self, Bean, Pruner};
use crate::log::{crlf, strip_notes, LogSource};
use crate::model::{self, Ctx};
use crate::world::{
    Build, BuildResult, Cause, ControllerInfo, Item, Job, JobKind, ParamDef, ParamKind, ParamValue,
    Permission, QueueItem, QueueState, User, World,
};

/// Who is calling.
enum Caller {
    Anonymous,
    User { user: User, by_token: bool },
}

/// Who the Basic credentials name; `None` when they are wrong (401).
fn authenticate(world: &World, headers: &HeaderMap) -> Option<Caller> {
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

/// Decode `%HH` only, as Stapler decodes path tokens (`+` stays `+`).
fn decode_segment(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Servlet-style query parameters (`+` is a space).
fn query_params(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

struct Req<'a> {
    method: Method,
    path: &'a str,
    query: Option<&'a str>,
    params: Vec<(String, String)>,
    headers: &'a HeaderMap,
}

impl Req<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn has(&self, name: &str) -> bool {
        self.params.iter().any(|(k, _)| k == name)
    }
}

/// The fallback handler: everything in Jenkins' URL space.
pub async fn handle(State(sim): State<Arc<SimState>>, req: Request) -> Resp {
    let (parts, _body) = req.into_parts();
    let r = Req {
        method: parts.method.clone(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        params: query_params(parts.uri.query()),
        headers: &parts.headers,
    };
    let is_post = r.method == Method::POST;
    if is_post {
        let mut world = sim.world.write().unwrap_or_else(|e| e.into_inner());
        post(&sim, &mut world, &r)
    } else {
        let world = sim.world.read().unwrap_or_else(|e| e.into_inner());
        get(&sim, &world, &r)
    }
}

fn segments(path: &str) -> Vec<String> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return vec![];
    }
    trimmed.split('/').map(decode_segment).collect()
}

/// Resolve `job/a/job/b/...` to an item; returns (item, full name, rest of the path).
fn resolve<'w>(world: &'w World, segs: &[String]) -> Option<(&'w Item, String, usize)> {
    let mut items = &world.items;
    let mut found: Option<(&Item, String)> = None;
    let mut i = 0;
    while i + 1 < segs.len() && segs[i] == "job" {
        let name = &segs[i + 1];
        let multibranch = found
            .as_ref()
            .is_some_and(|(it, _)| matches!(it, Item::Multibranch(_)));
        let item = items.iter().find(|it| it.name() == name).or_else(|| {
            // MultiBranchProject.getItem also accepts the decoded branch name.
            multibranch
                .then(|| {
                    items
                        .iter()
                        .find(|it| it.name() == crate::world::branch_item_name(name))
                })
                .flatten()
        })?;
        let full = match &found {
            Some((_, parent)) => format!("{parent}/{}", item.name()),
            None => item.name().to_string(),
        };
        items = match item.as_folder() {
            Some((_, f)) => &f.items,
            None => &EMPTY,
        };
        found = Some((item, full));
        i += 2;
    }
    found.map(|(it, full)| (it, full, i))
}

static EMPTY: Vec<Item> = Vec::new();

fn serve_api(c: &ControllerInfo, r: &Req, flavor: &str, bean: Bean<'_>) -> Resp {
    let pruner = match Pruner::from_query(r.param("tree"), r.param("depth")) {
        Ok(p) => p,
        Err(e) => return pages::oops(c, &format!("Malformed tree expression: {e}")),
    };
    match flavor {
        "json" => {
            if r.has("jsonp") {
                return pages::container(
                    StatusCode::FORBIDDEN,
                    "jsonp forbidden; implement jenkins.security.SecureRequester",
                );
            }
            match export::to_json(bean, &pruner, r.has("pretty")) {
                Ok(body) => pages::api(c, "application/json;charset=UTF-8", body),
                Err(e) => pages::oops(c, &e.to_string()),
            }
        }
        "xml" => match export::to_xml(bean, &pruner) {
            Ok(body) => pages::api(c, "application/xml;charset=UTF-8", body),
            Err(e) => pages::oops(c, &e.to_string()),
        },
        _ => pages::not_found(c),
    }
}

fn html_ok(c: &ControllerInfo, title: &str) -> Resp {
    let mut r = pages::page(c, StatusCode::OK, title);
    *r.status_mut() = StatusCode::OK;
    r
}

fn require_read(c: &ControllerInfo, caller: &Caller, path: &str) -> Option<Resp> {
    match caller {
        Caller::Anonymous => Some(pages::login_required(c, path)),
        Caller::User { user, .. } if user.permission == Permission::None => Some(
            pages::access_denied(c, &user.id, "hudson.model.Hudson.Read"),
        ),
        Caller::User { .. } => None,
    }
}

fn get(sim: &SimState, world: &World, r: &Req) -> Resp {
    let c = &world.controller;
    let Some(caller) = authenticate(world, r.headers) else {
        return pages::unauthorized();
    };
    let segs = segments(r.path);
    let seg = |i: usize| segs.get(i).map(String::as_str);
    // Unprotected pages first.
    match (seg(0), seg(1), seg(2)) {
        (Some("login"), None, _) => return html_ok(c, "Sign in - Jenkins"),
        (Some("whoAmI"), Some("api"), Some(flavor)) => {
            let name = match &caller {
                Caller::Anonymous => None,
                Caller::User { user, .. } => Some(user.id.as_str()),
            };
            return serve_api(c, r, flavor, model::who_am_i(name));
        }
        _ => {}
    }
    if let Some(denied) = require_read(c, &caller, r.path) {
        return denied;
    }
    let ctx = Ctx {
        world,
        root: &sim.root,
        now: now_ms(),
    };
    match (seg(0), seg(1), seg(2), seg(3), seg(4)) {
        (None, ..) | (Some(""), None, ..) => html_ok(c, "Dashboard [Jenkins]"),
        (Some("api"), Some(flavor), None, ..) => serve_api(c, r, flavor, model::root(ctx)),
        (Some("queue"), Some("api"), Some(flavor), None, _) => {
            serve_api(c, r, flavor, model::queue(ctx))
        }
        (Some("queue"), Some("item"), Some(id), rest, flavor) => {
            let Ok(id) = id.parse::<u64>() else {
                return pages::not_found(c);
            };
            let bean = if let Some(q) = world.queue.iter().find(|q| q.id == id) {
                model::queue_item(ctx, q)
            } else if let Some(l) = world.left_items.iter().find(|l| l.id == id) {
                model::left_item(ctx, l)
            } else {
                return pages::not_found(c);
            };
            match (rest, flavor) {
                (Some("api"), Some(flavor)) => serve_api(c, r, flavor, bean),
                (None, _) => pages::redirect_slash(&sim.root, r.path, r.query),
                _ => pages::page(
                    c,
                    StatusCode::OK,
                    "Queue item exists. For details check, for example, api/json?tree=cancelled,executable[url]",
                ),
            }
        }
        (Some("computer"), Some("api"), Some(flavor), None, _) => {
            serve_api(c, r, flavor, model::computers(ctx))
        }
        (Some("crumbIssuer"), Some("api"), Some(flavor), None, _) => {
            let id = match &caller {
                Caller::User { user, .. } => user.id.clone(),
                Caller::Anonymous => "anonymous".into(),
            };
            // Issuing a crumb opens an HTTP session (unless the client sent one): the crumb
            // is bound to it.
            let (session, fresh) = match session_of(r.headers) {
                Some(s) => (s, false),
                None => (format!("{:032X}", rand::random::<u128>()), true),
            };
            let mut resp = serve_api(
                c,
                r,
                flavor,
                model::crumb_issuer(crumb_for(c, &id, &session)),
            );
            if fresh && resp.status() == StatusCode::OK {
                pages::set_session_cookie(resp.headers_mut(), &session);
            }
            resp
        }
        (Some("user"), Some(id), Some("api"), Some(flavor), None) => {
            match world.users.iter().find(|u| u.id == *id) {
                Some(u) => serve_api(c, r, flavor, model::user(ctx, &u.id)),
                None => pages::not_found(c),
            }
        }
        (Some("job"), ..) => match resolve(world, &segs) {
            Some((item, full, used)) => item_get(sim, ctx, r, item, full, &segs[used..]),
            None => pages::not_found(c),
        },
        _ => pages::not_found(c),
    }
}

/// The crumb of a user in an HTTP session: like `DefaultCrumbIssuer`, a salted hash of
/// the user name and the session id, so a crumb is only good with its session's cookie.
fn crumb_for(c: &ControllerInfo, user: &str, session: &str) -> String {
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
fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == "JSESSIONID")
        .map(|(_, v)| v.to_string())
}

fn item_get(
    sim: &SimState,
    ctx: Ctx<'_>,
    r: &Req,
    item: &Item,
    full: String,
    rest: &[String],
) -> Resp {
    let c = &ctx.world.controller;
    let seg = |i: usize| rest.get(i).map(String::as_str);
    match (seg(0), seg(1), seg(2)) {
        (None, ..) => pages::redirect_slash(&sim.root, r.path, r.query),
        (Some(""), None, _) => html_ok(c, &format!("{} [Jenkins]", item.name())),
        (Some("api"), Some(flavor), None) => {
            serve_api(c, r, flavor, model::item(ctx, item, full, true))
        }
        (Some("build" | "buildWithParameters"), None, _) => {
            pages::page(c, StatusCode::METHOD_NOT_ALLOWED, "This URL requires POST")
        }
        (Some("config.xml"), None, _) => match item.as_job() {
            Some((kind, job)) => config_xml(kind, job),
            None => pages::not_found(c),
        },
        _ => {
            let Some((kind, job)) = item.as_job() else {
                return pages::not_found(c);
            };
            job_get(sim, ctx, r, kind, job, &full, rest)
        }
    }
}

fn permalink<'j>(job: &'j Job, token: &str) -> Option<&'j Build> {
    let last = |pred: &dyn Fn(&Build) -> bool| job.builds.iter().rev().find(|b| pred(b));
    match token {
        "lastBuild" => job.builds.last(),
        "firstBuild" => job.builds.first(),
        "lastCompletedBuild" => last(&|b| !b.building()),
        "lastSuccessfulBuild" => {
            last(&|b| matches!(b.result, Some(BuildResult::Success | BuildResult::Unstable)))
        }
        "lastStableBuild" => last(&|b| b.result == Some(BuildResult::Success)),
        "lastFailedBuild" => last(&|b| b.result == Some(BuildResult::Failure)),
        "lastUnstableBuild" => last(&|b| b.result == Some(BuildResult::Unstable)),
        "lastUnsuccessfulBuild" => last(&|b| b.result.is_some_and(|r| r != BuildResult::Success)),
        n => n.parse::<u64>().ok().and_then(|n| job.build(n)),
    }
}

fn wfapi_ok(c: &ControllerInfo, kind: JobKind) -> Option<Resp> {
    (!c.wfapi || kind != JobKind::Pipeline).then(|| pages::not_found(c))
}

fn json_body(v: serde_json::Value) -> Resp {
    pages::wfapi(serde_json::to_string(&v).unwrap_or_default())
}

fn job_get(
    sim: &SimState,
    ctx: Ctx<'_>,
    r: &Req,
    kind: JobKind,
    job: &Job,
    full: &str,
    rest: &[String],
) -> Resp {
    let c = &ctx.world.controller;
    let seg = |i: usize| rest.get(i).map(String::as_str);
    if seg(0) == Some("wfapi") {
        if let Some(nf) = wfapi_ok(c, kind) {
            return nf;
        }
        return match (seg(1), seg(2)) {
            (None, _) => pages::redirect_slash(&sim.root, r.path, r.query),
            (Some("" | "describe"), None) => json_body(wfapi::job_describe(full, job)),
            (Some("runs"), None) => json_body(wfapi::runs(
                full,
                job,
                ctx.now,
                r.param("since"),
                r.param("fullStages") == Some("true"),
            )),
            _ => pages::not_found(c),
        };
    }
    let Some(b) = seg(0).and_then(|t| permalink(job, t)) else {
        return pages::not_found(c);
    };
    let brest = &rest[1..];
    let bseg = |i: usize| brest.get(i).map(String::as_str);
    match (bseg(0), bseg(1), bseg(2), bseg(3), bseg(4)) {
        (None, ..) => pages::redirect_slash(&sim.root, r.path, r.query),
        (Some(""), None, ..) => html_ok(c, &format!("{full} #{} [Jenkins]", b.number)),
        (Some("api"), Some(flavor), None, ..) => serve_api(
            c,
            r,
            flavor,
            model::build(ctx, kind, job, b, full.to_string(), true),
        ),
        (Some("consoleText"), None, ..) => console_text(LogSource::of(b, sim.seed)),
        (Some("logText"), Some("progressiveText"), None, ..) => progressive_text(c, r, b, sim.seed),
        (Some("logText"), Some("progressiveHtml"), None, ..) => progressive_html(c, r, b, sim.seed),
        (Some("testReport"), Some("api"), Some(flavor), None, _) => match model::test_report(b) {
            Some(bean) => serve_api(c, r, flavor, bean),
            None => pages::not_found(c),
        },
        (Some("wfapi"), sub, None, ..) => {
            if let Some(nf) = wfapi_ok(c, kind) {
                return nf;
            }
            match sub {
                Some("" | "describe") => json_body(wfapi::run(
                    full,
                    job,
                    b,
                    ctx.now,
                    r.param("fullStages") == Some("true"),
                )),
                Some("changesets") => json_body(wfapi::changesets(full, b)),
                Some("artifacts") => json_body(wfapi::artifacts(full, b)),
                Some("pendingInputActions") => json_body(wfapi::pending_inputs(full, b)),
                Some("nextPendingInputAction") => {
                    let all = wfapi::pending_inputs(full, b);
                    json_body(all.get(0).cloned().unwrap_or(serde_json::Value::Null))
                }
                None => pages::redirect_slash(&sim.root, r.path, r.query),
                _ => pages::not_found(c),
            }
        }
        (Some("execution"), Some("node"), Some(id), Some("wfapi"), Some(what))
            if brest.len() == 5 =>
        {
            if let Some(nf) = wfapi_ok(c, kind) {
                return nf;
            }
            let v = match what {
                "describe" => wfapi::node(full, b, id, ctx.now),
                "log" => wfapi::node_log(full, b, id),
                _ => None,
            };
            v.map_or_else(|| pages::not_found(c), json_body)
        }
        (Some("execution"), Some("node"), Some(id), Some("log"), None) => {
            let step = b.stages.iter().flat_map(|s| &s.steps).find(|s| s.id == id);
            match step.and_then(|s| s.log.clone()) {
                Some(log) => pages::text(log),
                None => pages::not_found(c),
            }
        }
        _ => pages::not_found(c),
    }
}

const CHUNK: u64 = 64 * 1024;

/// Stream `[start, end)` of a log in chunks, transformed per chunk.
fn stream_log(
    src: LogSource,
    start: u64,
    end: u64,
    annotate: fn(&[u8], &mut u8) -> Vec<u8>,
) -> Body {
    let stream =
        futures::stream::unfold((src, start, 0u8), move |(src, pos, mut prev)| async move {
            if pos >= end {
                return None;
            }
            let to = (pos + CHUNK).min(end);
            let raw = src.read(pos, to);
            let out = annotate(&raw, &mut prev);
            Some((
                Ok::<Bytes, std::io::Error>(Bytes::from(out)),
                (src, to, prev),
            ))
        });
    Body::from_stream(stream)
}

fn plain_chunk(raw: &[u8], _prev: &mut u8) -> Vec<u8> {
    strip_notes(raw)
}

fn crlf_chunk(raw: &[u8], prev: &mut u8) -> Vec<u8> {
    let mut out = if raw.first() == Some(&b'\n') && *prev == b'\r' {
        let mut v = vec![b'\n'];
        v.extend(crlf(&raw[1..]));
        v
    } else {
        crlf(raw)
    };
    if let Some(&last) = raw.last() {
        *prev = last;
    }
    out.shrink_to_fit();
    out
}

fn console_text(src: LogSource) -> Resp {
    let len = src.len();
    // Annotations never straddle our chunks in generated logs, and literal logs are small.
    pages::text(stream_log(src, 0, len, plain_chunk))
}

fn progressive_start(r: &Req, len: u64) -> Result<u64, ()> {
    match r.param("start") {
        None | Some("") => Ok(0),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n < 0 => Err(()),
            Ok(n) if n as u64 > len => Ok(0),
            Ok(n) => Ok(n as u64),
            Err(_) => Err(()),
        },
    }
}

fn progressive_text(c: &ControllerInfo, r: &Req, b: &Build, seed: u64) -> Resp {
    let src = LogSource::of(b, seed);
    let len = src.len();
    let Ok(start) = progressive_start(r, len) else {
        return pages::oops(
            c,
            "java.io.EOFException: Attempted to read past the end of the log",
        );
    };
    let mut resp = pages::text(stream_log(src, start, len, crlf_chunk));
    let h = resp.headers_mut();
    if let Ok(v) = len.to_string().parse() {
        h.insert("X-Text-Size", v);
    }
    if b.building() {
        h.insert("X-More-Data", axum::http::HeaderValue::from_static("true"));
    }
    // X-Text-Size belongs before Content-Type, as Jenkins writes it.
    let ct = h.remove("content-type");
    if let Some(ct) = ct {
        h.insert("content-type", ct);
    }
    resp
}

fn progressive_html(c: &ControllerInfo, r: &Req, b: &Build, seed: u64) -> Resp {
    let src = LogSource::of(b, seed);
    let len = src.len();
    let Ok(start) = progressive_start(r, len) else {
        return pages::oops(
            c,
            "java.io.EOFException: Attempted to read past the end of the log",
        );
    };
    let raw = src.read(start, len.min(start + 8 * 1024 * 1024));
    let text = String::from_utf8_lossy(&strip_notes(&raw)).into_owned();
    let html: String = text
        .split_inclusive('\n')
        .map(|line| html_log_line(line, c.timestamper))
        .collect();
    // The HTML goes through the same line-end normalisation as progressiveText.
    let html = String::from_utf8_lossy(&crlf(html.as_bytes())).into_owned();
    let mut resp = pages::text(html);
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        axum::http::HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    if let Ok(v) = len.to_string().parse() {
        h.insert("X-Text-Size", v);
    }
    if b.building() {
        h.insert("X-More-Data", axum::http::HeaderValue::from_static("true"));
    }
    resp
}

/// One console line as HTML. With the timestamper plugin a pipeline line that starts with
/// its `[2026-11-21T21:36:10.920Z] ` stamp shows the time of day and keeps the stamp hidden,
/// as recording 68 shows.
fn html_log_line(line: &str, timestamper: bool) -> String {
    let b = line.as_bytes();
    let stamped = timestamper
        && b.len() >= 27
        && b[0] == b'['
        && b[11] == b'T'
        && b[24] == b'Z'
        && &b[25..27] == b"] "
        && b[1..11].iter().all(|c| c.is_ascii_digit() || *c == b'-');
    if !stamped {
        return pages::escape(line);
    }
    format!(
        "<span class=\"timestamp\"><b>{}</b> </span><span style=\"display: none\">{}</span>{}",
        &line[12..20],
        &line[..26],
        pages::escape(&line[26..])
    )
}

/// Text for an XML element, escaped as the recorded `config.xml` shows (quotes stay as they
/// were submitted).
fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn param_def_xml(p: &ParamDef) -> String {
    let class = match p.kind {
        ParamKind::String => "hudson.model.StringParameterDefinition",
        ParamKind::Boolean => "hudson.model.BooleanParameterDefinition",
        ParamKind::Choice => "hudson.model.ChoiceParameterDefinition",
        ParamKind::Password => "hudson.model.PasswordParameterDefinition",
        ParamKind::Text => "hudson.model.TextParameterDefinition",
    };
    let mut out = format!("<{class}><name>{}</name>", xml_text(&p.name));
    if let Some(d) = &p.description {
        out.push_str(&format!("<description>{}</description>", xml_text(d)));
    }
    let default = xml_text(p.default.as_deref().unwrap_or(""));
    match p.kind {
        ParamKind::String | ParamKind::Text => {
            out.push_str(&format!(
                "<defaultValue>{default}</defaultValue><trim>false</trim>"
            ));
        }
        ParamKind::Boolean => {
            let v = p.default.as_deref() == Some("true");
            out.push_str(&format!("<defaultValue>{v}</defaultValue>"));
        }
        ParamKind::Password => out.push_str(&format!("<defaultValue>{default}</defaultValue>")),
        ParamKind::Choice => {
            out.push_str(
                "<choices class=\"java.util.Arrays$ArrayList\"><a class=\"string-array\">",
            );
            for c in &p.choices {
                out.push_str(&format!("<string>{}</string>", xml_text(c)));
            }
            out.push_str("</a></choices>");
        }
    }
    out.push_str(&format!("</{class}>"));
    out
}

/// `config.xml` of a job, in the layout the recorded jobs were created with (Jenkins
/// serves the file as stored).
fn config_xml(kind: JobKind, job: &Job) -> Resp {
    let mut properties = String::new();
    if !job.parameters.is_empty() {
        properties.push_str("<hudson.model.ParametersDefinitionProperty><parameterDefinitions>\n");
        for p in &job.parameters {
            properties.push_str(&format!("  {}\n", param_def_xml(p)));
        }
        properties.push_str("</parameterDefinitions></hudson.model.ParametersDefinitionProperty>");
    }
    if kind == JobKind::Pipeline && !job.concurrent {
        properties.push_str(
            "<org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/>",
        );
    }
    let properties = if properties.is_empty() {
        "<properties/>".to_string()
    } else {
        format!("<properties>{properties}</properties>")
    };
    let description = xml_text(job.description.as_deref().unwrap_or(""));
    let script = xml_text(job.script.as_deref().unwrap_or(""));
    let xml = match kind {
        JobKind::Pipeline => format!(
            "<?xml version=\"1.1\" encoding=\"UTF-8\"?><flow-definition>\n  <description>{description}</description>\n  \
<keepDependencies>false</keepDependencies>\n  {properties}\n  \
<definition class=\"org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition\"><script>{script}</script><sandbox>true</sandbox></definition>\n  \
<triggers/>\n  <disabled>{}</disabled>\n</flow-definition>",
            job.disabled
        ),
        JobKind::Freestyle | JobKind::Matrix => {
            let root = if kind == JobKind::Matrix { "matrix-project" } else { "project" };
            let scm = match &job.git {
                Some(g) => format!(
                    "<scm class=\"hudson.plugins.git.GitSCM\"><configVersion>2</configVersion><userRemoteConfigs>\
<hudson.plugins.git.UserRemoteConfig><url>{}</url></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs>\
<branches><hudson.plugins.git.BranchSpec><name>*/{}</name></hudson.plugins.git.BranchSpec></branches></scm>",
                    xml_text(&g.url),
                    xml_text(g.branch.as_deref().unwrap_or("main"))
                ),
                None => "<scm class=\"hudson.scm.NullSCM\"/>".to_string(),
            };
            let node = match &job.label {
                Some(l) => format!("<assignedNode>{}</assignedNode>\n  <canRoam>false</canRoam>", xml_text(l)),
                None => "<canRoam>true</canRoam>".to_string(),
            };
            format!(
                "<?xml version=\"1.1\" encoding=\"UTF-8\"?><{root}>\n  <description>{description}</description>\n  \
<keepDependencies>false</keepDependencies>\n  {properties}\n  {scm}\n  {node}\n  <disabled>{}</disabled>\n  \
<blockBuildWhenDownstreamBuilding>false</blockBuildWhenDownstreamBuilding>\n  \
<blockBuildWhenUpstreamBuilding>false</blockBuildWhenUpstreamBuilding>\n  <triggers/>\n  \
<concurrentBuild>{}</concurrentBuild>\n  \
<builders><hudson.tasks.Shell><command>{script}</command></hudson.tasks.Shell></builders>\n  \
<publishers/>\n  <buildWrappers/>\n</{root}>",
                job.disabled, job.concurrent
            )
        }
    };
    pages::config_xml(xml)
}

fn post(sim: &SimState, world: &mut World, r: &Req) -> Resp {
    let c = world.controller.clone();
    let Some(caller) = authenticate(world, r.headers) else {
        return pages::unauthorized();
    };
    if let Some(denied) = require_read(&c, &caller, r.path) {
        return denied;
    }
    let Caller::User { user, by_token } = caller else {
        return pages::not_found(&c);
    };
    // API-token requests are exempt from CSRF protection (ApiCrumbExclusion).
    if !by_token {
        let sent = r
            .headers
            .get("jenkins-crumb")
            .and_then(|v| v.to_str().ok())
            .or_else(|| r.param("Jenkins-Crumb"));
        let valid = session_of(r.headers)
            .is_some_and(|s| sent == Some(crumb_for(&c, &user.id, &s).as_str()));
        if !valid {
            return pages::container(
                StatusCode::FORBIDDEN,
                "No valid crumb was included in the request",
            );
        }
    }
    let segs = segments(r.path);
    if segs.first().map(String::as_str) == Some("queue")
        && segs.get(1).map(String::as_str) == Some("cancelItem")
    {
        let Some(id) = r.param("id").and_then(|s| s.parse::<u64>().ok()) else {
            return pages::not_found(&c);
        };
        if user.permission != Permission::Admin {
            return pages::container(StatusCode::UNPROCESSABLE_ENTITY, "not cancellable");
        }
        return match world.queue.iter().position(|q| q.id == id) {
            Some(i) => {
                let q = world.queue.remove(i);
                world.left_items.push(crate::world::LeftItem {
                    id: q.id,
                    job: q.job,
                    in_queue_since: q.in_queue_since,
                    build: None,
                    cancelled: true,
                    causes: q.causes,
                });
                let mut resp = Resp::new(Body::empty());
                *resp.status_mut() = StatusCode::NO_CONTENT;
                resp
            }
            None => pages::container(
                StatusCode::NOT_FOUND,
                &format!("Provided id ({id}) not found"),
            ),
        };
    }
    let Some((_, full, used)) = resolve(world, &segs) else {
        return pages::not_found(&c);
    };
    let action = segs.get(used).map(String::as_str);
    if !matches!(action, Some("build" | "buildWithParameters")) || segs.len() != used + 1 {
        return pages::not_found(&c);
    }
    if user.permission != Permission::Admin {
        return pages::access_denied(&c, &user.id, "hudson.model.Item.Build");
    }
    let Some(job) = world
        .item(&full)
        .and_then(|i| i.as_job())
        .map(|(_, j)| j.clone())
    else {
        return pages::not_found(&c);
    };
    if job.disabled {
        return pages::page(
            &c,
            StatusCode::CONFLICT,
            &format!("{full} is not buildable"),
        );
    }
    let parameters: Vec<ParamValue> = if action == Some("buildWithParameters") {
        job.parameters
            .iter()
            .map(|d| ParamValue {
                name: d.name.clone(),
                kind: d.kind,
                value: r
                    .param(&d.name)
                    .map(str::to_string)
                    .or_else(|| d.default.clone())
                    .or_else(|| d.choices.first().cloned())
                    .unwrap_or_default(),
            })
            .collect()
    } else {
        if !job.parameters.is_empty() {
            return pages::container(StatusCode::BAD_REQUEST, "Nothing is submitted");
        }
        vec![]
    };
    let id = schedule(world, &full, &user.id, parameters);
    pages::redirect(
        StatusCode::CREATED,
        &format!("{}queue/item/{id}/", sim.root),
    )
}

/// `Queue.schedule2`: a request for a job that already waits in the queue with the same
/// parameters is folded into that item (its cause added), as recordings 148 and 149 show;
/// otherwise a new item is queued.
fn schedule(world: &mut World, full: &str, user: &str, parameters: Vec<ParamValue>) -> u64 {
    let same = |a: &[ParamValue], b: &[ParamValue]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.name == y.name && x.value == y.value)
    };
    if let Some(q) = world
        .queue
        .iter_mut()
        .find(|q| q.job == full && same(&q.parameters, &parameters))
    {
        q.causes.push(Cause::User {
            user: user.to_string(),
        });
        return q.id;
    }
    enqueue(world, full, user, parameters)
}

/// Put a new item in the queue (quiet period first), as `ParameterizedJobMixIn.scheduleBuild2` does.
pub fn enqueue(world: &mut World, full: &str, user: &str, parameters: Vec<ParamValue>) -> u64 {
    let id = world.controller.next_queue_id;
    world.controller.next_queue_id += 1;
    world.queue.insert(
        0,
        QueueItem {
            id,
            job: full.to_string(),
            state: QueueState::Waiting,
            why: Some("In the quiet period. Expires in 5 sec".into()),
            stuck: false,
            in_queue_since: now_ms(),
            causes: vec![Cause::User {
                user: user.to_string(),
            }],
            parameters,
        },
    );
    id
}
