//! POSTs: build triggers and queue cancellation, behind the crumb check.

use axum::body::Body;
use axum::http::StatusCode;

use super::auth::{authenticate, crumb_for, require_read, session_of, Caller};
use super::pages::{self, Resp};
use super::request::{resolve, segments, Req};
use super::state::SimState;
use crate::clock::now_ms;
use crate::world::{Cause, LeftItem, ParamValue, Permission, QueueItem, QueueState, User, World};

pub(super) fn post(sim: &SimState, world: &mut World, r: &Req) -> Resp {
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
        return cancel_item(world, &user, r);
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
    trigger(
        sim,
        world,
        &user,
        r,
        &full,
        action == Some("buildWithParameters"),
    )
}

/// `/queue/cancelItem?id=N`.
fn cancel_item(world: &mut World, user: &User, r: &Req) -> Resp {
    let Some(id) = r.param("id").and_then(|s| s.parse::<u64>().ok()) else {
        return pages::not_found(&world.controller);
    };
    if user.permission != Permission::Admin {
        return pages::container(StatusCode::UNPROCESSABLE_ENTITY, "not cancellable");
    }
    let Some(i) = world.queue.iter().position(|q| q.id == id) else {
        return pages::container(
            StatusCode::NOT_FOUND,
            &format!("Provided id ({id}) not found"),
        );
    };
    let q = world.queue.remove(i);
    world.left_items.push(LeftItem {
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

/// `build` or `buildWithParameters` on a job: 201 and the queue item's URL.
fn trigger(
    sim: &SimState,
    world: &mut World,
    user: &User,
    r: &Req,
    full: &str,
    with_parameters: bool,
) -> Resp {
    let c = &world.controller;
    let Some((_, job)) = world.item(full).and_then(|i| i.as_job()) else {
        return pages::not_found(c);
    };
    if job.disabled {
        return pages::page(c, StatusCode::CONFLICT, &format!("{full} is not buildable"));
    }
    let parameters: Vec<ParamValue> = if with_parameters {
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
    } else if job.parameters.is_empty() {
        vec![]
    } else {
        return pages::container(StatusCode::BAD_REQUEST, "Nothing is submitted");
    };
    let id = schedule(world, full, &user.id, parameters);
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
fn enqueue(world: &mut World, full: &str, user: &str, parameters: Vec<ParamValue>) -> u64 {
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
