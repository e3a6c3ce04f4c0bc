// Majordomo's fleet page: reads /graphql like any client and stays live through
// subscriptions over Server-Sent Events (graphql-sse, distinct connections mode).
// No framework and no build step; every value is written with textContent.
'use strict';
(() => {
  const ENDPOINT = '/graphql';
  const KEY_STORE = 'majordomo.apiKey';
  const RECENT = 12;
  const LOG_CHARS = 200000;

  const FLEET = `query Fleet {
    health {
      connections { connection { name url latencyMs } status version error { code message hint } }
      failingJobs {
        fullName url connection { name }
        lastCompletedBuild { number url result timestamp stages { name status branches { name status } } }
        lastSuccessfulBuild { number timestamp duration }
      }
      offlineAgents { name offlineReason connection { name } }
    }
    queue { queueId jobName why stuck blocked waitingMs connection { name } }
  }`;
  const BUILD_FIELDS = `number url result building timestamp duration estimatedDuration`;
  const BUILD_EVENTS = `subscription Builds($filter: BuildEventFilter) {
    buildEvents(filter: $filter, snapshot: true, stages: true) {
      kind connection { name } jobName number missed
      build { ${BUILD_FIELDS} stages { name status } }
      stage { name status }
    }
  }`;
  const STAGES = `query Stages($c: String!, $j: String!, $n: Int!) {
    build(connection: $c, job: $j, number: $n) {
      ${BUILD_FIELDS}
      stages { name status duration branches { name status duration } }
    }
  }`;

  const $ = (id) => document.getElementById(id);
  const state = {
    conns: new Map(), failing: [], queue: [], agents: [], recent: [],
    running: new Map(), events: 0, streams: [], buildStreams: [],
  };
  let key = '';
  try { key = localStorage.getItem(KEY_STORE) || ''; } catch (e) { key = ''; }

  // ---- the URL holds the view: ?connection=a&connection=b&folder=x&bconn=&bjob=&bnum=
  function readUrl() {
    const p = new URLSearchParams(location.search);
    const n = parseInt(p.get('bnum') || '', 10);
    return {
      connections: p.getAll('connection'),
      folder: (p.get('folder') || '').replace(/^\/+|\/+$/g, ''),
      build: p.get('bconn') && p.get('bjob') && n > 0 ? { conn: p.get('bconn'), job: p.get('bjob'), n } : null,
    };
  }
  let view = readUrl();
  function writeUrl() {
    const p = new URLSearchParams();
    view.connections.forEach((c) => p.append('connection', c));
    if (view.folder) p.set('folder', view.folder);
    if (view.build) { p.set('bconn', view.build.conn); p.set('bjob', view.build.job); p.set('bnum', String(view.build.n)); }
    const q = p.toString();
    history.replaceState(null, '', q ? `?${q}` : location.pathname);
  }
  const shown = (conn, job) =>
    (view.connections.length === 0 || view.connections.includes(conn)) &&
    (!view.folder || (job || '').startsWith(`${view.folder}/`));

  // ---- talking to /graphql
  function headers(accept) {
    const h = { 'content-type': 'application/json', accept };
    if (key) h.authorization = `Bearer ${key}`;
    return h;
  }
  async function gql(query, variables) {
    const res = await fetch(ENDPOINT, {
      method: 'POST', headers: headers('application/graphql-response+json, application/json'),
      body: JSON.stringify({ query, variables }),
    });
    if (res.status === 401) { askKey(); throw new Error('an API key is needed'); }
    return res.json();
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // One subscription over SSE; reconnects with backoff and starts again from a snapshot.
  function subscribe(query, variables, onNext, onStart) {
    const ctl = new AbortController();
    let stopped = false;
    (async () => {
      let delay = 1000;
      while (!stopped) {
        try {
          const res = await fetch(ENDPOINT, {
            method: 'POST', headers: headers('text/event-stream'), signal: ctl.signal,
            body: JSON.stringify({ query, variables }),
          });
          if (res.status === 401) { askKey(); return; }
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
          if (onStart) onStart();
          setLive(true);
          delay = 1000;
          if (await readEvents(res.body, onNext)) return;
        } catch (e) {
          if (stopped) return;
          status(`live updates interrupted: ${e.message}`);
        }
        setLive(false);
        await sleep(delay);
        delay = Math.min(delay * 2, 30000);
      }
    })();
    return () => { stopped = true; ctl.abort(); };
  }
  // Reads `event: next` / `event: complete`; true once the server completed the stream.
  async function readEvents(body, onNext) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buf += value;
      let at;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
        if (event === 'complete') return true;
        if (event === 'next' && data) {
          const msg = JSON.parse(data);
          if (msg.errors && !msg.data) status(msg.errors.map((e) => e.message).join('; '));
          if (msg.data) { state.events += 1; document.body.dataset.liveEvents = String(state.events); onNext(msg.data); }
        }
      }
    }
  }

  // ---- small DOM helpers
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else if (k === 'href') e.setAttribute('href', safeUrl(v));
      else e[k] = v;
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  const safeUrl = (u) => (/^https?:\/\//i.test(u || '') || (u || '').startsWith('/') ? u : '#');
  function dur(ms) {
    if (ms === null || ms === undefined || ms < 0) return '–';
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  }
  const pretty = (name) => { try { return decodeURIComponent(name || ''); } catch (e) { return name || ''; } };
  const ago = (t) => (t ? `${dur(Date.now() - Date.parse(t))} ago` : '–');
  function status(text) { $('status').textContent = text; }
  function setLive(on) {
    const l = $('live');
    l.className = on ? 'live on' : 'live off';
    l.textContent = on ? 'live' : 'reconnecting…';
  }
  function askKey() { $('auth').hidden = false; status('This gateway asks for an API key.'); }
  function count(section, n) { document.querySelector(`#${section} .count`).textContent = `(${n})`; }

  // ---- the fleet: one query, again whenever events say it changed (debounced)
  let refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 400);
  }
  async function refresh() {
    let body;
    try { body = await gql(FLEET); } catch (e) { status(e.message); return; }
    const h = body.data && body.data.health;
    if (!h) { status((body.errors || []).map((e) => e.message).join('; ')); return; }
    for (const c of h.connections) {
      const old = state.conns.get(c.connection.name) || {};
      state.conns.set(c.connection.name, {
        ...old, name: c.connection.name, url: c.connection.url, status: c.status,
        version: c.version, latencyMs: c.connection.latencyMs, error: c.error,
      });
    }
    state.failing = h.failingJobs;
    state.agents = h.offlineAgents;
    state.queue = (body.data.queue || []).slice().sort((a, b) => (b.waitingMs || 0) - (a.waitingMs || 0));
    fillConnectionFilter();
    render();
    document.body.dataset.ready = '1';
    status(`updated ${new Date().toLocaleTimeString()}`);
  }

  function fillConnectionFilter() {
    const sel = $('f-connection');
    const names = [...state.conns.keys()].sort();
    if (sel.options.length === names.length) return;
    sel.replaceChildren(...names.map((n) => el('option', { value: n, selected: view.connections.includes(n) }, n)));
    sel.size = Math.min(names.length, 4);
  }

  function render() {
    renderControllers();
    renderFailing();
    renderRunning();
    renderQueue();
    renderAgents();
    renderRecent();
  }
  function renderControllers() {
    const cards = [...state.conns.values()].filter((c) => shown(c.name, null))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((c) => el('div', { class: `card ${c.status === 'ONLINE' ? 'ok' : 'bad'}`, 'data-connection': c.name, 'data-status': c.status },
        el('h3', {}, el('a', { href: c.url, target: '_blank', rel: 'noopener' }, c.name)),
        el('div', { class: 'status' }, c.status),
        el('div', { class: 'meta' }, c.version ? `Jenkins ${c.version}` : '', c.latencyMs != null ? ` · ${Math.round(c.latencyMs)} ms` : ''),
        c.error ? el('div', { class: 'error' }, el('code', {}, c.error.code), ' ', c.error.hint) : null));
    document.querySelector('[data-testid=controllers]').replaceChildren(...cards);
  }
  function failingStage(build) {
    for (const s of (build && build.stages) || []) {
      for (const b of s.branches || []) if (b.status === 'FAILED') return `${s.name} › ${b.name}`;
      if (s.status === 'FAILED' || s.status === 'UNSTABLE') return s.name;
    }
    return '–';
  }
  function renderFailing() {
    const rows = state.failing.filter((j) => shown(j.connection.name, j.fullName)).map((j) => {
      const b = j.lastCompletedBuild;
      const ok = j.lastSuccessfulBuild;
      const since = ok ? `after #${ok.number} (ok ${ago(ok.timestamp)})` : 'never succeeded';
      return el('tr', { 'data-key': `${j.connection.name}/${j.fullName}` },
        el('td', {}, el('span', { class: 'conn' }, j.connection.name), ' ', pretty(j.fullName)),
        el('td', {}, b ? el('a', { href: b.url, target: '_blank', rel: 'noopener' }, `#${b.number} ${b.result || ''}`) : '–',
          b ? el('button', { type: 'button', class: 'open', onclick: () => openBuild(j.connection.name, j.fullName, b.number) }, 'view') : null),
        el('td', {}, failingStage(b)),
        el('td', {}, since));
    });
    document.querySelector('[data-testid=failing] tbody').replaceChildren(...rows);
    count('failing', rows.length);
  }
  function stageBar(b) {
    const stages = (b && b.stages) || [];
    return el('div', { class: 'stages' }, stages.map((s) => el('span', { class: `seg ${s.status}`, title: `${s.name}: ${s.status}` })));
  }
  function renderRunning() {
    const now = Date.now();
    const runs = [...state.running.values()].filter((r) => shown(r.conn, r.job))
      .sort((a, b) => (Date.parse(a.build?.timestamp || 0) || 0) - (Date.parse(b.build?.timestamp || 0) || 0));
    const rows = runs.map((r) => {
      const start = Date.parse(r.build?.timestamp || '') || now;
      const elapsed = now - start;
      const est = r.build?.estimatedDuration;
      const pct = est > 0 ? Math.min(100, (100 * elapsed) / est) : 0;
      return el('div', { class: 'run', 'data-key': `${r.conn}/${r.job}#${r.n}` },
        el('div', { class: 'what' }, el('span', { class: 'conn' }, r.conn), ' ',
          el('a', { href: '#', onclick: (e) => { e.preventDefault(); openBuild(r.conn, r.job, r.n); } }, `${pretty(r.job)} #${r.n}`),
          r.stage ? el('span', { class: 'stage' }, ` · ${r.stage.name}`) : null),
        el('div', { class: 'time' }, `${dur(elapsed)} / ${est > 0 ? dur(est) : '?'}`),
        el('div', { class: `bar${elapsed > est && est > 0 ? ' over' : ''}` }, el('span', { style: `width:${pct}%` })),
        stageBar(r.build));
    });
    document.querySelector('[data-testid=running]').replaceChildren(...rows);
    count('running', rows.length);
  }
  function renderQueue() {
    const items = state.queue.filter((q) => shown(q.connection.name, q.jobName))
      .filter((q) => q.stuck || q.blocked || (q.waitingMs || 0) > 60000 || state.queue.length <= 20);
    const rows = items.map((q) => el('tr', { class: q.stuck ? 'stuck' : '', 'data-key': `${q.connection.name}/${q.queueId}` },
      el('td', {}, el('span', { class: 'conn' }, q.connection.name), ' ', pretty(q.jobName) || '?', q.stuck ? el('b', {}, ' stuck') : null),
      el('td', {}, dur(q.waitingMs)),
      el('td', { class: 'why' }, q.why || '')));
    document.querySelector('[data-testid=queue] tbody').replaceChildren(...rows);
    count('queue', rows.length);
  }
  function renderAgents() {
    const rows = state.agents.filter((a) => shown(a.connection.name, null)).map((a) => el('tr', {},
      el('td', {}, a.name || '?'), el('td', {}, a.connection.name), el('td', {}, a.offlineReason || '')));
    document.querySelector('[data-testid=agents] tbody').replaceChildren(...rows);
    count('agents', rows.length);
  }
  function renderRecent() {
    const items = state.recent.filter((r) => shown(r.conn, r.job)).map((r) =>
      el('li', { class: r.result || '', 'data-key': `${r.conn}/${r.job}#${r.n}` },
        el('span', { class: 'conn' }, r.conn), ' ', `${pretty(r.job)} #${r.n} `, el('b', {}, r.result || ''),
        ` in ${dur(r.duration)}`));
    document.querySelector('[data-testid=recent]').replaceChildren(...items);
  }

  // ---- live streams of the fleet view
  function onBuildEvent(data) {
    const e = data.buildEvents;
    const conn = e.connection.name;
    const k = `${conn}/${e.jobName}#${e.number}`;
    switch (e.kind) {
      case 'RUNNING': case 'STARTED': case 'STAGE': {
        const old = state.running.get(k) || {};
        state.running.set(k, { conn, job: e.jobName, n: e.number, build: e.build || old.build, stage: e.stage || old.stage });
        break;
      }
      case 'FINISHED':
        state.running.delete(k);
        state.recent.unshift({ conn, job: e.jobName, n: e.number, result: e.build?.result, duration: e.build?.duration });
        state.recent.length = Math.min(state.recent.length, RECENT);
        refreshSoon();
        break;
      case 'LAGGED':
        state.running.clear();
        break;
      default:
        refreshSoon();
    }
    renderRunning();
    renderRecent();
  }
  function onConnectionEvent(data) {
    const e = data.connectionEvents;
    const name = e.connection.name;
    const old = state.conns.get(name) || { name };
    state.conns.set(name, { ...old, status: e.status || old.status, version: e.version ?? old.version, latencyMs: e.latencyMs ?? old.latencyMs, error: e.error });
    if (e.kind === 'DOWN' || e.kind === 'UP') refreshSoon();
    renderControllers();
  }
  function startStreams() {
    state.streams.forEach((stop) => stop());
    state.running.clear();
    const connections = view.connections.length ? view.connections : null;
    const filter = { connections, folder: view.folder || null };
    state.streams = [
      subscribe(BUILD_EVENTS, { filter }, onBuildEvent, () => state.running.clear()),
      subscribe(`subscription { connectionEvents { kind connection { name } status version latencyMs error { code message hint } } }`,
        {}, onConnectionEvent),
      subscribe(`subscription Q($c: [String!]) { queueEvents(connections: $c) { kind } }`, { c: connections }, refreshSoon),
    ];
  }

  // ---- the build view: stages (parallel branches grouped) and the log, live
  function openBuild(conn, job, n) {
    view.build = { conn, job, n };
    writeUrl();
    showBuild();
  }
  async function loadStages() {
    const b = view.build;
    if (!b) return;
    const body = await gql(STAGES, { c: b.conn, j: b.job, n: b.n }).catch(() => null);
    const build = body && body.data && body.data.build;
    if (!build) return;
    $('build-title').textContent = `${b.conn} · ${pretty(b.job)} #${b.n} ${build.building ? 'running' : build.result || ''}`;
    $('build-link').setAttribute('href', safeUrl(build.url));
    const stages = (build.stages || []).map((s) => el('div', { class: `stage ${s.status}` },
      el('div', { class: 'name' }, s.name, el('span', { class: 'd' }, ` ${s.status} · ${dur(s.duration)}`)),
      s.branches && s.branches.length ? el('div', { class: 'branches' }, s.branches.map((br) =>
        el('div', { class: `stage ${br.status}` }, el('div', { class: 'name' }, br.name, el('span', { class: 'd' }, ` ${br.status} · ${dur(br.duration)}`))))) : null));
    $('build-stages').replaceChildren(...stages);
  }
  function showBuild() {
    state.buildStreams.forEach((stop) => stop());
    state.buildStreams = [];
    const b = view.build;
    $('build').hidden = !b;
    if (!b) return;
    $('build-title').textContent = `${b.conn} · ${pretty(b.job)} #${b.n}`;
    const log = $('build-log');
    log.textContent = '';
    loadStages();
    const vars = { c: b.conn, j: b.job, n: b.n };
    state.buildStreams = [
      subscribe(`subscription W($c: String!, $j: String!, $n: Int!) { buildWatch(connection: $c, job: $j, number: $n) { kind } }`,
        vars, () => loadStages()),
      subscribe(`subscription L($c: String!, $j: String!, $n: Int!) { buildLog(connection: $c, job: $j, number: $n, tailBytes: 65536) { offset text complete } }`,
        vars, (data) => {
          const chunk = data.buildLog;
          const t = log.textContent + chunk.text;
          log.textContent = t.length > LOG_CHARS ? t.slice(t.length - LOG_CHARS) : t;
          log.scrollTop = log.scrollHeight;
          if (chunk.complete) loadStages();
        }, () => { log.textContent = ''; }),
    ];
  }

  // ---- wiring
  $('f-connection').addEventListener('change', (e) => {
    view.connections = [...e.target.selectedOptions].map((o) => o.value);
    writeUrl(); render(); startStreams();
  });
  $('f-folder').value = view.folder;
  $('f-folder').addEventListener('change', (e) => {
    view.folder = e.target.value.trim().replace(/^\/+|\/+$/g, '');
    writeUrl(); render(); startStreams();
  });
  $('f-clear').addEventListener('click', () => {
    view.connections = []; view.folder = ''; $('f-folder').value = '';
    [...$('f-connection').options].forEach((o) => { o.selected = false; });
    writeUrl(); render(); startStreams();
  });
  $('build-close').addEventListener('click', () => { view.build = null; writeUrl(); showBuild(); });
  $('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    key = $('auth-key').value.trim();
    try { localStorage.setItem(KEY_STORE, key); } catch (err) { /* private mode: this tab only */ }
    $('auth').hidden = true;
    start();
  });
  setInterval(renderRunning, 1000);
  // Agents and waiting times move without events; a slow refresh keeps them honest.
  setInterval(refresh, 60000);

  function start() {
    refresh();
    startStreams();
    showBuild();
  }
  start();
})();
