// The whole page: plain HTML, CSS and JavaScript, no build step and nothing
// loaded from elsewhere. The style and the script are inline so the page is one
// authorized response; the Content-Security-Policy admits exactly these two by hash.

const STYLE = String.raw`:root{color-scheme:light dark;--bg:#f5f6f8;--panel:#fff;--text:#1c2026;--muted:#5d6773;--border:#dadfe5;--accent:#2457d6;--ok:#1d7f3a;--bad:#c42b2b;--warn:#946200;--chip:#eceff3;--focus:#2457d6}
@media (prefers-color-scheme:dark){:root{--bg:#0e1115;--panel:#171b21;--text:#e5e8ec;--muted:#9aa4b0;--border:#2b3139;--accent:#82a6ff;--ok:#46c263;--bad:#ff6b66;--warn:#e0a82e;--chip:#232932;--focus:#82a6ff}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:8px 12px;padding:12px 20px;background:var(--panel);border-bottom:1px solid var(--border)}
h1{font-size:18px;margin:0 8px 0 0}
h2{font-size:15px;margin:0 0 10px}
main{max-width:1280px;margin:0 auto;padding:16px 20px 40px}
section{margin-bottom:22px}
.muted{color:var(--muted)}.small{font-size:12px;font-weight:400}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;background:var(--chip);font-size:12px;font-weight:600}
.pill.ok{color:var(--ok)}.pill.bad{color:var(--bad)}.pill.warn{color:var(--warn)}
.problem{padding:8px 12px;border:1px solid var(--bad);border-radius:6px;color:var(--bad);background:var(--panel)}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:8px;margin:0}
.stats div{background:var(--panel);border:1px solid var(--border);border-radius:8px;padding:8px 12px}
.stats dt{font-size:12px;color:var(--muted)}.stats dd{margin:0;font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
.types{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:10px}
.card{background:var(--panel);border:1px solid var(--border);border-radius:8px;padding:10px 12px}
.card h3{margin:0 0 6px;font-size:14px;display:flex;justify-content:space-between;align-items:center;gap:8px;overflow-wrap:anywhere}
.counts{display:grid;grid-template-columns:repeat(5,1fr);gap:4px;margin:0 0 8px}
.counts div{text-align:center}.counts dt{font-size:11px;color:var(--muted)}.counts dd{margin:0;font-size:16px;font-weight:600;font-variant-numeric:tabular-nums}
.counts .failed dd.nz{color:var(--bad)}
.chart svg{display:block;width:100%;height:44px}
.chart .c{fill:var(--ok)}.chart .f{fill:var(--bad)}.chart .base{stroke:var(--border)}
.legend{display:flex;flex-wrap:wrap;gap:2px 12px;font-size:12px;color:var(--muted);margin-top:4px}
.legend b{font-weight:600;color:var(--text)}
.legend>span{white-space:nowrap}.legend .since{margin-left:auto}
.dot{display:inline-block;width:8px;height:8px;border-radius:2px;margin-right:4px}.dot.c{background:var(--ok)}.dot.f{background:var(--bad)}
.section-head{display:flex;justify-content:space-between;align-items:baseline;gap:12px;flex-wrap:wrap}
.filter{font-size:13px;color:var(--muted)}
select,button{font:inherit;color:inherit}
select{background:var(--panel);border:1px solid var(--border);border-radius:6px;padding:3px 6px}
button{background:var(--panel);border:1px solid var(--border);border-radius:6px;padding:3px 10px;cursor:pointer;white-space:nowrap}
button:hover:not(:disabled){border-color:var(--accent);color:var(--accent)}
button:disabled{opacity:.5;cursor:default}
button.danger:hover:not(:disabled),button.confirm{border-color:var(--bad);color:var(--bad)}
:focus-visible{outline:2px solid var(--focus);outline-offset:2px}
.list{background:var(--panel);border:1px solid var(--border);border-radius:8px}
.row{display:grid;grid-template-columns:minmax(150px,1.1fr) minmax(200px,3fr) 200px auto;gap:4px 14px;align-items:start;padding:9px 12px;border-top:1px solid var(--border)}
.row:first-child{border-top:0}
.row .type{font-weight:600;overflow-wrap:anywhere}.row .id{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--muted);overflow-wrap:anywhere}
.row .error{color:var(--bad);overflow-wrap:anywhere;white-space:pre-wrap}
.row.schedule{grid-template-columns:minmax(150px,1.1fr) minmax(200px,3fr) 200px}
.row .when{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
.row .actions{display:flex;gap:6px;justify-content:flex-end}
.row details{grid-column:1/-1}.row pre{margin:4px 0 0;padding:6px 8px;background:var(--chip);border-radius:6px;overflow:auto;max-height:200px;font-size:12px}
.row .meta{white-space:nowrap;font-size:12px;color:var(--muted);font-variant-numeric:tabular-nums}
.list:empty{display:none}
.pager{display:flex;align-items:center;gap:10px;margin-top:8px}
.toast{position:fixed;bottom:16px;left:50%;transform:translateX(-50%);background:var(--text);color:var(--bg);padding:6px 14px;border-radius:6px;font-size:13px;opacity:0;transition:opacity .2s;pointer-events:none}
.toast.show{opacity:1}
@media (max-width:720px){
  .bar,main{padding-left:12px;padding-right:12px}
  .types{grid-template-columns:1fr}
  .row,.row.schedule{grid-template-columns:1fr}
  .row .actions{justify-content:flex-start}
}`;

