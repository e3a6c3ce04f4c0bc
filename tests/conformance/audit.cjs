// Runs graphql-http's server audits (GraphQL over HTTP) against the URL given and prints
// one JSON object per line: { id, name, status, reason }. The Rust test decides.
const { auditServer } = require('graphql-http');

const url = process.argv[2];
auditServer({ url })
  .then((results) => {
    for (const r of results) {
      console.log(JSON.stringify({ id: r.id, name: r.name, status: r.status, reason: r.reason || null }));
    }
  })
  .catch((e) => {
    console.error(e);
    process.exit(2);
  });
