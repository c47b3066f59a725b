// test_serve_page.mjs — the page of `earshot serve`, end to end, in Chromium.
//
//   node tests/browser/test_serve_page.mjs      (CTest runs it; see below)
//
// Builds a small indexed library (tests/ref/serve_fixture.py), starts
// `earshot serve` on it, and drives Debian's Chromium through playwright-core
// the way a person would: typing a query, changing the path, playing a
// moment, dropping a clip, using only the keyboard, indexing a new folder,
// and opening a server that needs a token. Every request the page makes must
// stay on the server, and the page must log no errors.
//
// Environment: EARSHOT_BIN (the earshot binary), EARSHOT_SRC (repo root),
// EARSHOT_TEST_TMP (scratch), EARSHOT_TOOLS (for the fixture),
// EARSHOT_REQUIRE_DATA=1 (a missing fixture dependency fails instead of
// skipping), EARSHOT_ASAN=1 (sanitizer build: longer timeouts),
// EARSHOT_BROWSER_FIXTURE=DIR (development: reuse a fixture built there
// before; its index is copied, never changed).
// Exit: 0 all passed, 1 something failed, 77 skipped.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const SRC = env.EARSHOT_SRC || path.resolve(here, '..', '..');
const BIN = env.EARSHOT_BIN;
const TMP = env.EARSHOT_TEST_TMP || path.join(SRC, 'build', 'tests', 'tmp');
const REQUIRE = env.EARSHOT_REQUIRE_DATA === '1';
const SLOW = /^(1|on|true|yes)$/i.test(env.EARSHOT_ASAN || '') ? 3 : 1;
const CHROMIUM = '/usr/bin/chromium';
const WORK = path.join(TMP, 'browser');
const t0 = Date.now();

function skip(why) {
  if (REQUIRE) { console.log(`FAIL: ${why} (EARSHOT_REQUIRE_DATA=1)`); process.exit(1); }
  console.log(`skip: ${why}`);
  process.exit(77);
}
function die(why) { console.log(`FAIL: ${why}`); process.exit(1); }

if (!BIN) die('EARSHOT_BIN is not set; run through ctest');
if (!fs.existsSync(CHROMIUM)) skip(`${CHROMIUM} is missing; scripts/install-browser-deps.sh installs it`);
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  skip(`playwright-core is not installed in tests/browser (${e.code || e.message}); ` +
       'scripts/install-browser-deps.sh runs npm ci there');
}

/* ---- fixture: a fresh copy of the indexed library ---- */
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });
let fx;
{
  const fxDir = env.EARSHOT_BROWSER_FIXTURE || path.join(WORK, 'fixture');
  const saved = path.join(fxDir, 'fixture.json');
  if (env.EARSHOT_BROWSER_FIXTURE && fs.existsSync(saved)) {
    fx = JSON.parse(fs.readFileSync(saved, 'utf8'));
  } else {
    const tf = Date.now();
    const r = spawnSync('/usr/bin/python3', [path.join(SRC, 'tests', 'ref', 'serve_fixture.py'), fxDir],
      { env, encoding: 'utf8', timeout: 900e3, maxBuffer: 64 << 20 });
    if (r.status === 77) skip(`fixture: ${(r.stdout || '').trim().split('\n').pop()}`);
    if (r.status !== 0) {
      die(`fixture exited ${r.status ?? r.signal}: ${((r.stdout || '') + (r.stderr || '')).trim().slice(-1500)}`);
    }
    fx = JSON.parse(r.stdout.trim().split('\n').pop());
    fs.writeFileSync(saved, JSON.stringify(fx));
    console.log(`# fixture built in ${((Date.now() - tf) / 1000).toFixed(1)} s`);
  }
  // Serve a copy, so the indexing check starts from the same state each run.
  const copy = path.join(WORK, 'run');
  fs.mkdirSync(copy, { recursive: true });
  const base = path.basename(fx.index);
  for (const f of fs.readdirSync(path.dirname(fx.index))) {
    if (f.startsWith(base)) fs.copyFileSync(path.join(path.dirname(fx.index), f), path.join(copy, f));
  }
  fx.index = path.join(copy, base);
}
const tStart = Date.now();

