//! Jenkins' URL space: authentication, object resolution (Stapler-style), and each endpoint.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};

use super::auth::{authenticate, crumb_for, require_read, session_of, Caller};
use super::config_xml::config_xml;
use super::console::{console_text, progressive_html, progressive_text};
use super::pages::{self, Resp};
use super::post::post;
use super::request::{query_params, resolve, segments, Req};
use super::state::SimState;
use super::wfapi;
use crate::clock::now_ms;
use crate::export::{self, Bean, Pruner};
use crate::log::LogSource;
use crate::model::{self, Ctx};
use crate::world::{Build, ControllerInfo, Item, Job, JobKind, World};

/// The fallback handler: everything in Jenkins' URL space.
pub(super) async fn handle(State(sim): State<Arc<SimState>>, req: Request) -> Resp {
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

/// A GET being answered: the controller, the world as it is now, the request.
struct Get<'a> {
    sim: &'a SimState,
    ctx: Ctx<'a>,
    r: &'a Req<'a>,
}

/// A job being served: its kind, itself, its full name.
type JobAt<'a> = (JobKind, &'a Job, &'a str);

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
    let g = Get { sim, ctx, r };
    match (seg(0), seg(1), seg(2), seg(3), seg(4)) {
        (None, ..) | (Some(""), None, ..) => html_ok(c, "Dashboard [Jenkins]"),
        (Some("api"), Some(flavor), None, ..) => serve_api(c, r, flavor, model::root(ctx)),
        (Some("queue"), Some("api"), Some(flavor), None, _) => {
            serve_api(c, r, flavor, model::queue(ctx))
        }
        (Some("queue"), Some("item"), Some(id), rest, flavor) => {
            queue_item_get(&g, id, rest, flavor)
        }
        (Some("computer"), Some("api"), Some(flavor), None, _) => {
            serve_api(c, r, flavor, model::computers(ctx))
        }
        (Some("crumbIssuer"), Some("api"), Some(flavor), None, _) => {
            crumb_get(c, r, &caller, flavor)
        }
        (Some("user"), Some(id), Some("api"), Some(flavor), None) => {
            match world.users.iter().find(|u| u.id == *id) {
                Some(u) => serve_api(c, r, flavor, model::user(ctx, &u.id)),
                None => pages::not_found(c),
            }
        }
        (Some("job"), ..) => match resolve(world, &segs) {
            Some((item, full, used)) => item_get(&g, item, full, &segs[used..]),
            None => pages::not_found(c),
        },
        _ => pages::not_found(c),
    }
}

/// `/queue/item/N/…`: a waiting item or one that left the queue.
fn queue_item_get(g: &Get, id: &str, rest: Option<&str>, flavor: Option<&str>) -> Resp {
    let (sim, ctx, r) = (g.sim, g.ctx, g.r);
    let (world, c) = (ctx.world, &ctx.world.controller);
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

/// `/crumbIssuer/api/…`. Issuing a crumb opens an HTTP session (unless the client sent
/// one): the crumb is bound to it.
fn crumb_get(c: &ControllerInfo, r: &Req, caller: &Caller, flavor: &str) -> Resp {
    let id = match caller {
        Caller::User { user, .. } => user.id.clone(),
        Caller::Anonymous => "anonymous".into(),
    };
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

fn item_get(g: &Get, item: &Item, full: String, rest: &[String]) -> Resp {
    let (sim, ctx, r) = (g.sim, g.ctx, g.r);
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
            job_get(g, (kind, job, &full), rest)
        }
    }
}

fn permalink<'j>(job: &'j Job, token: &str) -> Option<&'j Build> {
    job.permalink(token)
        .or_else(|| token.parse::<u64>().ok().and_then(|n| job.build(n)))
}

fn wfapi_ok(c: &ControllerInfo, kind: JobKind) -> Option<Resp> {
    (!c.wfapi || kind != JobKind::Pipeline).then(|| pages::not_found(c))
}

fn json_body(v: serde_json::Value) -> Resp {
    pages::wfapi(serde_json::to_string(&v).unwrap_or_default())
}

fn job_get(g: &Get, (kind, job, full): JobAt, rest: &[String]) -> Resp {
    let (sim, ctx, r) = (g.sim, g.ctx, g.r);
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
    match seg(0).and_then(|t| permalink(job, t)) {
        Some(b) => build_get(g, (kind, job, full), b, &rest[1..]),
        None => pages::not_found(c),
    }
}

/// Everything under one build: `/job/X/N/…`.
fn build_get(g: &Get, (kind, job, full): JobAt, b: &Build, rest: &[String]) -> Resp {
    let (sim, ctx, r) = (g.sim, g.ctx, g.r);
    let c = &ctx.world.controller;
    let seg = |i: usize| rest.get(i).map(String::as_str);
    match (seg(0), seg(1), seg(2), seg(3), seg(4)) {
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
        (Some("wfapi"), ..) | (Some("execution"), Some("node"), _, Some("wfapi"), _) => {
            if let Some(nf) = wfapi_ok(c, kind) {
                return nf;
            }
            run_wfapi_get(g, (kind, job, full), b, rest)
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

/// The Pipeline REST API of one run and its flow nodes.
fn run_wfapi_get(g: &Get, (_, job, full): JobAt, b: &Build, rest: &[String]) -> Resp {
    let (now, r) = (g.ctx.now, g.r);
    let path: Vec<&str> = rest.iter().map(String::as_str).collect();
    let answer = match path.as_slice() {
        ["wfapi"] => return pages::redirect_slash(&g.sim.root, r.path, r.query),
        ["wfapi", "" | "describe"] => Some(wfapi::run(
            full,
            job,
            b,
            now,
            r.param("fullStages") == Some("true"),
        )),
        ["wfapi", "changesets"] => Some(wfapi::changesets(full, b)),
        ["wfapi", "artifacts"] => Some(wfapi::artifacts(full, b)),
        ["wfapi", "pendingInputActions"] => Some(wfapi::pending_inputs(full, b)),
        ["wfapi", "nextPendingInputAction"] => {
            let all = wfapi::pending_inputs(full, b);
            Some(all.get(0).cloned().unwrap_or(serde_json::Value::Null))
        }
        ["execution", "node", id, "wfapi", "describe"] => wfapi::node(full, b, id, now),
        ["execution", "node", id, "wfapi", "log"] => wfapi::node_log(full, b, id),
        _ => None,
    };
    answer.map_or_else(|| pages::not_found(&g.ctx.world.controller), json_body)
}
