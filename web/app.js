/* app.js — the behaviour of the page `earshot serve` serves (docs/API.md):
 * live text search, search by an example clip (drop or file picker), a
 * shared player that starts at a moment, and the indexing panel that polls
 * /api/status. Server text is only ever inserted as text nodes, never as
 * HTML. No request leaves the server's own origin. */
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const el = {
    status: $('status'), q: $('q'), path: $('path'), form: $('search-form'),
    likeFile: $('like-file'), error: $('error'), summary: $('summary'),
    results: $('results'), player: $('player'), nowPlaying: $('now-playing'),
    overlay: $('drop-overlay'), details: $('index-details'),
    paths: $('index-paths'), mode: $('index-mode'), retry: $('index-retry'),
    start: $('index-start'), stop: $('index-stop'), progress: $('index-progress'),
    indexText: $('index-text'), indexError: $('index-error'), modeNote: $('mode-note'),
    indexErrors: $('index-errors'), badge: $('index-badge'),
  };

  /* ---- token: #token=XYZ in the address, kept for this tab ---- */
  let token = '';
  function readToken() {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    try {
      if (m) {
        token = decodeURIComponent(m[1]);
        sessionStorage.setItem('earshot-token', token);
      } else if (!token) {
        token = sessionStorage.getItem('earshot-token') || '';
      }
    } catch (e) { /* storage disabled: the token lives as long as the page */ }
    // Out of the address bar, so it is not shared with a screenshot.
    if (m) history.replaceState(null, '', location.pathname + location.search);
    return !!m;
  }
  readToken();

  class ApiError extends Error {
    constructor(message, status) { super(message); this.status = status; }
  }

  /* fetch + JSON, with the token; a non-2xx answer throws its "error". */
  async function api(url, opts = {}) {
    const headers = Object.assign({}, opts.headers || {});
    if (token) headers['Authorization'] = 'Bearer ' + token;
    const res = await fetch(url, Object.assign({}, opts, { headers }));
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (res.status === 401) {
      throw new ApiError('This server needs a token: open the address that `earshot serve` printed.', 401);
    }
    if (!res.ok) {
      const msg = body && body.error ? body.error : 'The server answered ' + res.status + ' ' + res.statusText + '.';
      throw new ApiError(msg, res.status);
    }
    return body;
  }

  function showError(msg) {
    el.error.textContent = msg;
    el.error.hidden = !msg;
  }

  function failed(e) {
    if (e && e.name === 'AbortError') return;
    if (e instanceof ApiError) showError(e.message);
    else showError('Could not reach the earshot server (' + (e && e.message ? e.message : e) + '). Is `earshot serve` still running?');
  }

  /* ---- formatting ---- */
  function clock(s) {
    s = Math.max(0, Math.floor(Number(s) || 0));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const ss = String(sec).padStart(2, '0');
    return h ? h + ':' + String(m).padStart(2, '0') + ':' + ss : m + ':' + ss;
  }
  function span(s) {
    s = Math.round(Number(s) || 0);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function hoursText(h) {
    h = Number(h) || 0;
    if (h <= 0) return 'no audio yet';
    if (h < 1) return (h * 60).toFixed(h * 60 < 10 ? 1 : 0) + ' min of audio';
    return h.toFixed(h < 10 ? 2 : 1) + ' hours of audio';
  }
  const plural = (n, w) => n + ' ' + w + (n === 1 ? '' : 's');
  const baseName = (p) => String(p || '').replace(/\/+$/, '').split('/').pop();
  const cap = (s) => s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
  function node(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  /* ---- query words in a snippet: whole words, case-insensitive, light
   * stemming so "taxes" also marks "tax"; built from text nodes only ---- */
  const STOP = new Set(('a an and are as at be by for from had has have i in is it its of on or ' +
    'that the this to was were with about part where when what who she he we you they there so').split(' '));
  const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;
  function stem(w) {
    w = w.toLowerCase().replace(/['’]s$/, '');
    for (const suf of ['ing', 'es', 'ed', 's']) {
      if (w.length > suf.length + 2 && w.endsWith(suf)) return w.slice(0, -suf.length);
    }
    return w;
  }
  function queryStems(q) {
    const words = (q.match(WORD) || []);
    const keep = words.filter((w) => !STOP.has(w.toLowerCase()));
    return new Set((keep.length ? keep : words).map(stem));
  }
  function highlighted(text, stems) {
    const frag = document.createDocumentFragment();
    let last = 0;
    if (stems.size) {
      for (const m of text.matchAll(WORD)) {
        if (!stems.has(stem(m[0]))) continue;
        if (m.index > last) frag.appendChild(document.createTextNode(text.slice(last, m.index)));
        frag.appendChild(node('mark', null, m[0]));
        last = m.index + m[0].length;
      }
    }
    if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  /* ---- results ---- */
  let current = { kind: 'none' };   // {kind:'text', q} | {kind:'like', file} | {kind:'none'}
  let inflight = null;              // AbortController of the running search

  /* what the list shows, as data-kind/-query/-path on #results (tests wait on it) */
  function render(data, stems, kind, query, path) {
    showError('');
    el.results.textContent = '';
    Object.assign(el.results.dataset, { kind, query, path });
    const results = Array.isArray(data.results) ? data.results : [];
    let head = data.like !== undefined ? 'Sounds like: ' + data.like + ' — ' : '';
    if (!results.length) {
      el.summary.textContent = head + (data.note ? data.note + '.'
        : 'No results. Try other words, or the other path.');
      el.summary.classList.add('empty');
      return;
    }
    el.summary.classList.remove('empty');
    const ms = Number(data.took_ms);
    el.summary.textContent = head + plural(results.length, 'file') +
      (isFinite(ms) ? ' in ' + (ms < 10 ? ms.toFixed(1) : Math.round(ms)) + ' ms' : '') +
      (data.chunks_searched !== undefined ? ' · ' + data.chunks_searched + ' chunks searched' : '') +
      (data.encoder ? ' · ' + data.encoder : '');
    results.forEach((r, i) => el.results.appendChild(renderFile(r, i, stems)));
    markPlaying();
  }

  function renderFile(r, i, stems) {
    const li = node('li', 'result');
    li.dataset.fileId = r.file_id;
    const head = node('div', 'result-head');
    head.appendChild(node('span', 'rank', (i + 1) + '.'));
    const name = node('span', 'name', r.name || baseName(r.path));
    name.title = r.path || '';
    head.appendChild(name);
    if (r.duration !== undefined) head.appendChild(node('span', 'duration', clock(r.duration)));
    head.appendChild(scoreNode(r.score, 'score'));
    li.appendChild(head);
    const dir = String(r.path || '').replace(/\/[^/]*$/, '');
    if (dir) li.appendChild(node('div', 'dir', dir));
    for (const m of r.moments || []) li.appendChild(renderMoment(r, m, stems));
    return li;
  }

  function scoreNode(score, cls) {
    const s = Number(score);
    const n = node('span', cls, isFinite(s) ? s.toFixed(2) : '–');
    n.title = 'score ' + (isFinite(s) ? s.toFixed(3) : 'unknown');
    return n;
  }

  function renderMoment(r, m, stems) {
    const d = node('div', 'moment');
    d.dataset.start = m.start;
    d.dataset.end = m.end;
    const btn = node('button', 'play');
    btn.type = 'button';
    const when = clock(m.start) + '–' + clock(m.end);
    btn.setAttribute('aria-label', 'Play ' + (r.name || baseName(r.path)) + ' from ' + clock(m.start));
    btn.appendChild(node('span', 'icon', '▶'));
    btn.appendChild(node('span', 'time', when));
    btn.addEventListener('click', () => play(r, m, d));
    d.appendChild(btn);
    const matched = m.matched === 'speech' ? 'speech' : 'sound';
    const badge = node('span', 'matched ' + matched, matched);
    badge.title = 'matched by the ' + matched + ' path';
    d.appendChild(badge);
    d.appendChild(scoreNode(m.score, 'score'));
    const snip = node('span', 'snippet');
    if (m.snippet) snip.appendChild(highlighted(String(m.snippet), stems));
    else { snip.classList.add('none'); snip.textContent = 'no transcript'; }
    d.appendChild(snip);
    return d;
  }

  async function searchText() {
    const q = el.q.value.trim();
    if (inflight) { inflight.abort(); inflight = null; }
    if (!q) {
      current = { kind: 'none' };
      el.results.textContent = '';
      el.results.dataset.kind = '';
      el.results.removeAttribute('aria-busy');
      el.summary.textContent = '';
      showError('');
      return;
    }
    current = { kind: 'text', q };
    const ctl = new AbortController();
    inflight = ctl;
    const path = el.path.value;
    const url = '/api/search?q=' + encodeURIComponent(q) + '&k=10&path=' + encodeURIComponent(path);
    el.results.setAttribute('aria-busy', 'true');
    try {
      const data = await api(url, { signal: ctl.signal });
      if (inflight !== ctl) return;
      render(data, queryStems(q), 'text', q, path);
    } catch (e) {
      if (inflight === ctl) failed(e);
    } finally {
      if (inflight === ctl) { inflight = null; el.results.removeAttribute('aria-busy'); }
    }
  }

  async function searchLike(file) {
    if (!file) return;
    if (inflight) { inflight.abort(); inflight = null; }
    clearTimeout(debounce);
    current = { kind: 'like', file };
    const ctl = new AbortController();
    inflight = ctl;
    el.summary.classList.remove('empty');
    el.summary.textContent = 'Listening to ' + file.name + '…';
    const path = el.path.value;
    const url = '/api/search/like?name=' + encodeURIComponent(file.name) + '&k=10&path=' +
      encodeURIComponent(path);
    el.results.setAttribute('aria-busy', 'true');
    try {
      const data = await api(url, {
        method: 'POST', body: file, signal: ctl.signal,
        headers: { 'Content-Type': file.type || 'application/octet-stream' },
      });
      if (inflight !== ctl) return;
      if (data.like === undefined) data.like = file.name;
      render(data, new Set(), 'like', file.name, path);
    } catch (e) {
      if (inflight === ctl) { failed(e); el.summary.textContent = ''; current = { kind: 'none' }; }
    } finally {
      if (inflight === ctl) { inflight = null; el.results.removeAttribute('aria-busy'); }
    }
  }

  function rerun() {
    if (current.kind === 'text') searchText();
    else if (current.kind === 'like') searchLike(current.file);
  }

  let debounce = 0;
  el.q.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => searchText(), 250);
  });
  el.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearTimeout(debounce);
    searchText();
  });
  el.path.addEventListener('change', () => {
    if (current.kind === 'none' && el.q.value.trim()) searchText();
    else rerun();
  });
  el.likeFile.addEventListener('change', () => {
    const f = el.likeFile.files && el.likeFile.files[0];
    if (f) searchLike(f);
    el.likeFile.value = '';
  });

  /* ---- player ---- */
  const MIME = {
    mp3: 'audio/mpeg', wav: 'audio/wav', wave: 'audio/wav', flac: 'audio/flac',
    ogg: 'audio/ogg', oga: 'audio/ogg', opus: 'audio/ogg; codecs=opus', spx: 'audio/ogg',
    m4a: 'audio/mp4', m4b: 'audio/mp4', aac: 'audio/aac', mp4: 'video/mp4', m4v: 'video/mp4',
    mov: 'video/quicktime', webm: 'audio/webm', weba: 'audio/webm', mkv: 'video/x-matroska',
    mka: 'audio/x-matroska', aif: 'audio/aiff', aiff: 'audio/aiff', wma: 'audio/x-ms-wma',
  };
  let playing = null;        // {fileId, start, end, name, path, wav}
  let pendingGo = null;      // the loadedmetadata handler of the latest load
  const needWav = new Set(); // file ids whose own format failed here

  function audioUrl(fileId, wav) {
    const q = [];
    if (wav) q.push('format=wav');
    if (token) q.push('token=' + encodeURIComponent(token));
    return '/api/audio/' + encodeURIComponent(fileId) + (q.length ? '?' + q.join('&') : '');
  }

  function load(wav) {
    const p = el.player;
    const start = playing.start;
    const want = audioUrl(playing.fileId, wav);
    playing.wav = wav;
    const go = () => {
      pendingGo = null;
      try { p.currentTime = start; } catch (e) { /* not seekable: plays from 0 */ }
      const pr = p.play();
      if (pr && pr.catch) pr.catch(() => { /* replaced, or the error event says why */ });
    };
    if (pendingGo) p.removeEventListener('loadedmetadata', pendingGo);
    if (p.getAttribute('src') === want && p.readyState >= 1) { pendingGo = null; go(); return; }
    pendingGo = go;
    p.setAttribute('src', want);
    p.addEventListener('loadedmetadata', go, { once: true });
    p.load();
  }

  function nowPlaying(verb) {
    el.nowPlaying.textContent = '';
    if (!playing) return;
    el.nowPlaying.appendChild(node('span', 'np-label', verb + ' '));
    const b = node('strong', null, playing.name);
    b.title = playing.path || '';
    el.nowPlaying.appendChild(b);
    el.nowPlaying.appendChild(document.createTextNode(
      ' · moment ' + clock(playing.start) + '–' + clock(playing.end)));
  }

  function play(r, m, momentEl) {
    const name = r.name || baseName(r.path);
    const ext = (/\.([A-Za-z0-9]+)$/.exec(name) || [])[1];
    const mime = ext ? MIME[ext.toLowerCase()] : '';
    const wav = !mime || el.player.canPlayType(mime) === '' || needWav.has(r.file_id);
    playing = { fileId: r.file_id, start: Number(m.start) || 0, end: Number(m.end) || 0, name, path: r.path };
    nowPlaying('Loading');
    showError('');
    load(wav);
    markPlaying(momentEl);
  }

  function markPlaying(momentEl) {
    for (const x of el.results.querySelectorAll('.moment.playing')) x.classList.remove('playing');
    if (!playing) return;
    const target = momentEl || [...el.results.querySelectorAll('.moment')].find((d) =>
      d.closest('.result').dataset.fileId === String(playing.fileId) && Number(d.dataset.start) === playing.start);
    if (target) target.classList.add('playing');
  }

  el.player.addEventListener('error', () => {
    if (!playing || !el.player.getAttribute('src')) return;
    if (!playing.wav) { needWav.add(playing.fileId); load(true); return; }
    nowPlaying('Could not play');
    showError('Could not play ' + playing.name + ': the browser cannot decode it, even as WAV.');
  });
  el.player.addEventListener('playing', () => nowPlaying('Playing'));
  el.player.addEventListener('pause', () => { if (!el.player.ended) nowPlaying('Paused'); });
  el.player.addEventListener('ended', () => nowPlaying('Finished'));

  function stopPlayback() {
    el.player.pause();
  }

  /* ---- keyboard ---- */
  const editable = (t) => t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  document.addEventListener('keydown', (ev) => {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === '/' && !editable(ev.target)) {
      ev.preventDefault();
      el.q.focus();
      el.q.select();
    } else if (ev.key === 'Escape') {
      if (!el.overlay.hidden) { el.overlay.hidden = true; dragDepth = 0; }
      if (!el.player.paused) { ev.preventDefault(); stopPlayback(); }
    }
  });
  function moveFocus(from, delta) {
    const btns = [...el.results.querySelectorAll('button.play')];
    if (!btns.length) return;
    const i = btns.indexOf(from);
    const next = i < 0 ? (delta > 0 ? 0 : btns.length - 1) : Math.min(btns.length - 1, Math.max(0, i + delta));
    btns[next].focus();
    btns[next].scrollIntoView({ block: 'nearest' });
  }
  el.results.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return;
    const t = ev.target.closest ? ev.target.closest('button.play') : null;
    if (!t) return;
    ev.preventDefault();
    moveFocus(t, ev.key === 'ArrowDown' ? 1 : -1);
  });
  el.q.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' && el.results.querySelector('button.play')) {
      ev.preventDefault();
      moveFocus(null, 1);
    }
  });

  /* ---- drag and drop anywhere ---- */
  let dragDepth = 0;
  const hasFiles = (ev) => ev.dataTransfer && [...(ev.dataTransfer.types || [])].includes('Files');
  window.addEventListener('dragenter', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    dragDepth++;
    el.overlay.hidden = false;
  });
  window.addEventListener('dragover', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('dragleave', (ev) => {
    if (!hasFiles(ev)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) el.overlay.hidden = true;
  });
  window.addEventListener('drop', (ev) => {
    if (!hasFiles(ev)) return;   // text dropped into the search box stays text
    ev.preventDefault();
    dragDepth = 0;
    el.overlay.hidden = true;
    const f = ev.dataTransfer.files && ev.dataTransfer.files[0];
    if (f) searchLike(f);
  });

  /* ---- status line and indexing panel ---- */
  let lastState = null, modeChosen = false, pollTimer = 0, statusBusy = false, indexMode = '';
  function modeNote() {
    el.modeNote.hidden = !indexMode || el.mode.value === indexMode;
  }
  el.mode.addEventListener('change', () => { modeChosen = true; modeNote(); });

  function renderStatus(st) {
    const m = st.models || {};
    el.status.textContent = '';
    const idx = node('strong', 'st-index', baseName(st.index));
    idx.title = st.index || '';
    el.status.appendChild(idx);
    const parts = [];
    if (m.mode) parts.push(['st-mode', cap(m.mode) + ' mode']);
    const files = Number(st.files) || 0;
    parts.push(['st-files', plural(files, 'file') +
      (st.files_failed ? ' (' + st.files_failed + ' failed)' : '')]);
    parts.push(['st-hours', hoursText(st.hours)]);
    if (m.text_describe) parts.push(['st-text', 'text: ' + m.text_describe]);
    if (m.bridge_describe) parts.push(['st-bridge', 'bridge: ' + m.bridge_describe]);
    if (m.asr) parts.push(['st-asr', 'speech: ' + m.asr]);
    for (const [cls, text] of parts) {
      el.status.appendChild(node('span', 'sep', ' · '));
      el.status.appendChild(node('span', cls, text));
    }
    el.status.dataset.files = files;
    const roots = Array.isArray(st.roots) ? st.roots : [];
    el.paths.placeholder = 'Empty: ' + (roots.length ? roots.join(', ')
      : 'the folders given to earshot serve');
    indexMode = m.mode || '';
    if (!modeChosen && (m.mode === 'lightweight' || m.mode === 'hybrid')) el.mode.value = m.mode;
    modeNote();
    if (!files && !el.details.open && lastState === null) el.details.open = true;
    renderIndexing(st.indexing || {}, st);
  }

  function renderIndexing(ix, st) {
    const state = ix.state || 'idle';
    const active = state === 'running' || state === 'stopping';
    el.start.disabled = active;
    el.stop.disabled = state !== 'running';
    el.badge.textContent = active ? state + '…' : '';
    const total = Number(ix.files_total) || 0, done = Number(ix.files_done) || 0;
    el.progress.max = 1;
    if (state === 'done') el.progress.value = 1;
    else if (active && !total) el.progress.removeAttribute('value');   // indeterminate
    else el.progress.value = total ? Math.min(1, done / total) : 0;
    const lines = [];
    const counts = total ? done + ' of ' + plural(total, 'file') : plural(done, 'file');
    const secs = Number(ix.seconds_done) || 0, secsTotal = Number(ix.seconds_total) || 0;
    const audio = secsTotal ? ' · ' + (state === 'done' ? span(secsTotal) : span(secs) + ' of ' + span(secsTotal)) + ' of audio' : '';
    const nfail = Number(ix.failed) || 0;
    const fails = nfail ? ' · ' + nfail + ' failed' : '';
    const where = (ix.paths || []).join(', ');
    if (state === 'idle') lines.push('No indexing run since the server started.');
    else if (state === 'running') {
      const eta = ix.eta_s === null || ix.eta_s === undefined ? 'estimating time left' : 'about ' + span(ix.eta_s) + ' left';
      lines.push('Indexing ' + counts + audio + fails + ' · ' + eta + '.');
      if (ix.last_file) lines.push('Last: ' + baseName(ix.last_file));
    } else if (state === 'stopping') lines.push('Stopping after the files in flight… ' + counts + fails + '.');
    else if (state === 'done') lines.push('Done: ' + counts + audio + fails + (ix.elapsed_s ? ' in ' + span(ix.elapsed_s) : '') + '.');
    else if (state === 'interrupted') lines.push('Stopped: ' + counts + fails + '. What was indexed stays; start again to resume.');
    else if (state === 'failed') lines.push('Indexing failed: ' + (ix.error || 'unknown error') + '.');
    else lines.push(cap(state) + ': ' + counts + fails + '.');
    if (where && state !== 'idle') lines.push('Paths: ' + where);
    el.indexText.textContent = '';
    lines.forEach((l, i) => { el.indexText.appendChild(node('div', i ? 'sub' : 'main', l)); });
    el.indexText.dataset.state = state;

    const errs = state === 'idle' ? (st && st.failed) || [] : ix.errors || [];
    el.indexErrors.textContent = '';
    if (errs.length) {
      const title = state === 'idle' ? 'Files the index could not read:' : 'Failed in this run:';
      el.indexErrors.appendChild(node('li', 'errs-title', title));
      for (const e of errs) {
        const li = node('li');
        const p = node('span', 'err-path', baseName(e.path));
        p.title = e.path || '';
        li.appendChild(p);
        li.appendChild(node('span', 'err-msg', ' — ' + (e.error || 'failed')));
        el.indexErrors.appendChild(li);
      }
    }
    const was = lastState;
    lastState = state;
    if ((was === 'running' || was === 'stopping') && !active) rerun();
    return active;
  }

  async function poll() {
    clearTimeout(pollTimer);
    if (statusBusy) return;
    statusBusy = true;
    let active = false;
    try {
      const st = await api('/api/status');
      renderStatus(st);
      active = lastState === 'running' || lastState === 'stopping';
      if (el.error.dataset.from === 'status') { showError(''); delete el.error.dataset.from; }
    } catch (e) {
      failed(e);
      el.error.dataset.from = 'status';
      if (e instanceof ApiError && e.status === 401) el.status.textContent = 'Locked: this server needs a token.';
      else el.status.textContent = 'The server is not answering.';
    } finally {
      statusBusy = false;
      pollTimer = setTimeout(poll, active ? 1000 : 10000);
    }
  }

  function indexPaths() {
    return el.paths.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
  }

  el.start.addEventListener('click', async () => {
    const body = { mode: el.mode.value };
    const paths = indexPaths();
    if (paths.length) body.paths = paths;
    if (el.retry.checked) body.retry_failed = true;
    el.start.disabled = true;
    try {
      const r = await api('/api/index', {
        method: 'POST', body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json' },
      });
      showError('');
      el.indexError.textContent = '';
      lastState = 'running';
      if (r && r.indexing) renderIndexing(r.indexing, null);
    } catch (e) {
      failed(e);
      el.indexError.textContent = e.message || String(e);
    }
    poll();
  });

  el.stop.addEventListener('click', async () => {
    el.stop.disabled = true;
    el.indexError.textContent = '';
    try { await api('/api/index', { method: 'DELETE' }); } catch (e) { failed(e); el.indexError.textContent = e.message || String(e); }
    poll();
  });

  // The printed address pasted into a tab that already shows the page.
  window.addEventListener('hashchange', () => {
    if (!readToken()) return;
    showError('');
    poll();
    rerun();
  });

  poll();
  if (el.q.value.trim()) searchText();   // a query restored by the browser
})();
