// kore-mock QA console: plain JavaScript over the control API (/__mock__/…), no build step.
"use strict";

const API = "/__mock__";
const DEFAULT_STREAM = "st-7dc994f0-4436-5134-9fa8-a94262500001";
const OPERATIONS = [
  "importContacts", "createContacts", "listContacts", "updateContact",
  "bulkUpdateContacts", "deleteContact", "bulkDeleteContacts",
];
const PAGE_SIZE = 25;
const JOURNAL_SHOWN = 200; // the newest entries the journal tab lists
const NAMESPACES_SHOWN = 100; // the namespace list shows this many; the filter box finds the rest
const TOKEN_KEY = "kore-mock-admin-token";

const $ = (selector) => document.querySelector(selector);
// journalBefore: the page of the journal on show (entries older than that id; null: the newest)
const state = { skip: 0, total: 0, journalTimer: null, journalBefore: null, faults: {}, namespaces: [] };

// -- small helpers ----------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fillTable(table, rows, emptyText) {
  const body = table.querySelector("tbody");
  body.replaceChildren();
  if (!rows.length) {
    const columns = table.querySelectorAll("thead th").length;
    body.append(el("tr", {}, el("td", { class: "empty", colspan: columns, text: emptyText })));
    return;
  }
  body.append(...rows);
}

function toast(message, isError = false) {
  const box = $("#toast");
  box.textContent = message;
  box.className = "toast" + (isError ? " error" : "");
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, isError ? 7000 : 3500);
}

function statusBadge(status) {
  const kind = status === 0 ? "s0" : `s${String(status)[0]}xx`;
  return el("span", { class: `badge ${kind}`, text: status === 0 ? "dropped" : status });
}

function namespace() {
  return { account: $("#ns-account").value.trim().toLowerCase(), stream: $("#ns-stream").value.trim() };
}

function nsPath() {
  const ns = namespace();
  return `${API}/namespaces/${encodeURIComponent(ns.account)}/${encodeURIComponent(ns.stream)}`;
}

// Why a browser cannot send ``token`` in the header X-Mock-Admin-Token; null if it can. The
// server's rule (settings.admin_token_problem): printable ASCII without leading or trailing
// blanks; a server never holds any other token, and fetch refuses a header beyond Latin-1.
function tokenProblem(token) {
  if (!token.trim()) return "it is blank";
  const names = { "\n": "a newline", "\r": "a carriage return", "\t": "a tab" };
  for (const char of token) {
    const code = char.codePointAt(0);
    if (code > 0x7f) return `it holds the non-ASCII character “${char}”, which not every client can send`;
    if (code < 0x20 || code === 0x7f) {
      return `it holds ${names[char] || `the control character U+${code.toString(16).toUpperCase().padStart(4, "0")}`}, which a header cannot carry`;
    }
  }
  if (token !== token.trim()) return "it has leading or trailing blanks, which a header's value loses";
  return null;
}

function showTokenBar(message) {
  $("#token-bar").hidden = false;
  $("#admin-token").focus();
  const note = $("#token-error");
  note.textContent = message || "";
  note.hidden = !message;
}

class ApiError extends Error {
  constructor(status, body) {
    const msg = body && body.errors ? body.errors.map((e) => e.msg).join("; ") : `HTTP ${status}`;
    super(msg);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body, { raw = false, allow = [] } = {}) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers["X-Mock-Admin-Token"] = token;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path.replace(API, ""), { method, headers, body: payload });
  } catch (error) {
    // a token fetch cannot send (stored before it was checked): forget it and ask again
    if (token && error instanceof TypeError && (tokenProblem(token) || /header/i.test(error.message))) {
      sessionStorage.removeItem(TOKEN_KEY);
      const why = `The admin token cannot be sent in a header: ${tokenProblem(token) || error.message}. Enter it again.`;
      showTokenBar(why);
      throw new Error(why);
    }
    if (error instanceof TypeError) {  // fetch's own words: "Failed to fetch"
      throw new Error(`The server at ${location.origin} does not answer (stopped, or restarted on another port?)`);
    }
    throw error;
  }
  if (raw && response.ok) return response;
  const type = response.headers.get("Content-Type") || "";
  const parsed = type.startsWith("application/json") ? await response.json() : await response.text();
  if (!response.ok && !allow.includes(response.status)) {
    const failure = new ApiError(response.status, parsed);
    if (response.status === 403) showTokenBar(failure.message);
    throw failure;
  }
  return parsed;
}

function guarded(action) {
  return async (event) => {
    if (event) event.preventDefault();
    try {
      await action(event);
    } catch (error) {
      toast(error.message || String(error), true);
    }
  };
}

// -- tabs -------------------------------------------------------------------------------------

function tabLoaders() {
  return { contacts: loadContactsTab, journal: loadJournal, shadow: loadShadow, faults: loadFaultsTab, settings: loadSettingsTab };
}

function showTab(name) {
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.tab === name);
  for (const panel of document.querySelectorAll(".panel")) panel.classList.toggle("active", panel.id === `tab-${name}`);
  const loader = tabLoaders()[name];
  if (loader) guarded(loader)();
}

