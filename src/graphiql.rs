//! GraphiQL served from the binary itself, so it works on an air-gapped network.
//!
//! The assets (GraphiQL 3.9, React 18.3, MIT-licensed; see `assets/graphiql/LICENSES.txt`)
//! are compiled in; the page opens with the dashboard example as its default query.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

const GRAPHIQL_JS: &[u8] = include_bytes!("../assets/graphiql/graphiql.min.js");
const GRAPHIQL_CSS: &[u8] = include_bytes!("../assets/graphiql/graphiql.min.css");
const REACT_JS: &[u8] = include_bytes!("../assets/graphiql/react.production.min.js");
const REACT_DOM_JS: &[u8] = include_bytes!("../assets/graphiql/react-dom.production.min.js");
const LICENSES: &[u8] = include_bytes!("../assets/graphiql/LICENSES.txt");
const DEFAULT_QUERY: &str = include_str!("../examples/queries/07-dashboard.graphql");

/// The GraphiQL page for an endpoint.
pub(crate) fn page(endpoint: &str) -> Html<String> {
    let query = serde_json::to_string(DEFAULT_QUERY).unwrap_or_else(|_| "\"\"".into());
    let endpoint = serde_json::to_string(endpoint).unwrap_or_else(|_| "\"/graphql\"".into());
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Majordomo · GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/graphiql.min.css">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/react.production.min.js"></script>
  <script src="/graphiql/react-dom.production.min.js"></script>
  <script src="/graphiql/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({{ url: {endpoint} }});
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {{ fetcher, defaultQuery: {query}, defaultEditorToolsVisibility: false }})
    );
  </script>
</body>
</html>"#
    ))
}

/// `/graphiql/{file}`: the compiled-in assets.
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "graphiql.min.js" => (GRAPHIQL_JS, "text/javascript; charset=utf-8"),
        "graphiql.min.css" => (GRAPHIQL_CSS, "text/css; charset=utf-8"),
        "react.production.min.js" => (REACT_JS, "text/javascript; charset=utf-8"),
        "react-dom.production.min.js" => (REACT_DOM_JS, "text/javascript; charset=utf-8"),
        "LICENSES.txt" => (LICENSES, "text/plain; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}
