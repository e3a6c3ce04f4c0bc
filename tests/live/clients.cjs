// Subscribers for the live tests, with the reference clients of both transports:
// graphql-ws (graphql-transport-ws over a WebSocket) and graphql-sse (Server-Sent Events,
// distinct connections mode).
//
//   node clients.cjs ws|sse ENDPOINT COUNT QUERY [VARIABLES_JSON] [AUTHORIZATION]
//
// Opens COUNT clients, each with one subscription, and prints one JSON line per message:
// {"i":N,"data":...} | {"i":N,"errors":...} | {"i":N,"error":"..."} | {"i":N,"complete":true},
// and {"connected":N} once N WebSocket clients are acknowledged. Runs until killed, or
// until every subscription completed or failed.
'use strict';
const [mode, endpoint, countArg, query, varsArg, authorization] = process.argv.slice(2);
const count = parseInt(countArg, 10);
const variables = varsArg ? JSON.parse(varsArg) : {};
const headers = authorization ? { Authorization: authorization } : {};
const out = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

let open = count;
let connected = 0;
function sink(i) {
  const done = () => { open -= 1; if (open === 0) process.exit(0); };
  return {
    next: (msg) => out(msg.errors ? { i, errors: msg.errors, data: msg.data } : { i, data: msg.data }),
    error: (err) => {
      const text = err instanceof Error ? err.message
        : (err && err.code ? `close ${err.code} ${err.reason}` : JSON.stringify(err));
      out({ i, error: text });
      done();
    },
    complete: () => { out({ i, complete: true }); done(); },
  };
}

if (mode === 'ws') {
  const { createClient } = require('graphql-ws');
  const WebSocket = require('ws');
  for (let i = 0; i < count; i += 1) {
    const client = createClient({
      url: endpoint.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: headers,
      lazy: false,
      retryAttempts: 0,
      on: { connected: () => { connected += 1; if (connected === count) out({ connected }); } },
    });
    client.subscribe({ query, variables }, sink(i));
  }
} else if (mode === 'sse') {
  const { createClient } = require('graphql-sse');
  for (let i = 0; i < count; i += 1) {
    const client = createClient({ url: endpoint, headers, retryAttempts: 0 });
    client.subscribe({ query, variables }, sink(i));
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