async function loadActiveTab() {
  const loader = tabLoaders()[document.querySelector(".tab.active").dataset.tab];
  if (loader) await loader();
}

// -- contacts ---------------------------------------------------------------------------------

async function loadContactsTab() {
  await Promise.all([loadNamespaces(), loadContacts()]);
}

async function loadNamespaces() {
  state.namespaces = (await api("GET", "/namespaces")).namespaces;
  showNamespaces();
}

// The namespaces the filter box matches (stream or account contains it), the first
// NAMESPACES_SHOWN of them: a shared server may hold thousands.
function showNamespaces() {
  const current = namespace();
  const wanted = $("#ns-filter").value.trim().toLowerCase();
  const matching = wanted
    ? state.namespaces.filter((ns) => ns.streamId.toLowerCase().includes(wanted) || ns.accountId.includes(wanted))
    : state.namespaces;
  const items = matching.slice(0, NAMESPACES_SHOWN).map((ns) => el("li", {
    class: ns.accountId === current.account && ns.streamId === current.stream ? "current" : "",
    onclick: () => { $("#ns-account").value = ns.accountId; $("#ns-stream").value = ns.streamId; state.skip = 0; loadContactsTab(); },
  },
  el("div", { class: "ids" }, el("div", { class: "mono", text: ns.streamId }), el("div", { class: "muted mono", text: ns.accountId })),
  el("div", {}, el("span", { class: "badge s2xx", text: `${ns.active} active` }), ns.inactive ? el("div", { class: "muted", text: `${ns.inactive} deleted` }) : null)));
  const list = $("#ns-list");
  list.replaceChildren(...items);
  const more = matching.length - items.length;
  if (more > 0) list.append(el("li", { class: "muted more", text: `${more.toLocaleString("en")} more — type to filter` }));
  if (!state.namespaces.length) list.append(el("li", { class: "muted", text: "No contacts stored yet." }));
  else if (!matching.length) list.append(el("li", { class: "muted", text: "No namespace matches the filter." }));
}

async function loadContacts() {
  const query = new URLSearchParams({ status: $("#search-status").value, skip: state.skip, limit: PAGE_SIZE });
  const text = $("#search-text").value.trim();
  if (text) query.set("q", text);
  let page;
  try {
    page = await api("GET", `${nsPath()}/contacts?${query}`);
  } catch (error) {
    // no rows or pager of an earlier namespace or search under boxes that name another
    fillTable($("#contacts-table"), [], `Nothing shown: ${error.message}`);
    $("#page-info").textContent = "";
    $("#page-prev").disabled = $("#page-next").disabled = true;
    throw error;
  }
  if (state.skip > 0 && state.skip >= page.total) {
    // past the end (contacts removed, another namespace): the last page, or the first if none
    state.skip = page.total ? Math.floor((page.total - 1) / PAGE_SIZE) * PAGE_SIZE : 0;
    if (page.total) return loadContacts();
  }
  state.total = page.total;
  fillTable($("#contacts-table"), page.results.map((c) => el("tr", {},
    el("td", { text: c.fullName }),
    el("td", { class: "mono nowrap", text: c.cellPhone.phoneNumber }),
    el("td", { text: c.salutation }),
    el("td", { class: "mono", text: c.cellPhone.extension }),
    el("td", {}, el("span", { class: `badge ${c.status === "ACTIVE" ? "s2xx" : "s4xx"}`, text: c.status })),
    el("td", { class: "mono muted nowrap", text: c.id }),
    el("td", { class: "muted nowrap", text: c.createdAt.replace("T", " ").replace("Z", "") }))),
  "No contacts match.");
  $("#page-info").textContent = page.total
    ? `${state.skip + 1}–${state.skip + page.results.length} of ${page.total}`
    : "0 of 0";
  $("#page-prev").disabled = state.skip === 0;
  $("#page-next").disabled = state.skip + page.results.length >= page.total;
}

async function download(format) {
  const response = await api("GET", `${nsPath()}/export?format=${format}`, undefined, { raw: true });
  const blob = await response.blob();
  const link = el("a", { href: URL.createObjectURL(blob), download: `${namespace().stream}.${format}` });
  document.body.append(link);
  link.click();
  link.remove();
}

// -- upload -----------------------------------------------------------------------------------

async function upload() {
  const file = $("#upload-file").files[0];
  if (!file) throw new Error("Choose a CSV file first");
  const legacy = $("#upload-legacy").checked;
  const form = new FormData();
  form.append("file", file);
  $("#upload-button").disabled = true;
  try {
    let result;
    try {
      result = await api("POST", `${nsPath()}/seed${legacy ? "?legacyDuplicates=true" : ""}`, form, { allow: [400, 413] });
    } catch (error) {  // the last file's result is not this one's
      showUploadError(file.name, [{ msg: error.message }]);
      throw error;
    }
    if (result.errors) return showUploadError(file.name, result.errors);
    showUploadResult(file.name, result);
  } finally {
    $("#upload-button").disabled = false;
  }
}

