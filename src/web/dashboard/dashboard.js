// The dashboard's script: fetches /api/domains, then for the chosen domain
// /api/summary, /api/timeline, /api/failures (received failure reports and
// the history's own DMARC failures) and /api/tls (SMTP TLS reports), and
// fills in index.html.
// Values come from other parties' reports: they go into the page as text only.
'use strict';

const $ = (id) => document.getElementById(id);

// location.origin, not a relative path: a page opened as http://user:token@host/
// has its credentials in its URL, and fetch refuses URLs that hold credentials
// (the browser sends the token it was given for the origin by itself).
async function api(path) {
  const response = await fetch(location.origin + path, { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) throw new Error(path + ': ' + response.status + ' ' + (await response.text()).trim());
  return response.json();
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

const passFail = (pf) => pf.pass + '/' + pf.fail;

function fillSummary(summary) {
  $('messages').textContent = summary.messages;
  $('dmarc-pass').textContent = summary.dmarc.pass;
  $('dmarc-fail').textContent = summary.dmarc.fail;
  $('since').textContent = new Date(summary.since * 1000).toISOString().slice(0, 10);
  $('failure-reports').textContent = summary.failure_reports;
  const r = summary.readiness;
  const verdict = $('verdict');
  if (summary.messages === 0) {
    verdict.textContent = 'no data';
    verdict.className = 'badge';
  } else if (r.reject_safe) {
    verdict.textContent = 'p=reject is safe';
    verdict.className = 'badge ready';
  } else if (r.quarantine_safe) {
    verdict.textContent = 'p=quarantine is safe, not p=reject yet';
    verdict.className = 'badge quarantine';
  } else {
    verdict.textContent = 'not ready';
    verdict.className = 'badge not-ready';
  }
  $('advice').textContent = r.advice;
  const body = $('sources').tBodies[0];
  body.replaceChildren();
  for (const s of summary.sources) {
    const row = body.insertRow();
    row.dataset.ip = s.ip;
    row.className = s.verdict;
    cell(row, s.ip, 'ip');
    cell(row, s.ptr, 'ptr');
    cell(row, s.reporters.join(', '), 'reporters');
    cell(row, s.messages, 'messages number');
    cell(row, passFail(s.spf), 'spf number');
    cell(row, passFail(s.dkim), 'dkim number');
    cell(row, passFail(s.dmarc), 'dmarc number');
    cell(row, Object.entries(s.disposition).map(([d, n]) => d + ' ' + n).join(', '), 'disposition');
    cell(row, s.verdict, 'verdict').title = s.why;
  }
}

const charts = {};
function drawChart(id, labels, datasets) {
  if (charts[id]) charts[id].destroy();
  charts[id] = new Chart($(id), {
    type: 'bar',
    data: { labels, datasets },
    options: { animation: false, responsive: true, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
}

const colours = { pass: '#2a7a2a', fail: '#b02a2a', none: '#888888', temperror: '#b07a00', permerror: '#6a2ab0' };

function fillTimeline(timeline) {
  drawChart('reports-chart', timeline.reports.map((d) => d.day), [
    { label: 'DMARC pass', data: timeline.reports.map((d) => d.pass), backgroundColor: colours.pass },
    { label: 'DMARC fail', data: timeline.reports.map((d) => d.fail), backgroundColor: colours.fail },
  ]);
  const results = [...new Set(timeline.history.flatMap((d) => Object.keys(d.results)))].sort();
  drawChart('history-chart', timeline.history.map((d) => d.day), results.map((result) => ({
    label: result,
    data: timeline.history.map((d) => d.results[result] || 0),
    backgroundColor: colours[result] || '#4a6a8a',
  })));
}

const utc = (time) => new Date(time * 1000).toISOString().replace('T', ' ').slice(0, 19);

// Fills table id with a row per item: columns maps a cell's class to its text;
// 'none recorded' when there is no item. rowData(item) sets data- attributes.
function fillTable(id, items, columns, rowData = () => ({})) {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  for (const item of items) {
    const row = body.insertRow();
    Object.assign(row.dataset, rowData(item));
    for (const [className, text] of Object.entries(columns)) cell(row, text(item), className);
  }
  if (items.length === 0) cell(body.insertRow(), 'none recorded', 'empty').colSpan = Object.keys(columns).length;
}

function fillFailures(failures) {
  fillTable('received-failures', failures.received, {
    time: (f) => utc(f.time),
    reporter: (f) => f.reporter,
    ip: (f) => f.source_ip,
    failed: (f) => f.auth_failure,
    from: (f) => f.header_from,
    mailfrom: (f) => f.envelope_from,
    delivery: (f) => f.delivery_result,
  });
  fillTable('failures', failures.history, {
    time: (f) => utc(f.time),
    ip: (f) => f.source_ip,
    from: (f) => f.header_from,
    mailfrom: (f) => f.envelope_from,
    spf: (f) => f.spf.result + (f.spf.domain ? ' (' + f.spf.domain + ')' : ''),
    dkim: (f) => f.dkim.map((d) => d.result + ' (' + d.domain + ')').join(', ') || 'none',
    policy: (f) => f.policy,
    disposition: (f) => f.disposition,
  });
}

function fillTls(tls) {
  fillTable('tls', tls.organizations, {
    organization: (o) => o.organization,
    'reports number': (o) => o.reports,
    'successful number': (o) => o.successful,
    'failed number': (o) => o.failed,
    types: (o) => Object.entries(o.result_types).map(([t, n]) => t + ' ' + n).join(', ') || 'none',
  }, (o) => ({ organization: o.organization }));
}

async function show() {
  const domain = $('domain').value;
  const days = $('days').value;
  document.body.dataset.state = 'loading';
  $('status').textContent = 'loading ' + domain + '…';
  $('status').className = '';
  const query = '?domain=' + encodeURIComponent(domain) + '&days=' + encodeURIComponent(days);
  try {
    const [summary, timeline, failures, tls] = await Promise.all([
      api('/api/summary' + query), api('/api/timeline' + query), api('/api/failures' + query),
      api('/api/tls' + query)]);
    fillSummary(summary);
    fillTimeline(timeline);
    fillFailures(failures);
    fillTls(tls);
    history.replaceState(null, '', '/dashboard' + query);
    $('status').textContent = summary.domain + ', last ' + days + ' days';
    document.body.dataset.state = 'ready';
  } catch (error) {
    $('status').textContent = String(error.message || error);
    $('status').className = 'error';
    document.body.dataset.state = 'error';
  }
}

async function start() {
  const params = new URLSearchParams(location.search);
  try {
    const { domains } = await api('/api/domains');
    const wanted = params.get('domain');
    if (wanted && !domains.includes(wanted)) domains.unshift(wanted);
    for (const d of domains) $('domain').add(new Option(d, d));
    if (wanted) $('domain').value = wanted;
    const days = params.get('days');
    if (days && ![...$('days').options].some((o) => o.value === days)) $('days').add(new Option(days, days));
    if (days) $('days').value = days;
  } catch (error) {
    $('status').textContent = String(error.message || error);
    $('status').className = 'error';
    document.body.dataset.state = 'error';
    return;
  }
  if ($('domain').options.length === 0) {
    $('status').textContent = 'no domains yet: configure [[sign.key]] or ingest reports (domainauth report ingest)';
    document.body.dataset.state = 'empty';
    return;
  }
  $('domain').addEventListener('change', show);
  $('days').addEventListener('change', show);
  show();
}

start();
