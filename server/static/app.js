// streamsql dashboard: lists the server's queries, submits SQL, and shows
// each query's latest result (table and bar chart) and its batch
// statistics, updated from the query's server-sent events. No libraries:
// the page must work with no network beyond the server.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const MAX_BATCHES = 120; // points in the batch chart
const MAX_BARS = 20;
const MAX_TABLE_ROWS = 500;

const views = new Map(); // query id -> view

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmt(v) {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
  if (Array.isArray(v)) return "[" + v.map(fmt).join(", ") + "]";
  return String(v);
}

function timeOf(s) {
  if (!s) return "";
  const d = new Date(s);
  return d.toISOString().replace("T", " ").replace(/\.000Z$|Z$/, "");
}

// A view is one query's card and what it has received.
class View {
  constructor(info) {
    this.id = info.id;
    const node = document.getElementById("query-template").content.firstElementChild.cloneNode(true);
    node.id = "q-" + info.id;
    node.dataset.id = info.id;
    this.node = node;
    this.$ = (sel) => node.querySelector(sel);
    this.$(".qid").textContent = "#" + info.id;
    this.$(".sql").textContent = info.sql;
    this.$(".sql").title = info.sql;
    this.columns = info.columns || [];
    this.batches = [];
    this.rowsIn = 0; this.rowsOut = 0; this.batchCount = 0; this.late = 0; this.malformed = 0;
    this.$(".stop").addEventListener("click", () => this.stop());
    document.getElementById("queries").prepend(node);
    this.update(info);
    this.load();
  }

  // load takes the query's snapshot, then follows its events from there.
  async load() {
    let from = 0;
    try {
      const r = await fetch("api/queries/" + this.id);
      if (r.ok) {
        const d = await r.json();
        from = d.last_event || 0;
        this.batches = (d.batches || []).map((b) => ({ proc: b.processing_ms, delay: b.scheduling_delay_ms }));
        this.update(d);
        if (d.last) this.showResult(d.last);
        this.drawLines();
      }
    } catch (e) { /* the event stream still works */ }
    if (this.ended) return;
    const es = new EventSource("api/queries/" + this.id + "/events?from=" + from);
    this.es = es;
    es.onmessage = (m) => this.onResult(JSON.parse(m.data));
    es.addEventListener("batch", (m) => this.onBatch(JSON.parse(m.data)));
    es.addEventListener("end", (m) => {
      const d = JSON.parse(m.data);
      this.setState(d.state, d.error);
      es.close();
    });
  }

  onBatch(ev) {
    this.rowsIn += ev.stats.rows_in;
    this.late += ev.stats.late;
    this.malformed += ev.stats.malformed;
    this.batchCount++;
    this.batches.push({ proc: ev.stats.processing_ms, delay: ev.stats.scheduling_delay_ms });
    if (this.batches.length > MAX_BATCHES) this.batches.shift();
    this.drawStats();
    this.drawLines();
  }

  onResult(ev) {
    this.rowsOut += ev.rows.length;
    this.onBatch(ev);
    this.showResult(ev);
  }

  // update takes the server's totals (from the listing or the snapshot).
  update(info) {
    const s = info.stats || {};
    this.rowsIn = Math.max(this.rowsIn, s.rows_in || 0);
    this.rowsOut = Math.max(this.rowsOut, s.rows_out || 0);
    this.batchCount = Math.max(this.batchCount, s.batches || 0);
    this.late = Math.max(this.late, s.late || 0);
    this.malformed = Math.max(this.malformed, s.malformed || 0);
    this.setState(info.state, info.error);
    this.drawStats();
  }

  setState(state, error) {
    const st = this.$(".state");
    st.textContent = state + (error ? ": " + error : "");
    st.className = "state " + state;
    this.ended = state !== "running" && state !== "stopping";
    this.$(".stop").textContent = this.ended ? "Remove" : "Stop";
  }

  drawStats() {
    this.$(".rows-in").textContent = this.rowsIn;
    this.$(".rows-out").textContent = this.rowsOut;
    this.$(".batches").textContent = this.batchCount;
    this.$(".late").textContent = this.late;
    this.$(".malformed").textContent = this.malformed;
  }

  showResult(ev) {
    const cols = ev.columns && ev.columns.length ? ev.columns : this.columns;
    this.$(".result-time").textContent = timeOf(ev.time) + (ev.final ? " (final)" : "");
    this.$(".window").textContent = ev.window ? "window " + timeOf(ev.window.start) + " – " + timeOf(ev.window.end) : "";
    const thead = this.$("table.result thead");
    const tbody = this.$("table.result tbody");
    const hr = el("tr");
    for (const c of cols) hr.append(el("th", {}, c));
    thead.replaceChildren(hr);
    const rows = [];
    for (const row of ev.rows.slice(0, MAX_TABLE_ROWS)) {
      const tr = el("tr");
      for (const v of row) tr.append(el("td", typeof v === "number" ? { class: "num" } : {}, fmt(v)));
      rows.push(tr);
    }
    tbody.replaceChildren(...rows);
    this.drawBars(cols, ev.rows);
  }