function showUploadError(name, errors) {
  const box = $("#upload-summary");
  box.hidden = false;
  box.className = "summary error";
  box.textContent = `${name}: nothing was stored — ${errors.map((e) => e.msg).join("; ")}`;
  fillTable($("#created-table"), [], "Nothing created.");
  fillTable($("#refused-table"), [], "The file as a whole was refused.");
  $("#created-count").textContent = "0";
  $("#refused-count").textContent = "0";
}

function showUploadResult(name, result) {
  const refusedRows = new Set(result.rejected.map((r) => r.row));
  const rowNumbers = [];
  const allRefusedListed = result.rejected.length === result.rejectedCount;
  for (let row = 1; allRefusedListed && rowNumbers.length < result.created.length; row += 1) {
    if (!refusedRows.has(row)) rowNumbers.push(row);
  }
  const box = $("#upload-summary");
  box.hidden = false;
  box.className = "summary";
  const legacy = result.legacyDuplicates ? " as legacy duplicates (rule bypassed)" : "";
  box.textContent = `${name} → ${namespace().stream}${legacy}: ${result.createdCount} created, ${result.rejectedCount} refused.`
    + (result.truncated ? " (lists show the first 1,000 of each)" : "");
  $("#created-count").textContent = result.createdCount;
  $("#refused-count").textContent = result.rejectedCount;
  fillTable($("#created-table"), result.created.map((c, i) => el("tr", {},
    el("td", { text: rowNumbers[i] ?? "" }),
    el("td", { text: c.fullName }),
    el("td", { class: "mono", text: c.cellPhone.phoneNumber }),
    el("td", { class: "mono muted", text: c.id }))), "Nothing created.");
  fillTable($("#refused-table"), result.rejected.map((r) => el("tr", {},
    el("td", { text: r.row ?? "" }),
    el("td", {}, el("span", { class: `badge reason ${r.reason}`, text: r.reason })),
    el("td", { class: "mono", text: r.field ?? "" }),
    el("td", { class: "mono", text: r.number ?? "" }),
    el("td", { text: r.msg }))), "No row was refused.");
}

// -- journal ----------------------------------------------------------------------------------

function journalFilter() {
  const filter = {};
  if ($("#journal-operation").value) filter.operation = $("#journal-operation").value;
  if ($("#journal-status").value !== "") filter.status = Number($("#journal-status").value);
  if ($("#journal-since").value.trim()) filter.since = $("#journal-since").value.trim();
  return filter;
}

// A failed query leaves no answer of an earlier filter on show (rows or count).
function clearJournal(why) {
  fillTable($("#journal-table"), [], `Nothing shown: ${why}`);
  $("#journal-count-result").textContent = "";
  $("#journal-detail").hidden = true;
  $("#journal-shown").textContent = "";
  $("#journal-older").hidden = true;
}

async function loadJournal() {
  const page = state.journalBefore === null ? {} : { beforeId: state.journalBefore };
  const query = new URLSearchParams({ ...journalFilter(), ...page, limit: JOURNAL_SHOWN });
  let entries;
  try {
    ({ entries } = await api("GET", `/journal?${query}`));
  } catch (error) {
    clearJournal(error.message);
    throw error;
  }
  const detail = $("#journal-detail");
  if (!detail.hidden && !entries.some((e) => String(e.id) === detail.dataset.id)) detail.hidden = true;
  fillTable($("#journal-table"), entries.map((e) => el("tr", {
    "data-id": e.id,
    class: String(e.id) === detail.dataset.id && !detail.hidden ? "selected" : "",
    tabindex: 0,
    onclick: (ev) => showEntry(e.id, ev.currentTarget),
    onkeydown: (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); showEntry(e.id, ev.currentTarget); } },
  },
    el("td", { class: "muted", text: e.id }),
    el("td", { class: "mono nowrap", text: e.at.replace("T", " ").replace("Z", "") }),
    el("td", { text: e.method }),
    el("td", { text: e.operation || e.path }),
    el("td", {}, statusBadge(e.status)),
    el("td", { class: "mono", text: (e.latencyMs ?? 0).toFixed(1) }),
    el("td", { text: e.rejectedCount ?? "" }),
    el("td", {}, faultTag(e)),
    el("td", { class: "muted", text: e.caller || "" }))),
  Object.keys(journalFilter()).length ? "No request matches the filter." : "No requests yet. Call the vendor API and refresh.");
  const more = entries.length === JOURNAL_SHOWN;
  const older = state.journalBefore !== null;
  $("#journal-older").hidden = !more;
  $("#journal-older").dataset.before = more ? String(entries[entries.length - 1].id) : "";
  $("#journal-newest").hidden = !older;
  $("#journal-shown").textContent = !entries.length ? ""
    : `${older ? "Older entries" : "The newest"}: #${entries[0].id} to #${entries[entries.length - 1].id}`
      + (more ? `, ${JOURNAL_SHOWN} a page.` : ".");
}

// A page of older entries, or back to the newest; a new filter starts from the newest.
function journalPage(before) {
  state.journalBefore = before;
  return loadJournal();
}