/* ---- the server ---- */
const servers = [];
function startServer(extra = []) {
  const args = ['serve', '--index', fx.index, '--port', '0', '--quiet', ...extra, fx.library];
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const s = { child, out: '', err: '', exit: null };
  servers.push(s);
  child.stdout.on('data', (d) => { s.out += d; });
  child.stderr.on('data', (d) => { s.err += d; });
  s.exited = new Promise((res) => child.on('exit', (code, sig) => { s.exit = { code, sig }; res(s.exit); }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(
      `no address on stdout within ${60 * SLOW} s; stderr: ${s.err.slice(-800)}`)), 60e3 * SLOW);
    const look = () => {
      const m = /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(s.out);
      if (m) { clearTimeout(timer); s.url = m[0]; s.origin = new URL(m[0]).origin; resolve(s); }
    };
    child.stdout.on('data', look);
    s.exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`earshot serve exited (${e.code ?? e.sig}) before listening: ${s.err.slice(-800)}`));
    });
  });
}
async function stopServer(s) {
  if (s.exit) return s.exit;
  s.child.kill('SIGTERM');
  const t = setTimeout(() => { if (!s.exit) s.child.kill('SIGKILL'); }, 20e3 * SLOW);
  const e = await s.exited;
  clearTimeout(t);
  return e;
}
process.on('exit', () => { for (const s of servers) if (!s.exit) s.child.kill('SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/* ---- checks ---- */
let passed = 0, failedN = 0, shots = 0;
let page = null;
async function check(name, fn) {
  const t = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok - ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failedN++;
    console.log(`FAIL - ${name}: ${String(e && e.message || e).split('\n').slice(0, 6).join(' | ')}`);
    if (page) {
      const f = path.join(WORK, `fail-${++shots}.png`);
      await page.screenshot({ path: f, fullPage: true }).catch(() => {});
      console.log(`#   screenshot: ${f}`);
    }
  }
}
function expect(cond, msg) { if (!cond) throw new Error(msg); }
const T = (ms) => ms * SLOW;

let server, browser;
try {
  server = await startServer();
} catch (e) {
  die(e.message);
}
console.log(`# server: ${server.url}`);
const status0 = await (await fetch(server.origin + '/api/status')).json();

try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--autoplay-policy=no-user-gesture-required'],
    timeout: T(60e3),
  });
} catch (e) {
  die(`${CHROMIUM} did not start under playwright-core: ${String(e.message).split('\n')[0]}`);
}