  // drawBars charts the first numeric column against the first other
  // column (or the row number), the largest MAX_BARS values.
  drawBars(cols, rows) {
    const svg = this.$("svg.bars");
    svg.replaceChildren();
    if (!rows.length) return;
    const first = rows[0];
    let vi = -1;
    for (let i = first.length - 1; i >= 0; i--) if (typeof first[i] === "number") { vi = i; break; }
    if (vi < 0) return;
    const li = first.findIndex((v, i) => i !== vi && typeof v !== "number");
    let data = rows.map((r, n) => ({ label: li >= 0 ? fmt(r[li]) : String(n + 1), value: Number(r[vi]) || 0 }));
    data.sort((a, b) => b.value - a.value);
    data = data.slice(0, MAX_BARS);
    const max = Math.max(...data.map((d) => d.value), 0) || 1;
    const W = 400, H = 220, left = 90, right = 40;
    const bh = (H - 10) / data.length;
    svg.append(el("svg:text", { x: left, y: H - 1, "text-anchor": "start", class: "muted" }, cols[vi] || ""));
    data.forEach((d, i) => {
      const y = 4 + i * bh;
      const w = Math.max(0, (d.value / max) * (W - left - right));
      svg.append(el("svg:text", { x: left - 4, y: y + bh * 0.7, "text-anchor": "end" }, d.label.slice(0, 14)));
      svg.append(el("svg:rect", { class: "bar", x: left, y: y + 1, width: w, height: Math.max(1, bh - 2) }));
      svg.append(el("svg:text", { x: left + w + 3, y: y + bh * 0.7 }, fmt(d.value)));
    });
  }

  // drawLines plots processing time and scheduling delay per batch.
  drawLines() {
    const svg = this.$("svg.lines");
    svg.replaceChildren();
    const W = 400, H = 160, pad = 14;
    const pts = this.batches;
    const max = Math.max(1, ...pts.map((p) => Math.max(p.proc, p.delay)));
    svg.append(el("svg:line", { class: "axis", x1: 0, y1: H - pad, x2: W, y2: H - pad }));
    svg.append(el("svg:text", { x: 2, y: 10 }, fmt(Math.round(max * 100) / 100) + " ms"));
    if (pts.length < 1) return;
    const x = (i) => (pts.length === 1 ? W / 2 : (i / (MAX_BATCHES - 1)) * W);
    const y = (v) => H - pad - (v / max) * (H - 2 * pad);
    for (const key of ["proc", "delay"]) {
      const d = pts.map((p, i) => (i ? "L" : "M") + x(i).toFixed(1) + " " + y(p[key]).toFixed(1)).join(" ");
      svg.append(el("svg:path", { class: key, d: d }));
    }
  }

  async stop() {
    const btn = this.$(".stop");
    btn.disabled = true;
    try {
      const r = await fetch("api/queries/" + this.id, { method: "DELETE" });
      if (r.ok) {
        const d = await r.json();
        if (d.deleted) this.remove(); else this.update(d);
      }
    } finally {
      btn.disabled = false;
    }
  }

  remove() {
    if (this.es) this.es.close();
    this.node.remove();
    views.delete(this.id);
    document.getElementById("empty").hidden = views.size > 0;
  }
}

async function refresh() {
  const conn = document.getElementById("conn");
  try {
    const r = await fetch("api/queries");
    if (r.status === 401) {
      // No token yet: the URL streamsql printed carries it (?token=...).
      conn.textContent = "not signed in: open the dashboard URL streamsql printed at start (it ends in ?token=...)";
      return;
    }
    const list = await r.json();
    conn.textContent = "";
    const seen = new Set();
    for (const info of list) {
      seen.add(info.id);
      const v = views.get(info.id);
      if (v) v.update(info); else views.set(info.id, new View(info));
    }
    for (const [id, v] of views) if (!seen.has(id)) v.remove();
    document.getElementById("empty").hidden = views.size > 0;
  } catch (e) {
    conn.textContent = "server unreachable";
  }
}

// refreshViews lists the materialized views, with who subscribes.
async function refreshViews() {
  try {
    const r = await fetch("api/views");
    if (!r.ok) return;
    const list = await r.json();
    const table = document.getElementById("views");
    const body = table.querySelector("tbody");
    body.replaceChildren();
    for (const v of list) {
      const tr = el("tr", { title: v.definition + (v.error ? "\n" + v.error : "") });
      for (const cell of [v.name, v.columns.join(", "), (v.key || []).join(", "), v.rows, timeOf(v.updated), v.query || "–", v.subscribers]) {
        tr.append(el("td", {}, fmt(cell)));
      }
      body.append(tr);
    }
    table.hidden = list.length === 0;
    document.getElementById("no-views").hidden = list.length > 0;
  } catch (e) {
    // refresh() reports an unreachable server.
  }
}

document.getElementById("query-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const errEl = document.getElementById("form-error");
  const outEl = document.getElementById("form-output");
  const sql = document.getElementById("sql").value;
  errEl.textContent = "";
  outEl.hidden = true;
  const r = await fetch("api/queries", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sql }),
  });
  const d = await r.json();
  if (!r.ok) {
    errEl.textContent = d.snippet ? d.error + "\n" + d.snippet : d.error;
    return;
  }
  if (d.output) {
    outEl.textContent = d.output;
    outEl.hidden = false;
  }
  await refresh();
});

refresh();
refreshViews();
setInterval(() => { refresh(); refreshViews(); }, 2000);