function faultTag(entry) {
  if (entry.rateLimited) return el("span", { class: "badge s4xx", text: "rate limited" });
  if (!entry.fault) return "";
  const parts = [];
  if (entry.fault.latencyMs) parts.push(`+${entry.fault.latencyMs} ms`);
  if (entry.fault.errorStatus) parts.push(`error ${entry.fault.errorStatus}`);
  if (entry.fault.dropConnection) parts.push("dropped");
  if (entry.fault.trickle) parts.push(`trickled over ${entry.fault.trickle.totalMs} ms`);
  if (!parts.length) parts.push("injected");
  return el("span", { class: "badge s0", text: `fault: ${parts.join(", ")}` });
}

async function showEntry(id, row) {
  for (const r of document.querySelectorAll("#journal-table tr.selected")) r.classList.remove("selected");
  if (row) row.classList.add("selected");
  const entry = await api("GET", `/journal/${id}`);
  $("#journal-detail").hidden = false;
  $("#journal-detail").dataset.id = String(entry.id);
  $("#journal-detail-title").textContent = `#${entry.id} ${entry.method} ${entry.path}${entry.query ? "?" + entry.query : ""} → ${entry.status === 0 ? "connection dropped" : entry.status}`;
  const report = entry.report || [];
  $("#journal-report").hidden = !report.length;
  fillTable($("#journal-report"), report.map((r) => el("tr", {},
    el("td", { text: r.row ?? r.id ?? "" }),
    el("td", {}, el("span", { class: `badge reason ${r.reason}`, text: r.reason })),
    el("td", { class: "mono", text: r.field ?? "" }),
    el("td", { class: "mono", text: r.number ?? "" }),
    el("td", { class: "mono muted", text: r.holderId ?? "" }),
    el("td", { text: r.msg }))), "");
  $("#journal-report-cut").textContent = entry.reportTruncated
    ? `The journal keeps the first ${report.length.toLocaleString()} rows of the ${entry.rejectedCount.toLocaleString()} refused.` : "";
  $("#journal-json").textContent = JSON.stringify(entry, null, 2);
  $("#journal-detail").scrollIntoView({ block: "start" });
}

async function countJournal() {
  $("#journal-count-result").textContent = "";
  let result;
  try {
    result = await api("POST", "/journal/verify", journalFilter());
  } catch (error) {
    clearJournal(error.message);
    throw error;
  }
  $("#journal-count-result").textContent = `${result.count} matching request(s)`;
}

// -- shadow (kore-mock proxy) -----------------------------------------------------------------

