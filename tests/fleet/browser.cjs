// Drives the fleet page in headless Chromium (Debian's, through puppeteer-core) for
// tests/fleet_browser.rs, which sends commands on stdin, one per line, and reads one JSON
// line per answer on stdout:
//   failing          -> {"failing": [connection/fullName...], "asksForKey": bool,
//                        "controllers": [{name,status,error}]}
//   key KEY          -> {"ready": bool}  (types the API key into the page's form)
//   recent KEY       -> {"recent": KEY, "found": bool, "samePage": bool}  (waits up to 30 s)
//   build KEY        -> {"stages": N, "log": chars}  (opens the build view of connection/job#n)
//   shot PATH        -> {"shot": PATH}
//   done             -> {"offLoopback": [urls], "errors": [messages]} and exits
//
//   node browser.cjs PAGE_URL CHROMIUM
'use strict';
const readline = require('readline');
const puppeteer = require('puppeteer-core');

const [url, chromium] = process.argv.slice(2);
const out = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

(async () => {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
      // Chromium's own traffic (updates, safe browsing, metrics) would not be the page's.
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--metrics-recording-only', '--no-pings',
    ],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 1000 });
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  // Ready, or asking for an API key.
  await page.waitForFunction(
    () => document.body.dataset.ready === '1' || !document.getElementById('auth').hidden,
    { timeout: 30000 },
  );
  await page.evaluate(() => { window.fleetTestMarker = 'same page'; });

  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [cmd, arg] = [line.split(' ')[0], line.slice(line.indexOf(' ') + 1)];
    if (cmd === 'failing') {
      out(await page.evaluate(() => ({
        failing: [...document.querySelectorAll('[data-testid=failing] tbody tr')].map((r) => r.dataset.key),
        asksForKey: !document.getElementById('auth').hidden,
        controllers: [...document.querySelectorAll('[data-testid=controllers] [data-connection]')].map((c) => ({
          name: c.dataset.connection, status: c.dataset.status, error: (c.querySelector('.error') || {}).textContent || null,
        })),
      })));
    } else if (cmd === 'key') {
      await page.type('#auth-key', arg);
      await page.click('#auth-form button');
      const ready = await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 }).then(() => true, () => false);
      out({ ready });
    } else if (cmd === 'recent') {
      const found = await page.waitForFunction(
        (key) => [...document.querySelectorAll('[data-testid=recent] li')].some((li) => li.dataset.key === key),
        { timeout: 30000 }, arg,
      ).then(() => true, () => false);
      const samePage = await page.evaluate(() => window.fleetTestMarker === 'same page');
      out({ recent: arg, found, samePage });
    } else if (cmd === 'build') {
      const m = arg.match(/^([^/]+)\/(.+)#(\d+)$/);
      await page.evaluate(([c, j, n]) => {
        const u = new URL(location.href);
        u.searchParams.set('bconn', c); u.searchParams.set('bjob', j); u.searchParams.set('bnum', n);
        history.replaceState(null, '', u);
      }, [m[1], m[2], m[3]]);
      await page.reload({ waitUntil: 'domcontentloaded' });
      await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
      await page.evaluate(() => { window.fleetTestMarker = 'same page'; });
      const ok = await page.waitForFunction(
        () => document.querySelectorAll('#build-stages .stage').length > 0 && document.getElementById('build-log').textContent.length > 0,
        { timeout: 30000 },
      ).then(() => true, () => false);
      out(await page.evaluate((shown) => ({
        shown,
        stages: document.querySelectorAll('#build-stages > .stage').length,
        log: document.getElementById('build-log').textContent.length,
        url: location.search,
      }), ok));
    } else if (cmd === 'shot') {
      await page.screenshot({ path: arg });
      out({ shot: arg });
    } else if (cmd === 'done') {
      const offLoopback = requests.filter((u) => {
        const { protocol, hostname } = new URL(u);
        return !(protocol === 'data:' || hostname === '127.0.0.1' || hostname === 'localhost');
      });
      out({ offLoopback, errors, requests: requests.length });
      await browser.close();
      process.exit(0);
    }
  }
})().catch((e) => { out({ fatal: String(e && e.stack || e) }); process.exit(1); });