const SCRIPT = String.raw`(function () {
  'use strict';
  var POLL_MS = 2000;
  var base = location.pathname.replace(/\/+$/, '') + '/';
  var $ = function (id) { return document.getElementById(id); };
  var view = { type: '', cursors: [], cursor: '' };
  var snapshot = null;
  var first = true;
  var timer = 0;

  function url(path, params) {
    var target = new URL(base + path, location.href);
    // The page's own query (a token, say) goes along, so what authorized the page authorizes its API.
    new URLSearchParams(location.search).forEach(function (value, key) { target.searchParams.set(key, value); });
    Object.keys(params || {}).forEach(function (key) { if (params[key]) target.searchParams.set(key, params[key]); });
    return target.pathname + target.search;
  }

  function api(path, params, method) {
    return fetch(url(path, params), {
      method: method || 'GET',
      headers: { 'X-Jobs-Dashboard': '1', Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store'
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) throw new Error(body.message || 'HTTP ' + response.status);
        return body;
      });
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function button(label, title, onClick, className) {
    var node = el('button', className, label);
    node.type = 'button';
    node.title = title;
    node.setAttribute('aria-label', title);
    node.addEventListener('click', onClick);
    return node;
  }

  /** Children keyed by data-key, created once and updated in place, so focus survives a refresh. */
  function reconcile(container, items, keyOf, create, update) {
    var existing = {};
    Array.prototype.forEach.call(container.children, function (child) { existing[child.dataset.key] = child; });
    items.forEach(function (item, index) {
      var key = keyOf(item);
      var node = existing[key];
      delete existing[key];
      if (!node) { node = create(item); node.dataset.key = key; }
      update(node, item);
      if (container.children[index] !== node) container.insertBefore(node, container.children[index] || null);
    });
    Object.keys(existing).forEach(function (key) { existing[key].remove(); });
  }

  function time(iso) {
    if (!iso) return '';
    var date = new Date(iso);
    var today = new Date().toDateString() === date.toDateString();
    return today ? date.toLocaleTimeString() : date.toLocaleString();
  }

  function number(value) { return Math.round(value).toLocaleString(); }

  var toastTimer = 0;
  function toast(message) {
    var node = $('toast');
    node.textContent = message;
    node.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { node.classList.remove('show'); }, 3000);
  }

  function act(path, done, node) {
    node.disabled = true;
    api(path, null, 'POST').then(function (body) {
      toast(done(body));
      refresh();
    }, function (error) {
      node.disabled = false;
      toast(error.message);
    });
  }

  function renderHealth(data) {
    var state = $('state');
    state.textContent = data.status.state;
    state.className = 'pill ' + (data.status.state === 'running' ? 'ok' : 'warn');
    var broker = $('broker');
    broker.hidden = !data.status.broker;
    if (data.status.broker) {
      broker.textContent = 'broker ' + data.status.broker.status;
      broker.className = 'pill ' + (data.status.broker.status === 'up' ? 'ok' : 'bad');
    }
    $('updated').textContent = 'updated ' + time(data.at);
    var m = data.metrics;
    var stats = [
      ['processed', number(m.processed), 'Completed by this process'],
      ['failed', number(m.failed), 'Failed for good in this process'],
      ['retried', number(m.retried + m.retriedManually), 'Retries scheduled, and failed jobs run again by hand'],
      ['active', m.active + ' / ' + m.workers, 'Attempts running / workers'],
      ['queued', number(m.waiting + m.delayed) + ' / ' + number(m.queueSize), 'Waiting and delayed / queue bound'],
      ['avg run', m.avgDurationMs < 1000 ? Math.round(m.avgDurationMs) + ' ms' : (m.avgDurationMs / 1000).toFixed(1) + ' s', 'Mean run time of completed jobs']
    ];
    if (m.stuck > 0) stats.push(['stuck', number(m.stuck), 'Attempts past their timeout that have not settled']);
    reconcile($('health'), stats, function (s) { return s[0]; }, function (s) {
      var item = el('div');
      item.title = s[2];
      item.appendChild(el('dt', '', s[0]));
      item.appendChild(el('dd'));
      return item;
    }, function (node, s) { node.lastChild.textContent = s[1]; });
  }

  function chart(completed, failed) {
    var n = completed.length;
    var max = 1;
    for (var i = 0; i < n; i++) max = Math.max(max, completed[i] + failed[i]);
    var w = 300 / n;
    var parts = ['<svg viewBox="0 0 300 44" preserveAspectRatio="none" role="img" aria-hidden="true">'];
    for (var j = 0; j < n; j++) {
      var hc = (completed[j] / max) * 42;
      var hf = (failed[j] / max) * 42;
      if (hc > 0) parts.push('<rect class="c" x="' + (j * w + 1).toFixed(1) + '" y="' + (43 - hc).toFixed(1) + '" width="' + (w - 2).toFixed(1) + '" height="' + hc.toFixed(1) + '"/>');
      if (hf > 0) parts.push('<rect class="f" x="' + (j * w + 1).toFixed(1) + '" y="' + (43 - hc - hf).toFixed(1) + '" width="' + (w - 2).toFixed(1) + '" height="' + hf.toFixed(1) + '"/>');
    }
    parts.push('<line class="base" x1="0" y1="43.5" x2="300" y2="43.5"/></svg>');
    return parts.join('');
  }

  function perMinute(values, bucketMs) {
    // The buckets of the last minute, the current one included.
    var count = Math.max(1, Math.round(60000 / bucketMs));
    var sum = 0;
    for (var i = Math.max(0, values.length - count); i < values.length; i++) sum += values[i];
    return sum;
  }

  var COUNTS = ['waiting', 'delayed', 'active', 'completed', 'failed'];

  function renderTypes(data) {
    $('no-types').hidden = data.types.length > 0;
    reconcile($('types'), data.types, function (t) { return t.type; }, function (t) {
      var card = el('article', 'card');
      var head = el('h3');
      head.appendChild(el('span', 'name', t.type));
      if (!data.readOnly) {
        head.appendChild(button('Retry failed', 'Retry all failed jobs of ' + t.type, function (event) {
          act('api/types/' + encodeURIComponent(t.type) + '/retry-failed', function (body) {
            return 'Retrying ' + body.retried + ' failed ' + t.type + ' job' + (body.retried === 1 ? '' : 's');
          }, event.currentTarget);
        }));
      }
      card.appendChild(head);
      var counts = el('dl', 'counts');
      COUNTS.forEach(function (name) {
        var cell = el('div', name);
        cell.appendChild(el('dt', '', name));
        cell.appendChild(el('dd'));
        counts.appendChild(cell);
      });
      card.appendChild(counts);
      card.appendChild(el('div', 'chart'));
      var legend = el('div', 'legend');
      legend.appendChild(el('span', 'rate-c'));
      legend.appendChild(el('span', 'rate-f'));
      legend.appendChild(el('span', 'since'));
      card.appendChild(legend);
      return card;
    }, function (card, t) {
      COUNTS.forEach(function (name, index) {
        var dd = card.querySelectorAll('.counts dd')[index];
        dd.textContent = number(t.counts[name]);
        dd.classList.toggle('nz', t.counts[name] > 0);
      });
      var retry = card.querySelector('h3 button');
      if (retry) {
        retry.disabled = t.counts.failed === 0;
        retry.textContent = t.counts.failed > 0 ? 'Retry ' + number(t.counts.failed) + ' failed' : 'Retry failed';
      }
      card.querySelector('.chart').innerHTML = chart(t.completed, t.failed);
      rate(card.querySelector('.rate-c'), 'c', 'completed', perMinute(t.completed, data.bucketMs));
      rate(card.querySelector('.rate-f'), 'f', 'failed', perMinute(t.failed, data.bucketMs));
      // Events are counted only while a page is open: say so while the chart is younger than its window.
      var since = new Date(data.ratesSince).getTime();
      var young = new Date(data.at).getTime() - since < t.completed.length * data.bucketMs;
      card.querySelector('.since').textContent = young ? 'since ' + time(data.ratesSince) : '';
    });
    var select = $('failed-type');
    var types = data.types.map(function (t) { return t.type; });
    if (select.options.length - 1 !== types.length || types.some(function (type, i) { return select.options[i + 1].value !== type; })) {
      var chosen = select.value;
      while (select.options.length > 1) select.remove(1);
      types.forEach(function (type) { select.add(new Option(type, type)); });
      select.value = types.indexOf(chosen) >= 0 ? chosen : '';
    }
  }

  function rate(node, kind, label, value) {
    node.textContent = '';
    node.appendChild(el('span', 'dot ' + kind));
    node.appendChild(el('b', '', number(value)));
    node.appendChild(document.createTextNode(' ' + label + '/min'));
  }

  function every(ms) {
    if (ms % 3600000 === 0) return 'every ' + ms / 3600000 + ' h';
    if (ms % 60000 === 0) return 'every ' + ms / 60000 + ' min';
    return 'every ' + ms / 1000 + ' s';
  }

  function renderSchedules(data) {
    $('no-schedules').hidden = data.schedules.length > 0;
    reconcile($('schedules'), data.schedules, function (s) { return s.key; }, function () {
      var row = el('div', 'row schedule');
      var who = el('div');
      who.appendChild(el('div', 'type'));
      who.appendChild(el('div', 'id'));
      row.appendChild(who);
      row.appendChild(el('div', 'when'));
      row.appendChild(el('div', 'meta'));
      return row;
    }, function (row, s) {
      row.querySelector('.type').textContent = s.type;
      row.querySelector('.id').textContent = s.key;
      row.querySelector('.when').textContent = s.cron ? s.cron + (s.timezone && s.timezone !== 'UTC' ? ' (' + s.timezone + ')' : ' (UTC)') : every(s.every);
      row.querySelector('.meta').textContent = 'next ' + time(s.next);
    });
  }

  function renderFailed(page, data) {
    $('no-failed').hidden = page.jobs.length > 0;
    reconcile($('failed'), page.jobs, function (j) { return j.id; }, function (job) {
      var row = el('div', 'row');
      row.setAttribute('role', 'group');
      row.setAttribute('aria-label', 'Failed job ' + job.id);
      var who = el('div');
      who.appendChild(el('div', 'type', job.type));
      who.appendChild(el('div', 'id', job.id));
      row.appendChild(who);
      row.appendChild(el('div', 'error', job.error || '(no message)'));
      row.appendChild(el('div', 'meta'));
      var actions = el('div', 'actions');
      if (!data.readOnly) {
        actions.appendChild(button('Retry', 'Retry job ' + job.id, function (event) {
          act('api/jobs/' + encodeURIComponent(job.id) + '/retry', function () { return 'Job ' + job.id + ' runs again'; }, event.currentTarget);
        }));
        actions.appendChild(button('Remove', 'Remove job ' + job.id, function (event) {
          var node = event.currentTarget;
          // Removing is final: the first click asks, a second one within 4 s removes.
          if (!node.classList.contains('confirm')) {
            node.classList.add('confirm');
            node.textContent = 'Remove?';
            setTimeout(function () { node.classList.remove('confirm'); node.textContent = 'Remove'; }, 4000);
            return;
          }
          act('api/jobs/' + encodeURIComponent(job.id) + '/remove', function () { return 'Job ' + job.id + ' removed'; }, node);
        }, 'danger'));
      }
      row.appendChild(actions);
      if ('payload' in job) {
        var details = el('details');
        details.appendChild(el('summary', 'muted', 'payload'));
        details.appendChild(el('pre', '', JSON.stringify(job.payload, null, 2)));
        row.appendChild(details);
      }
      return row;
    }, function (row, job) {
      row.querySelector('.meta').textContent =
        job.attemptsMade + ' attempt' + (job.attemptsMade === 1 ? '' : 's') + ' of ' + (job.maxRetries + 1) + ' · ' + time(job.finishedAt || job.createdAt);
    });
    $('newer').disabled = view.cursors.length === 0;
    $('older').disabled = !page.next;
    $('older').dataset.next = page.next || '';
    $('page-label').textContent = view.cursors.length > 0 ? 'page ' + (view.cursors.length + 1) : '';
    $('pager').hidden = view.cursors.length === 0 && !page.next;
  }

  function refresh() {
    clearTimeout(timer);
    var live = view.type === '' && view.cursor === '';
    var reads = [api('api/snapshot')];
    if (!live) reads.push(api('api/failed', { type: view.type, cursor: view.cursor }));
    return Promise.all(reads).then(function (results) {
      snapshot = results[0];
      $('problem').hidden = true;
      renderHealth(snapshot);
      renderTypes(snapshot);
      renderSchedules(snapshot);
      renderFailed(live ? snapshot.failed : results[1], snapshot);
      if (first) {
        first = false;
        document.body.dataset.firstDataMs = String(Math.round(performance.now()));
      }
      document.body.dataset.loaded = 'true';
    }, function (error) {
      $('problem').textContent = 'Could not update: ' + error.message;
      $('problem').hidden = false;
    }).then(schedule);
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { if (!document.hidden) refresh(); else schedule(); }, POLL_MS);
  }

  $('failed-type').addEventListener('change', function (event) {
    view = { type: event.target.value, cursors: [], cursor: '' };
    refresh();
  });
  $('older').addEventListener('click', function (event) {
    view.cursors.push(view.cursor);
    view.cursor = event.currentTarget.dataset.next;
    refresh();
  });
  $('newer').addEventListener('click', function () {
    view.cursors = [];
    view.cursor = '';
    refresh();
  });
  document.addEventListener('visibilitychange', function () { if (!document.hidden) refresh(); });
  refresh();
})();`;

const HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>Jobs</title>
<style>/*CSS*/</style>
</head>
<body>
<header class="bar">
  <h1>Jobs</h1>
  <span id="state" class="pill">connecting</span>
  <span id="broker" class="pill" hidden></span>
  <span id="updated" class="muted" aria-live="off"></span>
</header>
<main>
  <p id="problem" class="problem" role="alert" hidden></p>
  <section aria-labelledby="h-health">
    <h2 id="h-health" class="sr-only">Health</h2>
    <dl id="health" class="stats"></dl>
  </section>
  <section aria-labelledby="h-types">
    <h2 id="h-types">Job types <span class="muted small">jobs per state · completed and failed per 10 s, last 5 min</span></h2>
    <div id="types" class="types"></div>
    <p id="no-types" class="muted" hidden>No job types yet.</p>
  </section>
  <section id="schedules-section" aria-labelledby="h-schedules">
    <h2 id="h-schedules">Schedules</h2>
    <div id="schedules" class="list"></div>
    <p id="no-schedules" class="muted" hidden>No schedules.</p>
  </section>
  <section aria-labelledby="h-failed">
    <div class="section-head">
      <h2 id="h-failed">Failed jobs</h2>
      <label class="filter">Type <select id="failed-type"><option value="">all</option></select></label>
    </div>
    <div id="failed" class="list"></div>
    <p id="no-failed" class="muted" hidden>No failed jobs kept.</p>
    <nav id="pager" class="pager" aria-label="Failed jobs pages" hidden>
      <button type="button" id="newer" disabled>&larr; Newest</button>
      <span id="page-label" class="muted"></span>
      <button type="button" id="older" disabled>Older &rarr;</button>
    </nav>
  </section>
</main>
<div id="toast" class="toast" role="status" aria-live="polite"></div>
<script>/*JS*/</script>
</body>
</html>`;

/** The page `GET {path}` serves. */
export const DASHBOARD_PAGE = HTML.replace('/*CSS*/', () => STYLE).replace('/*JS*/', () => SCRIPT);

async function sha256(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return `'sha256-${Buffer.from(digest).toString('base64')}'`;
}

let csp: Promise<string> | undefined;

/** Its policy: nothing but its own style, its own script and requests to its own origin. */
export function dashboardCsp(): Promise<string> {
  csp ??= Promise.all([sha256(SCRIPT), sha256(STYLE)]).then(([script, style]) =>
    [
      "default-src 'none'",
      `script-src ${script}`,
      `style-src ${style}`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  return csp;
}