function shown(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

async function loadShadow() {
  const query = new URLSearchParams({ limit: 500 });
  if ($("#shadow-differing").checked) query.set("differing", "true");
  const shadow = await api("GET", `/shadow?${query}`);
  $("#shadow-summary").textContent = shadow.upstream
    ? `${shadow.exchanges} exchange(s) with ${shadow.upstream}, ${shadow.differing} differing.`
    : "This server is not a shadowing proxy: start `kore-mock proxy --upstream URL` to compare a real tenant's answers with the mock's.";
  fillTable($("#shadow-table"), shadow.items.map((item) => el("tr", {
    "data-seq": item.seq,
    class: item.differences.length ? "differs" : "",
    onclick: (ev) => showExchange(item, ev.currentTarget),
  },
    el("td", { class: "muted", text: item.seq }),
    el("td", { class: "mono", text: item.at.replace("T", " ").replace("Z", "") }),
    el("td", { text: item.method }),
    el("td", { text: item.operation || item.path }),
    el("td", {}, statusBadge(item.upstream.status)),
    el("td", {}, item.mock.applied === false ? el("span", { class: "muted", text: "not applied" }) : statusBadge(item.mock.status)),
    el("td", {}, item.differences.length
      ? el("span", { class: "badge s4xx", text: `${item.differences.length} difference(s)` })
      : notCompared(item) ? el("span", { class: "badge s0", text: "not compared" })
        : el("span", { class: "badge s2xx", text: "alike" })),
    el("td", { class: "muted", text: item.journalId ?? "" }))),
  shadow.upstream ? "No exchanges yet. Send requests to this proxy and refresh." : "");
}

// the upstream did not answer, or the mock was not given the request: nothing was compared
function notCompared(item) {
  return item.mock.applied === false || item.upstream.status === 0;
}

function exchangeSide(status, applied = true) {
  if (!applied) return "not applied";
  return status === 0 ? "dropped" : String(status);
}

function showExchange(item, row) {
  for (const r of document.querySelectorAll("#shadow-table tr.selected")) r.classList.remove("selected");
  if (row) row.classList.add("selected");
  $("#shadow-detail").hidden = false;
  $("#shadow-detail-title").textContent = `#${item.seq} ${item.method} ${item.path}: upstream ${exchangeSide(item.upstream.status)}, mock ${exchangeSide(item.mock.status, item.mock.applied !== false)}`;
  $("#shadow-note").textContent = item.note || "";
  fillTable($("#shadow-differences"), item.differences.map((d) => el("tr", {},
    el("td", { class: "mono", text: d.path }),
    el("td", { class: "mono", text: shown(d.upstream) }),
    el("td", { class: "mono", text: shown(d.mock) }))),
  notCompared(item) ? "Nothing was compared." : "The two answers are alike (ids, timestamps and audit ids normalised).");
  $("#shadow-detail").scrollIntoView({ block: "start" });
}

// -- faults and rate limit --------------------------------------------------------------------

function numberInput(value, attrs = {}) {
  return el("input", { type: "number", min: 0, value: value ?? "", ...attrs });
}

function faultSummary(fault) {
  if (!fault) return el("span", { class: "pill off", text: "off" });
  const parts = [];
  if (fault.latencyMaxMs !== undefined) parts.push(`${fault.latencyMs}–${fault.latencyMaxMs} ms`);
  else if (fault.latencyMs) parts.push(`${fault.latencyMs} ms`);
  const logNormal = fault.latencyLogNormal;
  if (logNormal) parts.push(`log-normal median ${logNormal.medianMs} ms sigma ${logNormal.sigma}`);
  if (fault.trickle) parts.push(`trickle ${fault.trickle.totalMs} ms in ${fault.trickle.chunks}`);
  if (fault.errorStatus) parts.push(`${fault.errorStatus} @ ${Math.round(fault.errorRate * 100)}%`);
  if (fault.dropConnection) parts.push(`drop @ ${Math.round(fault.dropRate * 100)}%`);
  return el("span", { class: "pill on", text: `on: ${parts.join(", ")}` });
}

// The fields of a fault the form's inputs set; Switch on starts from the fault in force and
// overwrites only these, so what was set through the API (log-normal latency, trickle, an error
// message, a drop rate) stays unless its "keep" box is unticked.
const FAULT_FORM_FIELDS = ["latencyMs", "latencyMaxMs", "errorStatus", "errorRate", "dropConnection"];

function keptFaultFields(fault) {
  const kept = [];
  for (const [field, value] of Object.entries(fault || {})) {
    if (FAULT_FORM_FIELDS.includes(field)) continue;
    if (field === "dropRate") {
      if (fault.dropConnection && value !== 1) kept.push([field, `drop rate ${Math.round(value * 100)}% (while Drop connection is ticked)`]);
    } else if (field === "latencyLogNormal") {
      const max = value.maxMs !== undefined ? ` max ${value.maxMs} ms` : "";
      kept.push([field, `log-normal latency median ${value.medianMs} ms sigma ${value.sigma}${max}`]);
    } else if (field === "trickle") {
      kept.push([field, `trickle ${value.totalMs} ms in ${value.chunks}`]);
    } else if (field === "errorMessage") {
      kept.push([field, `error message “${value}” (while an error status is set)`]);
    } else {
      kept.push([field, `${field} ${JSON.stringify(value)}`]);
    }
  }
  return kept;
}

function keptFaultBoxes(op, fault) {
  return keptFaultFields(fault).map(([field, text]) => el("label", { class: "check inline kept" },
    el("input", { type: "checkbox", checked: "checked", "data-field": field, "aria-label": `${op} keep ${field}` }),
    `keep ${text}`));
}

async function loadFaultsTab() {
  const [{ faults }, settings, profile] = await Promise.all([
    api("GET", "/faults"), api("GET", "/settings"), api("GET", "/profile")]);
  state.faults = faults;
  state.rateLimitScope = profile.readings.find((r) => r.name === "rateLimitScope")?.value;
  const rows = ["*", ...OPERATIONS].map((op) => {
    const f = faults[op] || {};
    const inputs = {
      latency: numberInput(f.latencyMs, { max: 60000, "aria-label": `${op} latency` }),
      latencyMax: numberInput(f.latencyMaxMs, { max: 60000, "aria-label": `${op} max latency` }),
      status: numberInput(f.errorStatus, { min: 400, max: 599, placeholder: "e.g. 503", "aria-label": `${op} error status` }),
      rate: numberInput(f.errorRate !== undefined ? Math.round(f.errorRate * 100) : 100, { max: 100, "aria-label": `${op} error rate` }),
      drop: el("input", { type: "checkbox", "aria-label": `${op} drop connection`, checked: f.dropConnection ? "checked" : null }),
      kept: keptFaultBoxes(op, faults[op]),
    };
    const kept = inputs.kept.length
      ? el("div", { class: "kept-fields", title: "Set through the API; Switch on keeps the ticked ones" }, ...inputs.kept)
      : null;
    return el("tr", { "data-operation": op },
      el("td", { class: "mono", text: op === "*" ? "* (every operation)" : op }),
      el("td", {}, inputs.latency), el("td", {}, inputs.latencyMax), el("td", {}, inputs.status),
      el("td", {}, inputs.rate), el("td", {}, inputs.drop),
      el("td", { class: "fault-state" }, faultSummary(faults[op]), kept),
      el("td", {}, el("div", { class: "actions" },
        el("button", { class: "primary small switch-on", onclick: guarded(() => switchFaultOn(op, inputs)) }, "Switch on"),
        el("button", { class: "small switch-off", disabled: faults[op] ? null : "disabled", onclick: guarded(() => switchFaultOff(op)) }, "Off"))));
  });
  fillTable($("#faults-table"), rows, "");
  showRateLimit(settings.rateLimit);
}

async function switchFaultOn(op, inputs) {
  const inForce = state.faults[op] || {};
  const fault = { ...inForce };
  for (const field of FAULT_FORM_FIELDS) delete fault[field];
  for (const label of inputs.kept) {
    const box = label.querySelector("input");
    if (!box.checked) delete fault[box.dataset.field];
  }
  if (inputs.latency.value !== "") fault.latencyMs = Number(inputs.latency.value);
  if (inputs.latencyMax.value !== "") {
    fault.latencyMaxMs = Number(inputs.latencyMax.value);
    fault.latencyMs = fault.latencyMs || 0;
  }
  if (inputs.status.value !== "") {
    fault.errorStatus = Number(inputs.status.value);
    const percent = Number(inputs.rate.value || 100);
    // the box shows a whole percent: an unchanged box keeps a finer rate set through the API
    const unchanged = inForce.errorRate !== undefined && percent === Math.round(inForce.errorRate * 100);
    fault.errorRate = unchanged ? inForce.errorRate : percent / 100;
  } else {
    delete fault.errorMessage; // no error, no message
  }
  if (inputs.drop.checked) fault.dropConnection = true;
  else delete fault.dropRate;
  if (fault.latencyMs === 0 && fault.latencyMaxMs === undefined) delete fault.latencyMs;
  await api("PUT", `/faults/${encodeURIComponent(op)}`, fault);
  toast(`Fault on for ${op === "*" ? "every operation" : op}`);
  await loadFaultsTab();
}

async function switchFaultOff(op) {
  await api("DELETE", `/faults/${encodeURIComponent(op)}`);
  toast(`Fault off for ${op === "*" ? "every operation" : op}`);
  await loadFaultsTab();
}

function showRateLimit(limit, { keepTyped = false } = {}) {
  $("#rate-enabled").checked = limit.enabled;
  if (!keepTyped) $("#rate-per-minute").value = limit.perMinute;
  const pill = $("#rate-state");
  pill.className = `pill ${limit.enabled ? "on" : "off"}`;
  const per = state.rateLimitScope === "app" ? "per app" : "per account";
  pill.textContent = limit.enabled ? `on: ${limit.perMinute}/min ${per}` : "off";
}

async function saveRateLimit() {
  let settings;
  try {
    const typed = $("#rate-per-minute").value.trim();
    if (typed === "") throw new Error("Calls per minute is required: a whole number, 1 or more");
    settings = await api("PATCH", "/settings", {
      rateLimit: { enabled: $("#rate-enabled").checked, perMinute: Number(typed) },
    });
  } catch (error) {
    // the box and the pill show what is in force, not what was refused
    guarded(async () => showRateLimit((await api("GET", "/settings")).rateLimit, { keepTyped: true }))();
    throw error;
  }
  showRateLimit(settings.rateLimit);
  toast(settings.rateLimit.enabled ? "Rate limit on" : "Rate limit off");
}

// -- apps and settings ------------------------------------------------------------------------

async function loadSettingsTab() {
  const [settings, { apps }, profile, { scopes }] = await Promise.all([
    api("GET", "/settings"), api("GET", "/apps"), api("GET", "/profile"), api("GET", "/scopes")]);
  for (const radio of document.querySelectorAll("input[name=policy]")) radio.checked = radio.value === settings.importPolicy;
  showProfile(profile);
  showScopes(scopes);
  fillTable($("#apps-table"), apps.map((app) => el("tr", {},
    el("td", { class: "mono", text: app.clientId }),
    el("td", { class: "mono", text: app.accountId }),
    el("td", { text: app.scopes.join(", ") }),
    el("td", { class: "mono", text: app.streams.join(", ") }),
    el("td", {}, el("div", { class: "actions" },
      el("button", { class: "small", onclick: guarded(() => rotate(app.clientId)) }, "Rotate secret"),
      el("button", { class: "small danger", onclick: guarded(() => removeApp(app.clientId)) }, "Remove"))))),
  "No apps: nobody can call the API.");
}

// A scope as the control API names it in a query (scenario=, clientId= or accountId=&streamId=).
function scopeQuery(scope) {
  return new URLSearchParams(scope).toString();
}

function scopeText(scope) {
  if (scope.scenario !== undefined) return `scenario ${scope.scenario}`;
  if (scope.clientId !== undefined) return `app ${scope.clientId}`;
  return `namespace ${scope.accountId} / ${scope.streamId}`;
}

function scopeReadings(readings) {
  const shown = [];
  for (const [name, value] of Object.entries(readings)) {
    if (name === "profile") {
      for (const [reading, set] of Object.entries(value)) shown.push(`${reading} = ${set}`);
    } else {
      shown.push(`${name} = ${typeof value === "object" ? JSON.stringify(value) : value}`);
    }
  }
  return shown.join(", ");
}

function showScopes(scopes) {
  fillTable($("#scopes-table"), scopes.map(({ scope, faults, readings }) => el("tr", { "data-scope": scopeQuery(scope) },
    el("td", { class: "mono", text: scopeText(scope) }),
    el("td", { class: "mono", text: Object.entries(faults).map(([operation, fault]) => `${operation}: ${JSON.stringify(fault)}`).join("; ") }),
    el("td", { class: "mono", text: scopeReadings(readings) }),
    el("td", {}, el("button", { class: "small danger", onclick: guarded(() => forgetScope(scope)) }, "Forget")))),
  "No scopes: faults and settings apply to every caller.");
}

async function forgetScope(scope) {
  await api("DELETE", `/scopes?${scopeQuery(scope)}`);
  toast(`Forgot ${scopeText(scope)}`);
  await loadSettingsTab();
}

let shownProfile = null;

function showProfile(profile) {
  // a choice made in the table and not saved yet survives the table's rebuild (any other action
  // of the tab reloads it: the choice vanished, and Save profile then saved nothing)
  const pending = {};
  for (const select of document.querySelectorAll("#profile-table select")) {
    const was = shownProfile?.readings.find((r) => r.name === select.dataset.reading);
    if (was && select.value !== String(was.value)) pending[select.dataset.reading] = select.value;
  }
  shownProfile = profile;
  fillTable($("#profile-table"), profile.readings.map((reading) => el("tr", { "data-reading": reading.name },
    el("td", { class: "mono", text: reading.name }),
    el("td", {}, el("select", { "data-reading": reading.name, "aria-label": reading.name },
      ...reading.values.map((value) => el("option", {
        value: String(value),
        selected: reading.name in pending ? String(value) === pending[reading.name] : value === reading.value,
      }, String(value))))),
    el("td", { class: "mono", text: String(reading.default) }),
    el("td", { text: reading.source }),
    el("td", { text: reading.setBy }),
    el("td", { class: "hint", text: reading.about }))),
  "No readings.");
}

// PUT /profile gives every reading it does not name its start-up value, so the body names each
// reading the user changed in the table and every other one set at run time as the server has it
// now (the table may be older than a save elsewhere: the policy card, the API, another tab).
async function saveProfile() {
  const inForce = new Map((await api("GET", "/profile")).readings.map((r) => [r.name, r]));
  const changes = {};
  for (const reading of shownProfile.readings) {
    const select = document.querySelector(`select[data-reading="${reading.name}"]`);
    const value = reading.values.find((v) => String(v) === select.value);
    const current = inForce.get(reading.name);
    if (value !== reading.value) changes[reading.name] = value;
    else if (current && current.setBy === "runtime") changes[reading.name] = current.value;
  }
  await api("PUT", "/profile", changes);
  toast("Profile saved");
  await loadSettingsTab();
}

function showSecret(app, verb) {
  const box = $("#secret-box");
  box.hidden = false;
  box.replaceChildren(`${verb} ${app.clientId}. Its client secret (shown once): `, el("code", { text: app.clientSecret }));
}

async function rotate(clientId) {
  if (!confirm(`Give ${clientId} a new secret? Tokens signed with the old one stop working.`)) return;
  showSecret(await api("POST", `/apps/${encodeURIComponent(clientId)}/rotate-secret`), "Rotated");
  await loadSettingsTab();
}

async function removeApp(clientId) {
  if (!confirm(`Remove ${clientId}? Its tokens stop working at once.`)) return;
  await api("DELETE", `/apps/${encodeURIComponent(clientId)}`);
  $("#secret-box").hidden = true;  // no secret of a removed app left on show
  toast(`Removed ${clientId}`);
  await loadSettingsTab();
}

async function addApp() {
  const streams = $("#app-streams").value.split(",").map((s) => s.trim()).filter(Boolean);
  $("#secret-box").hidden = true;  // the last add's secret is not this one's
  if (!streams.length) throw new Error("Name the streams the app may use, or * for every stream");
  const app = await api("POST", "/apps", {
    clientId: $("#app-client-id").value.trim(), accountId: $("#app-account").value.trim(), streams,
  });
  showSecret(app, "Added");
  $("#app-form").reset();
  await loadSettingsTab();
}

// -- start ------------------------------------------------------------------------------------

async function start() {
  const [health, { apps }] = await Promise.all([api("GET", "/health"), api("GET", "/apps")]);
  $("#server-info").textContent = `v${health.version} · store ${health.store}`;
  if (!$("#ns-account").value && apps.length) {
    $("#ns-account").value = apps[0].accountId;
    const stream = apps[0].streams.find((s) => s !== "*");
    $("#ns-stream").value = stream || DEFAULT_STREAM;
  }
  await loadActiveTab();
}

function wire() {
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  const select = $("#journal-operation");
  for (const op of OPERATIONS) select.append(el("option", { value: op, text: op }));

  $("#search-form").addEventListener("submit", guarded(() => { state.skip = 0; return loadContacts(); }));
  $("#page-prev").addEventListener("click", guarded(() => { state.skip = Math.max(0, state.skip - PAGE_SIZE); return loadContacts(); }));
  $("#page-next").addEventListener("click", guarded(() => { state.skip += PAGE_SIZE; return loadContacts(); }));
  $("#ns-refresh").addEventListener("click", guarded(loadContactsTab));
  $("#ns-filter").addEventListener("input", showNamespaces);
  // another namespace starts at its first page
  for (const box of ["#ns-account", "#ns-stream"]) {
    // another namespace typed: its first page next, not the old one's next (the pager waits)
    $(box).addEventListener("input", () => {
      state.skip = 0;
      $("#page-prev").disabled = $("#page-next").disabled = true;
    });
    $(box).addEventListener("keydown", (event) => {
      if (event.key === "Enter") guarded(loadActiveTab)();
    });
  }
  $("#export-csv").addEventListener("click", guarded(() => download("csv")));
  $("#export-json").addEventListener("click", guarded(() => download("json")));
  $("#reset-ns").addEventListener("click", guarded(async () => {
    const ns = namespace();
    if (!confirm(`Remove every contact of ${ns.account} / ${ns.stream}?`)) return;
    const result = await api("POST", "/reset", { accountId: ns.account, streamId: ns.stream });
    toast(`${result.removedContacts} contact(s) removed`);
    state.skip = 0;
    await loadContactsTab();
  }));

  $("#upload-form").addEventListener("submit", guarded(upload));
  const drop = $("#drop-zone");
  $("#upload-file").addEventListener("change", () => {
    const file = $("#upload-file").files[0];
    $("#drop-text").textContent = file ? `${file.name} (${file.size.toLocaleString()} bytes)` : "Drop a .csv file here, or click to choose one";
  });
  for (const type of ["dragenter", "dragover"]) drop.addEventListener(type, () => drop.classList.add("over"));
  for (const type of ["dragleave", "drop"]) drop.addEventListener(type, () => drop.classList.remove("over"));

  $("#journal-form").addEventListener("submit", guarded(() => journalPage(null)));
  $("#journal-older").addEventListener("click", guarded(() => journalPage(Number($("#journal-older").dataset.before))));
  $("#journal-newest").addEventListener("click", guarded(() => journalPage(null)));
  $("#journal-count").addEventListener("click", guarded(countJournal));
  for (const box of ["#journal-operation", "#journal-status", "#journal-since"]) {
    $(box).addEventListener("input", () => { $("#journal-count-result").textContent = ""; }); // a count of another filter
  }
  $("#journal-clear").addEventListener("click", guarded(async () => {
    if (!confirm("Forget every journal entry?")) return;
    await api("DELETE", "/journal");
    $("#journal-detail").hidden = true;
    $("#journal-count-result").textContent = "";  // a count of the journal that was
    await journalPage(null);
  }));
  $("#journal-auto").addEventListener("change", (event) => {
    clearInterval(state.journalTimer);
    const refresh = guarded(async () => { if ($("#tab-journal").classList.contains("active")) await loadJournal(); });
    if (event.target.checked) state.journalTimer = setInterval(refresh, 2000);
  });

  $("#shadow-refresh").addEventListener("click", guarded(loadShadow));
  $("#shadow-differing").addEventListener("change", guarded(loadShadow));
  $("#shadow-auto").addEventListener("change", (event) => {
    clearInterval(state.shadowTimer);
    if (event.target.checked) state.shadowTimer = setInterval(guarded(loadShadow), 2000);
  });

  $("#faults-clear").addEventListener("click", guarded(async () => {
    await api("DELETE", "/faults");
    toast("Every fault is off");
    await loadFaultsTab();
  }));
  $("#rate-form").addEventListener("submit", guarded(saveRateLimit));

  $("#policy-form").addEventListener("submit", guarded(async () => {
    const chosen = document.querySelector("input[name=policy]:checked");
    const settings = await api("PATCH", "/settings", { importPolicy: chosen.value });
    toast(`Import policy: ${settings.importPolicy}`);
    await loadSettingsTab(); // the profile table shows importPolicy too
  }));
  $("#profile-save").addEventListener("click", guarded(saveProfile));
  $("#scopes-forget-all").addEventListener("click", guarded(async () => {
    if (!confirm("Forget what every scope sets? Unscoped faults and settings stay.")) return;
    await api("DELETE", "/scopes");
    toast("Every scope forgotten");
    await loadSettingsTab();
  }));
  $("#profile-start-up").addEventListener("click", guarded(async () => {
    await api("PUT", "/profile", {});
    toast("Profile back to start-up");
    await loadSettingsTab(); // the policy card shows importPolicy too
  }));
  $("#reset-all").addEventListener("click", guarded(async () => {
    if (!confirm("Reset everything: contacts, journal, faults, counters and run-time settings?")) return;
    const result = await api("POST", "/reset", {});
    toast(`Reset: ${result.removedContacts} contact(s) removed`);
    await loadSettingsTab();
  }));
  $("#app-form").addEventListener("submit", guarded(addApp));

  $("#token-bar").addEventListener("submit", guarded(async () => {
    const token = $("#admin-token").value;
    const problem = tokenProblem(token);
    if (problem) {
      const why = `Not a token this server can have: ${problem} (an admin token is printable ASCII without leading or trailing blanks).`;
      showTokenBar(why);
      throw new Error(why);
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    showTokenBar(null);
    $("#token-bar").hidden = true;
    await start(); // a wrong token brings the bar back with the server's answer
  }));
}

document.addEventListener("DOMContentLoaded", () => {
  wire();
  guarded(start)();
});