/* Every request the page makes, and every error it logs. */
const requests = [], consoleErrors = [];
let httpErrorsExpected = 0;
function watch(p) {
  p.on('request', (r) => requests.push({ url: r.url() }));
  p.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium logs each 4xx answer; the checks that provoke one allow it.
    if (httpErrorsExpected && /^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
    consoleErrors.push(m.text());
  });
  p.on('pageerror', (e) => consoleErrors.push('page error: ' + e.message));
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  ctx.setDefaultTimeout(T(15e3));
  page = await ctx.newPage();
  watch(page);

  /* What #results shows, once it shows the answer to (kind, query, path). */
  async function shown(kind, query, pathSel) {
    await page.waitForFunction(([k, q, p]) => {
      const r = document.getElementById('results');
      return r.dataset.kind === k && r.dataset.query === q && r.dataset.path === p &&
        !r.hasAttribute('aria-busy');
    }, [kind, query, pathSel], { timeout: T(20e3) }).catch(async () => {
      const st = await page.evaluate(() => ({ ...document.getElementById('results').dataset,
        error: document.getElementById('error').textContent }));
      throw new Error(`results never showed ${kind} "${query}" (path ${pathSel}); page has ${JSON.stringify(st)}`);
    });
    return page.$$eval('#results > li.result', (lis) => lis.map((li) => ({
      id: li.dataset.fileId,
      name: li.querySelector('.name').textContent,
      title: li.querySelector('.name').title,
      moments: [...li.querySelectorAll('.moment')].map((d) => ({
        start: Number(d.dataset.start), end: Number(d.dataset.end),
        matched: d.querySelector('.matched').textContent,
        marks: [...d.querySelectorAll('.snippet mark')].map((m) => m.textContent),
      })),
    })));
  }
  async function typeQuery(q) {
    await page.focus('#q');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(q, { delay: 25 });
  }
  const pathNow = () => page.$eval('#path', (x) => x.value);
  async function ensurePath(p) { if (await pathNow() !== p) await page.selectOption('#path', p); }
  const names = (rs) => rs.map((r) => r.name).join(', ') || '(none)';
  const filesIn = (text) => Number((/(\d+) files?\b/.exec(text) || [])[1]);

  const [speechQ, speechFile] = fx.queries.speech;
  const [soundQ, ...soundFiles] = fx.queries.sound;

  await check('the page loads and its status line names the index and the models', async () => {
    await page.goto(server.url, { waitUntil: 'load', timeout: T(30e3) });
    expect(/earshot/i.test(await page.title()), `title is "${await page.title()}"`);
    await page.waitForFunction(() => /\bfiles?\b/.test(document.getElementById('status').textContent));
    const text = await page.textContent('#status');
    const m = status0.models || {};
    for (const [what, v] of [['text encoder', m.text_describe], ['bridge', m.bridge_describe], ['speech recogniser', m.asr]]) {
      expect(v && text.includes(v), `status line lacks the ${what} "${v}": "${text}"`);
    }
    expect(text.toLowerCase().includes(String(m.mode).toLowerCase()), `status line lacks the mode "${m.mode}"`);
    expect(filesIn(text) === status0.files, `status line says ${filesIn(text)} files, /api/status ${status0.files}`);
    expect(text.includes(path.basename(status0.index)), 'status line does not name the index');
    expect(await page.evaluate(() => document.activeElement.id) === 'q', 'the search box has no focus on load');
  });

  await check('typing a speech query shows results live, the right file first, query words marked', async () => {
    const before = requests.filter((r) => r.url.includes('/api/search?')).length;
    await typeQuery(speechQ);   // no Enter: results must come by themselves
    const rs = await shown('text', speechQ, 'both');
    expect(rs.length > 0, 'no results');
    expect(rs[0].name === speechFile, `first is ${rs[0].name}, want ${speechFile}; all: ${names(rs)}`);
    expect(rs[0].title.endsWith('/' + speechFile), `the name's title is "${rs[0].title}", not the full path`);
    const marks = rs[0].moments.flatMap((mo) => mo.marks);
    expect(marks.length > 0, `no <mark> in the snippets of ${rs[0].name}`);
    const sent = requests.filter((r) => r.url.includes('/api/search?')).length - before;
    expect(sent <= Math.ceil(speechQ.length / 3), `${sent} searches sent while typing ${speechQ.length} characters (no debounce?)`);
    fs.mkdirSync(WORK, { recursive: true });
    const shot = path.join(WORK, 'results.png');
    // A viewport as tall as the page, so the fixed player bar sits at its foot.
    const vp = page.viewportSize();
    const h = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: vp.width, height: Math.min(h, 4000) });
    await page.screenshot({ path: shot, fullPage: true });
    await page.setViewportSize(vp);
    console.log(`# screenshot: ${shot}`);
  });

  await check('text from the server is shown as text, never as HTML', async () => {
    // The real answer, with markup put into a file name and a snippet.
    const evil = '<img src=x onerror="window.__pwned=1"> Taxes & TAX; <b>surtaxes</b> tax’s';
    const only = (u) => u.pathname === '/api/search' && u.searchParams.get('q') === 'taxes';
    await page.route(only, async (route) => {
      const res = await route.fetch();
      const data = await res.json();
      data.results[0].name = '<i>x</i>.wav';
      data.results[0].moments[0].snippet = evil;
      await route.fulfill({ response: res, json: data });
    });
    try {
      await page.fill('#q', 'taxes');
      await page.press('#q', 'Enter');
      await shown('text', 'taxes', 'both');
      const got = await page.evaluate(() => {
        const li = document.querySelector('#results > li.result');
        const sn = li.querySelector('.moment .snippet');
        return { name: li.querySelector('.name').textContent, snippet: sn.textContent,
          marks: [...sn.querySelectorAll('mark')].map((m) => m.textContent),
          tags: [...li.querySelectorAll('img, b, i')].length, pwned: window.__pwned };
      });
      expect(got.name === '<i>x</i>.wav' && got.snippet === evil && !got.tags && !got.pwned,
        `rendered as HTML: ${JSON.stringify(got)}`);
      expect(got.marks.join('|') === 'Taxes|TAX|tax’s', `marks: ${got.marks.join('|')}`);
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
    }
    await typeQuery(speechQ);
    await shown('text', speechQ, 'both');
  });

  await check('"Speech only" shows only moments matched by speech', async () => {
    await page.selectOption('#path', 'speech');
    try {
      const rs = await shown('text', speechQ, 'speech');
      expect(rs.length > 0, 'no results');
      const all = rs.flatMap((r) => r.moments.map((mo) => mo.matched));
      expect(all.length && all.every((x) => x === 'speech'), `matched: ${all.join(', ')}`);
      expect(rs[0].name === speechFile, `first is ${rs[0].name}, want ${speechFile}`);
    } finally {
      await page.selectOption('#path', 'both');
    }
  });

  let soundResults = [];
  await check('typing a sound query shows a siren file first', async () => {
    await ensurePath('both');
    await typeQuery(soundQ);
    soundResults = await shown('text', soundQ, 'both');
    expect(soundResults.length > 0, 'no results');
    expect(soundFiles.includes(soundResults[0].name), `first is ${soundResults[0].name}, want one of ${soundFiles.join(', ')}; all: ${names(soundResults)}`);
  });

  await check('the play button of a moment plays the file from that moment', async () => {
    const r = soundResults.find((x) => x.name === fx.moment_file);
    expect(r, `${fx.moment_file} is not among the results: ${names(soundResults)}`);
    const mo = r.moments.find((x) => x.start >= fx.moment_min_start);
    expect(mo, `no moment of ${fx.moment_file} starts at ≥ ${fx.moment_min_start} s: ${r.moments.map((x) => x.start).join(', ')}`);
    await page.click(`li.result[data-file-id="${r.id}"] .moment[data-start="${mo.start}"] button.play`);
    await page.waitForFunction((s) => {
      const p = document.getElementById('player');
      return !p.paused && p.currentTime >= s + 0.2;
    }, mo.start, { timeout: T(10e3) }).catch(async () => {
      const st = await page.evaluate(() => {
        const p = document.getElementById('player');
        return { src: p.currentSrc, paused: p.paused, t: p.currentTime, err: p.error && p.error.message, ready: p.readyState };
      });
      throw new Error(`#player did not play from ${mo.start} s: ${JSON.stringify(st)}`);
    });
    const src = await page.$eval('#player', (p) => p.currentSrc);
    expect(new URL(src).pathname === `/api/audio/${r.id}`, `player src is ${src}`);
    const now = await page.textContent('#now-playing');
    expect(now.includes(fx.moment_file), `the player bar says "${now}"`);
    expect(await page.$(`li.result[data-file-id="${r.id}"] .moment.playing`), 'the playing moment is not highlighted');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.getElementById('player').paused, null, { timeout: T(5e3) });
  });

  await check('a file the browser cannot decode plays through ?format=wav', async () => {
    // The original bytes are replaced by junk, as for a codec Chromium lacks.
    const r = soundResults[0];
    const junk = (route) => route.fulfill({ status: 200, contentType: 'audio/wav', body: Buffer.alloc(4096, 7) });
    await page.route((u) => u.pathname === `/api/audio/${r.id}` && !u.searchParams.has('format'), junk);
    try {
      await page.evaluate(() => { const p = document.getElementById('player'); p.pause(); p.removeAttribute('src'); p.load(); });
      await page.click(`li.result[data-file-id="${r.id}"] button.play`);
      await page.waitForFunction(() => {
        const p = document.getElementById('player');
        return /[?&]format=wav\b/.test(p.currentSrc) && !p.paused && p.currentTime > 0.2;
      }, null, { timeout: T(10e3) }).catch(async () => {
        const st = await page.evaluate(() => {
          const p = document.getElementById('player');
          return { src: p.currentSrc, paused: p.paused, t: p.currentTime, err: p.error && p.error.message };
        });
        throw new Error(`no fallback to WAV: ${JSON.stringify(st)}; #error: "${await page.textContent('#error')}"`);
      });
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await page.keyboard.press('Escape');
    }
  });

  const clip = fs.readFileSync(fx.like_clip);
  const clipName = path.basename(fx.like_clip);
  await check('dropping a clip on the page searches by example', async () => {
    await ensurePath('both');
    const overlay = await page.evaluate(async ([b64, name]) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: 'audio/wav' }));
      const target = document.getElementById('results');
      const fire = (type) => target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      fire('dragenter');
      fire('dragover');
      const visible = !document.getElementById('drop-overlay').hidden;
      fire('drop');
      return { visible, after: !document.getElementById('drop-overlay').hidden };
    }, [clip.toString('base64'), clipName]);
    expect(overlay.visible, 'no drop overlay while dragging');
    expect(!overlay.after, 'the drop overlay stays after the drop');
    const rs = await shown('like', clipName, 'both');
    expect(rs.length > 0, 'no results');
    expect(/siren/.test(rs[0].name), `first is ${rs[0].name}; all: ${names(rs)}`);
    const sum = await page.textContent('#summary');
    expect(sum.includes(`Sounds like: ${clipName}`), `summary says "${sum}"`);
  });

  await check('"Search by example…" (file input) with "Sound only" finds the siren', async () => {
    // Clear the search first, so the path change re-runs nothing (a search
    // by example analyses the clip again: seconds).
    await page.fill('#q', '');
    await page.waitForFunction(() => document.getElementById('results').dataset.kind === '');
    await page.selectOption('#path', 'sound');
    await page.setInputFiles('#like-file', { name: 'picked_' + clipName, mimeType: 'audio/wav', buffer: clip });
    const rs = await shown('like', 'picked_' + clipName, 'sound');
    expect(rs.length > 0, 'no results');
    expect(/siren/.test(rs[0].name), `first is ${rs[0].name}; all: ${names(rs)}`);
    const all = rs.flatMap((r) => r.moments.map((mo) => mo.matched));
    expect(all.every((x) => x === 'sound'), `matched: ${all.join(', ')}`);
  });

  await check('keyboard: / focuses the search, Tab reaches a play button, arrows move, Enter plays, Esc stops', async () => {
    await page.click('h1');
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement.id) === 'q', '/ did not focus #q');
    await typeQuery(speechQ);
    await shown('text', speechQ, await pathNow());   // "Sound only" from the last check
    await ensurePath('both');
    await shown('text', speechQ, 'both');
    await page.focus('#q');
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement.matches('button.play'));
    }
    expect(reached, 'Tab from #q never reached a play button');
    const ring = await page.evaluate(() => {
      const cs = getComputedStyle(document.activeElement);
      return cs.boxShadow !== 'none' || (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0);
    });
    expect(ring, 'the focused play button shows no focus ring');
    const n = await page.$$eval('button.play', (b) => b.length);
    if (n > 1) {
      const at = () => page.evaluate(() => [...document.querySelectorAll('button.play')].indexOf(document.activeElement));
      const i0 = await at();
      await page.keyboard.press('ArrowDown');
      expect(await at() === i0 + 1, 'ArrowDown did not move to the next play button');
      await page.keyboard.press('ArrowUp');
      expect(await at() === i0, 'ArrowUp did not move back');
    }
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.getElementById('player').paused, null, { timeout: T(10e3) });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.getElementById('player').paused, null, { timeout: T(5e3) });
  });

  await check('a server error is shown in #error with its message', async () => {
    await ensurePath('both');
    const q = 'x'.repeat(1001);
    const want = await (await fetch(`${server.origin}/api/search?q=${q}&k=10&path=both`)).json();
    httpErrorsExpected++;
    try {
      await page.fill('#q', q);
      await page.press('#q', 'Enter');
      await page.waitForSelector('#error:not([hidden])', { timeout: T(10e3) });
      const text = await page.textContent('#error');
      expect(want.error && text.includes(want.error), `#error says "${text}", the server "${want.error}"`);
      expect(await page.getAttribute('#error', 'role') === 'alert', '#error is not role=alert');
      await page.fill('#q', speechQ);   // leave a query the indexing check can re-run
      await page.press('#q', 'Enter');
      await shown('text', speechQ, 'both');
    } finally {
      await page.waitForTimeout(200);
      httpErrorsExpected--;
    }
  });

  await check('the indexing panel indexes a new folder and the file count grows', async () => {
    const before = filesIn(await page.textContent('#status'));
    if (!await page.$eval('#index-details', (d) => d.open)) await page.click('#index-details > summary');
    await page.fill('#index-paths', fx.extra);
    await page.click('#index-start');
    await page.waitForFunction(() => {
      const t = document.getElementById('index-text'), p = document.getElementById('index-progress');
      return t.dataset.state === 'done' && p.value === p.max;
    }, null, { timeout: T(180e3) }).catch(async () => {
      throw new Error(`the run did not finish: "${await page.textContent('#index-text')}" / ` +
        `"${await page.textContent('#error')}"`);
    });
    const text = await page.textContent('#index-text');
    const want = before + fx.extra_files;
    await page.waitForFunction((n) => new RegExp('\\b' + n + ' files\\b').test(document.getElementById('status').textContent),
      want, { timeout: T(5e3) }).catch(async () => {
      throw new Error(`status line says "${await page.textContent('#status')}", want ${want} files (was ${before}); panel: "${text}"`);
    });
    expect(/Done/.test(text) && text.includes(`${fx.extra_files} of ${fx.extra_files} files`), `panel says "${text}"`);
    expect(!await page.$('#index-errors li'), `failures listed: ${await page.textContent('#index-errors')}`);
  });

  await check('a server with --token: the printed address works, a bare one asks for the token', async () => {
    const tok = 'tok-' + Math.random().toString(36).slice(2);
    const s2 = await startServer(['--token', tok]);
    expect(s2.url.endsWith('#token=' + tok), `the printed address is ${s2.url}`);
    const p2 = await ctx.newPage();
    watch(p2);
    httpErrorsExpected++;
    try {
      await p2.goto(s2.origin + '/', { waitUntil: 'load' });
      await p2.waitForSelector('#error:not([hidden])', { timeout: T(10e3) });
      const text = await p2.textContent('#error');
      expect(/needs a token/.test(text) && text.includes('earshot serve'), `#error says "${text}"`);
      await p2.goto(s2.url, { waitUntil: 'load' });
      await p2.waitForFunction(() => /\bfiles?\b/.test(document.getElementById('status').textContent), null, { timeout: T(10e3) });
      expect(!(await p2.evaluate(() => location.hash)).includes(tok), 'the token stays in the address bar');
      await p2.reload({ waitUntil: 'load' });   // kept in sessionStorage
      await p2.focus('#q');
      await p2.keyboard.type(speechQ, { delay: 10 });
      await p2.waitForFunction((q) => document.getElementById('results').dataset.query === q &&
        document.querySelector('#results button.play'), speechQ, { timeout: T(15e3) });
      await p2.click('#results button.play');
      await p2.waitForFunction(() => !document.getElementById('player').paused, null, { timeout: T(10e3) });
      const src = await p2.$eval('#player', (p) => p.currentSrc);
      expect(new URL(src).searchParams.get('token') === tok, `audio src without the token: ${src}`);
      expect(!(await p2.textContent('#error')).trim() || await p2.$('#error[hidden]'), `error: ${await p2.textContent('#error')}`);
    } finally {
      await p2.close();
      httpErrorsExpected--;
      await stopServer(s2);
    }
  });

  await check('no request left the server, no errors in the console', async () => {
    const origins = new Set(servers.map((s) => s.origin));
    const away = requests.filter((r) => !/^(data|blob):/.test(r.url) && !origins.has(new URL(r.url).origin));
    expect(!away.length, `requests elsewhere: ${away.map((r) => r.url).slice(0, 5).join(' ')}`);
    expect(!consoleErrors.length, `console: ${consoleErrors.slice(0, 5).join(' | ')}`);
    expect(requests.length > 10, `only ${requests.length} requests recorded`);
  });

  page = null;
  await ctx.close();
} catch (e) {
  failedN++;
  console.log(`FAIL - the test itself: ${e && e.stack || e}`);
} finally {
  if (browser) await browser.close().catch(() => {});
}

await check('earshot serve stops cleanly on SIGTERM', async () => {
  const e = await stopServer(server);
  expect(e.code === 0, `exit ${e.code ?? e.sig}; stderr: ${server.err.slice(-1200)}`);
});

console.log(`# ${((Date.now() - tStart) / 1000).toFixed(1)} s without the fixture, ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
console.log(`${passed} passed, ${failedN} failed`);
process.exit(failedN ? 1 : 0);
