//! Requests that fit the controller: a `tree=` too long for one request line is split
//! into several that each fit, and the answer is the one an unlimited request gives.

mod gateway_common;

use gateway_common::{connection, errors, recorded_sim, Gateway};
use jenkins_sim::{RequestRecord, SimHandle};
use serde_json::Value;

/// Every field a build can show without its own request.
const BUILD_FIELDS: &str = "number displayName result status building timestamp duration \
    estimatedDuration url description queueId revision \
    causes { kind description userId userName upstreamJob upstreamBuild } \
    parameters { name kind value } \
    changes { commitId message fullMessage author authorEmail timestamp paths { editType file } } \
    culprits { fullName url } artifacts { fileName relativePath url } \
    testSummary { total failed skipped passed }";

fn rich_listing() -> String {
    let job = format!(
        "name fullName displayName url description color status building buildable disabled \
         inQueue nextBuildNumber health {{ score description }} \
         parameters {{ name kind description defaultValue choices }} \
         lastBuild {{ {BUILD_FIELDS} }} lastSuccessfulBuild {{ {BUILD_FIELDS} }} \
         lastFailedBuild {{ {BUILD_FIELDS} }} builds(first: 3) {{ nodes {{ {BUILD_FIELDS} }} }}"
    );
    format!(
        "{{ connection(name: \"c\") {{ root {{ items {{ name ... on Job {{ {job} }} \
         ... on Folder {{ items {{ name ... on Job {{ {job} }} }} }} }} }} }} }}"
    )
}

/// The request head a request record stands for (request line only; headers are the
/// client's own and fixed).
fn target_len(r: &RequestRecord) -> usize {
    r.path.len() + r.query.as_ref().map_or(0, |q| q.len() + 1)
}

/// The answer without what moves with the clock (a running build's duration so far).
fn stable(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "duration")
                .map(|(k, v)| (k.clone(), stable(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(stable).collect()),
        other => other.clone(),
    }
}

/// Where two answers first differ.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<_> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &format!("{at}.{k}"),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}[{i}]"))),
        (x, y) if x == y => None,
        (x, y) => Some(format!("{at}: {x:.200} vs {y:.200}")),
    }
}

async fn answer(
    sim: &SimHandle,
    max_request_bytes: usize,
    query: &str,
) -> (Value, Vec<RequestRecord>) {
    let conn = connection("c", sim).with_max_request_bytes(max_request_bytes);
    let gateway = Gateway::start(vec![conn]).await;
    sim.reset_requests();
    let body = gateway.query(query).await;
    assert!(errors(&body).is_empty(), "{body:#}");
    let reqs = sim.requests();
    gateway.stop().await;
    (stable(&body["data"]), reqs)
}

#[tokio::test]
async fn a_rich_listing_that_fits_is_one_request() {
    let sim = recorded_sim().await;
    let (_, reqs) = answer(&sim, 1024 * 1024, &rich_listing()).await;
    let listings: Vec<_> = reqs.iter().filter(|r| r.path == "/api/json").collect();
    assert_eq!(listings.len(), 1, "{reqs:#?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_rich_listing_too_long_for_one_request_is_split_and_merged() {
    let sim = recorded_sim().await;
    let (whole, _) = answer(&sim, 1024 * 1024, &rich_listing()).await;
    let limit = 2_048;
    let (split, reqs) = answer(&sim, limit, &rich_listing()).await;
    assert_eq!(
        first_difference(&split, &whole, ""),
        None,
        "the split answer is the whole answer"
    );
    let listings: Vec<_> = reqs.iter().filter(|r| r.path == "/api/json").collect();
    assert!(
        listings.len() >= 2,
        "split into several: {}",
        listings.len()
    );
    for r in &reqs {
        // The request line's target, with room left for the method and the headers.
        assert!(
            target_len(r) < limit - 200,
            "{} bytes: {r:?}",
            target_len(r)
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_page_of_builds_and_a_single_build_are_split_too() {
    let sim = recorded_sim().await;
    let query = format!(
        "{{ job(connection: \"c\", fullName: \"param-freestyle\") {{ name builds(first: 200) {{ nodes {{ {BUILD_FIELDS} }} }} }} \
           build(connection: \"c\", job: \"param-freestyle\", number: 1) {{ {BUILD_FIELDS} }} }}"
    );
    let (whole, whole_reqs) = answer(&sim, 1024 * 1024, &query).await;
    let limit = 800;
    let (split, reqs) = answer(&sim, limit, &query).await;
    assert_eq!(first_difference(&split, &whole, ""), None);
    assert!(
        reqs.len() > whole_reqs.len(),
        "{} vs {}",
        reqs.len(),
        whole_reqs.len()
    );
    for r in &reqs {
        assert!(
            target_len(r) < limit - 200,
            "{} bytes: {r:?}",
            target_len(r)
        );
    }
    sim.shutdown().await;
}
