//! The subscription root: build events across controllers, one build watched, a log
//! tailed, queue changes and connection status, each fed by the shared pollers of
//! `crate::live`. Like every field, they reach connections only through `visible(ctx)`
//! and `upstream(ctx, name)`, so a subscription sees only what its key may see; every
//! event is resolved with the request's loaders, whose budget is renewed before each one.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, InputObject, Subscription};
use futures::{Stream, StreamExt};

use super::events::{BuildEventObj, ConnectionEventObj, LogChunk, QueueEventObj};
use super::load::{build_number, loaders, upstream, visible};
use super::streams::{Builds, Followed, Queue, Status};
use super::values::Long;
use crate::error::GatewayError;
use crate::gateway::Upstream;
use crate::guard::auth::Caller;
use crate::jenkins::ForwardedCredentials;
use crate::live::filter::BuildFilter;
use crate::live::log::LogStart;
use crate::live::Live;
use crate::planner::DEFAULT_TAIL_BYTES;

/// Which builds `buildEvents` reports. Every condition given must hold.
#[derive(InputObject, Default, Clone, Debug)]
pub(crate) struct BuildEventFilter {
    /// Only these connections (default: every connection the caller may see).
    pub(crate) connections: Option<Vec<String>>,
    /// Only jobs inside this folder (full name), at any depth.
    pub(crate) folder: Option<String>,
    /// Glob on the job's name or full name (`*` any run, `?` one character;
    /// case-insensitive); without wildcards, a substring.
    pub(crate) name_pattern: Option<String>,
}

fn live<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Arc<Live>> {
    ctx.data::<Arc<Live>>()
}

fn forwarded(ctx: &Context<'_>) -> Option<ForwardedCredentials> {
    ctx.data_opt::<Caller>()
        .and_then(|c| c.forwarded().cloned())
}

/// The connections a subscription covers: those named, or every one the caller sees.
fn covered(
    ctx: &Context<'_>,
    names: Option<Vec<String>>,
) -> async_graphql::Result<Vec<Arc<Upstream>>> {
    match names {
        Some(names) => names.iter().map(|n| upstream(ctx, n)).collect(),
        None => Ok(visible(ctx)),
    }
}

/// `stream`, with the request's budget renewed before each event, so that resolving one
/// event is bounded like a query however long the subscription lives.
fn renewing<T: Send + 'static>(
    ctx: &Context<'_>,
    stream: impl Stream<Item = T> + Send + 'static,
) -> impl Stream<Item = T> + Send + 'static {
    let budget = loaders(ctx).budget().clone();
    stream.map(move |item| {
        budget.renew();
        item
    })
}

/// What a subscriber can watch as it happens.
pub struct SubscriptionRoot;

