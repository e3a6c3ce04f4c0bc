// The official MCP Inspector's CLI mode against Majordomo's MCP server, the way an
// assistant's developer checks a server: it initialises, lists the tools, calls two, reads
// the schema resource, and this script prints what came back as one JSON object.
//   NODE_PATH=… node mcp-inspector.cjs http URL [KEY]
//   NODE_PATH=… node mcp-inspector.cjs stdio BINARY CONFIG
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const cli = path.join(process.env.NODE_PATH, '@modelcontextprotocol/inspector/cli/build/cli.js');
const [mode, a, b] = process.argv.slice(2);
const target =
  mode === 'http'
    ? ['--cli', a, '--transport', 'http', ...(b ? ['--header', `Authorization: Bearer ${b}`] : [])]
    : ['-e', `MAJORDOMO_CONFIG=${b}`, '--cli', a, 'mcp'];

function inspect(...args) {
  const out = execFileSync(process.execPath, [cli, ...target, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120000,
  });
  // The inspector prints a deprecation notice before the answer.
  return JSON.parse(out.slice(out.indexOf('{')));
}

const text = (result) => {
  if (result.isError) throw new Error(`tool error: ${JSON.stringify(result)}`);
  return JSON.parse(result.content[0].text);
};
const tools = inspect('--method', 'tools/list');
const connections = inspect('--method', 'tools/call', '--tool-name', 'list_connections');
const queue = inspect('--method', 'tools/call', '--tool-name', 'build_queue', '--tool-arg', 'stuck_only=true');
const schema = inspect('--method', 'resources/read', '--uri', 'majordomo://schema');
console.log(
  JSON.stringify({
    tools: tools.tools.map((t) => t.name),
    connections: text(connections),
    queue: text(queue),
    schema: schema.contents[0].text,
  }),
);