/// What a subscriber can watch as it happens.
#[Subscription]
impl SubscriptionRoot {
    /// Build events across controllers: a build was queued, started, entered a stage
    /// (with `stages: true`), finished. In order for each build; a build that started
    /// and finished between two polls still yields both. With `snapshot: true` the
    /// subscription starts with the builds running now (`RUNNING`).
    async fn build_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which builds.")] filter: Option<BuildEventFilter>,
        #[graphql(default = false, desc = "Start with the builds running now.")] snapshot: bool,
        #[graphql(
            default = false,
            desc = "Also report stages entered (reads `wfapi/describe` of the running builds that match)."
        )]
        stages: bool,
    ) -> async_graphql::Result<impl Stream<Item = BuildEventObj>> {
        let filter = filter.unwrap_or_default();
        let ups = covered(ctx, filter.connections.clone())?;
        let which = BuildFilter {
            folder: filter.folder,
            name_pattern: filter.name_pattern,
            build: None,
        };
        let (live, fwd) = (live(ctx)?, forwarded(ctx));
        let streams = ups.into_iter().map(|up| {
            let watch = live.jobs(&up, fwd.as_ref());
            let rx = watch.events.subscribe();
            let interest = stages.then(|| watch.feed().want_stages(which.clone()));
            let follow = Builds {
                up,
                watch,
                filter: which.clone(),
                _stages: interest,
                one: None,
            };
            Followed::new(follow, rx, snapshot).into_stream().boxed()
        });
        Ok(renewing(ctx, futures::stream::select_all(streams)))
    }

    /// One build, watched: `RUNNING` with the stage it is in, then each stage it
    /// enters (`STAGE`), then `FINISHED`, after which the subscription completes. A build
    /// already finished yields `FINISHED` at once; one not started yet waits for `STARTED`.
    async fn build_watch(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Connection name.")] connection: String,
        #[graphql(desc = "Full name of the job.")] job: String,
        #[graphql(desc = "Build number.")] number: i32,
    ) -> async_graphql::Result<impl Stream<Item = BuildEventObj>> {
        let number = build_number(number)?;
        let up = upstream(ctx, &connection)?;
        let watch = live(ctx)?.jobs(&up, forwarded(ctx).as_ref());
        let rx = watch.events.subscribe();
        let filter = BuildFilter::build(job.trim_matches('/'), number);
        let interest = watch.feed().want_stages(filter.clone());
        let follow = Builds {
            up,
            watch,
            filter,
            _stages: Some(interest),
            one: Some(number),
        };
        Ok(renewing(ctx, Followed::new(follow, rx, true).into_stream()))
    }

    /// A build's log as it grows, like `tail -f` (new text from `progressiveText`
    /// offsets, annotations stripped as in `log`). Starts with the last whole lines
    /// within `tailBytes`, or at `fromByte` (0: the whole log); completes when the build
    /// finishes and its log is all sent. Chunks carry their offset, so a client can
    /// reassemble the log exactly.
    async fn build_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Connection name.")] connection: String,
        #[graphql(desc = "Full name of the job.")] job: String,
        #[graphql(desc = "Build number.")] number: i32,
        #[graphql(desc = "Start at this offset of the visible log (0: from the beginning).")]
        from_byte: Option<Long>,
        #[graphql(
            default_with = "DEFAULT_TAIL_BYTES",
            desc = "Without `fromByte`: start with the last whole lines within this many bytes."
        )]
        tail_bytes: i32,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LogChunk>>> {
        let number = build_number(number)?;
        let up = upstream(ctx, &connection)?;
        let start = match from_byte {
            Some(Long(at)) if at >= 0 => LogStart::At(at as u64),
            Some(_) => {
                return Err(
                    GatewayError::BadArgument("fromByte must not be negative".into()).extend(),
                )
            }
            None => LogStart::Tail(tail_bytes.max(0) as u64),
        };
        let job = job.trim_matches('/').to_string();
        let tail = live(ctx)?
            .log(&up, (&job, number), forwarded(ctx).as_ref(), start)
            .map_err(|e| e.extend())?;
        let stream = futures::stream::unfold(tail, |mut tail| async move {
            let next = tail.next().await?;
            let chunk = next
                .map(|out| LogChunk {
                    offset: Long(out.offset as i64),
                    text: out.text,
                    complete: out.complete,
                    lagged: out.lagged,
                })
                .map_err(|e| e.extend());
            Some((chunk, tail))
        });
        Ok(renewing(ctx, stream))
    }

    /// Queue changes across controllers: an item entered, became stuck, or left (and
    /// the build it became). With `snapshot: true` it starts with the items waiting now.
    async fn queue_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these connections.")] connections: Option<Vec<String>>,
        #[graphql(default = false, desc = "Start with the items waiting now.")] snapshot: bool,
    ) -> async_graphql::Result<impl Stream<Item = QueueEventObj>> {
        let ups = covered(ctx, connections)?;
        let (live, fwd) = (live(ctx)?, forwarded(ctx));
        let streams = ups.into_iter().map(|up| {
            let watch = live.queue(&up, fwd.as_ref());
            let rx = watch.events.subscribe();
            Followed::new(Queue { up, watch }, rx, snapshot)
                .into_stream()
                .boxed()
        });
        Ok(renewing(ctx, futures::stream::select_all(streams)))
    }

    /// Connection status: `CURRENT` for each controller first, then `DOWN` when one
    /// stops answering (with the code and a hint) and `UP` when it comes back.
    async fn connection_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only these connections.")] connections: Option<Vec<String>>,
    ) -> async_graphql::Result<impl Stream<Item = ConnectionEventObj>> {
        let ups = covered(ctx, connections)?;
        let (live, fwd) = (live(ctx)?, forwarded(ctx));
        let streams = ups.into_iter().map(|up| {
            let watch = live.jobs(&up, fwd.as_ref());
            let rx = watch.events.subscribe();
            Followed::new(Status { up, watch }, rx, true)
                .into_stream()
                .boxed()
        });
        Ok(renewing(ctx, futures::stream::select_all(streams)))
    }
}
