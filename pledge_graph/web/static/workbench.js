// The query workbench: YASGUI (vendored in /static/yasgui/) on this server's /sparql.
// The page gives its settings as JSON (#workbench-config): the endpoint, the project's
// prefixes, the query the editor opens with, the example queries.
//
// - Only this server is asked: the endpoint cannot be changed, the autocompleters that ask
//   other sites (Linked Open Vocabularies, prefix.cc) are off, prefixes complete from the
//   project's table (then YASGUI's bundled one), and the results table shortens IRIs with
//   the project's prefixes (and the query's).
// - The state is in the URL (YASGUI's share link, kept in the address bar), so a query can
//   be shared as a link. A link fills the editor and waits: it cannot make a visitor run
//   a query, and it cannot point the workbench at another endpoint or add request headers.
"use strict";

const config = JSON.parse(document.getElementById("workbench-config").textContent);
const endpoint = new URL(config.endpoint, window.location.href).href;

function projectPrefixes() {
  return Object.entries(config.prefixes).map(([prefix, ns]) => `${prefix}: <${ns}>`).sort();
}

function configureEditor(Yasqe) {
  const bundled = Yasqe.Autocompleters.prefixes;
  Yasqe.forkAutocompleter("prefixes", {
    name: "project-prefixes",
    persistenceId: "prefixes-" + config.release,
    get: (yasqe) => Promise.resolve(bundled.get(yasqe)).then((others) => {
      const ours = projectPrefixes();
      const taken = new Set(ours.map((line) => line.split(":")[0]));
      return ours.concat(others.filter((line) => !taken.has(line.split(":")[0])));
    }),
  }, false);
  // Only completers that stay on this page: variables and prefixes.
  Yasqe.defaults.autocompleters.splice(0, Infinity, "variables", "project-prefixes");
}

function fromLink(yasgui) {
  // The tab a link describes (query, title, output and dataset), on this endpoint only.
  const Yasgui = window.Yasgui;
  const asked = Yasgui.linkUtils.getConfigFromUrl(Yasgui.Tab.getDefaults(yasgui),
                                                   window.location.href);
  if (!asked) return;
  const requestConfig = {...yasgui.config.requestConfig, endpoint};
  for (const key of ["namedGraphs", "defaultGraphs"]) {
    if (asked.requestConfig[key]) requestConfig[key] = asked.requestConfig[key];
  }
  yasgui.addTab(true, {name: asked.name, yasqe: asked.yasqe, yasr: asked.yasr, requestConfig},
                {avoidDuplicateTabs: true});
}

function queryKind(tab) {
  const type = tab.getYasqe().getQueryType();
  return type === "CONSTRUCT" || type === "DESCRIBE" ? "graph" : type;
}

function showDownloads(tab) {
  // Links to the same query on /sparql with ?format=: the server writes the file.
  const kind = queryKind(tab);
  const wanted = {
    csv: kind === "SELECT", json: kind === "SELECT" || kind === "ASK",
    turtle: kind === "graph", jsonld: kind === "graph",
  };
  const formats = {csv: "csv", json: "json", turtle: "ttl", jsonld: "jsonld"};
  for (const [name, fmt] of Object.entries(formats)) {
    const link = document.getElementById("download-" + name);
    link.hidden = !wanted[name];
    link.href = "/sparql?" + new URLSearchParams({query: tab.getQuery(), format: fmt});
  }
  document.getElementById("downloads").hidden = false;
}

function keepStateInUrl(yasgui) {
  const tab = yasgui.getTab();
  if (!tab) return;
  const link = new URL(tab.getShareableLink());
  window.history.replaceState(null, "", link.pathname + link.search + link.hash);
}

function openExample(yasgui, name) {
  const example = config.examples[name];
  const tab = yasgui.addTab(true, {name: example.title, yasqe: {value: example.text},
                                   requestConfig: {...yasgui.config.requestConfig, endpoint}},
                            {avoidDuplicateTabs: true});
  yasgui.selectTabId(tab.getId());
  keepStateInUrl(yasgui);
  document.getElementById("workbench").scrollIntoView();
}

const LABELS = [
  [".CodeMirror textarea", "SPARQL query"],
  ["select.tableSizer", "Rows per page"],
  ["input.autocomplete", "Endpoint"],
];

function labelControls(root) {
  // YASGUI draws some controls without a name a screen reader could say; name them.
  for (const [selector, label] of LABELS) {
    for (const element of root.querySelectorAll(selector + ":not([aria-label])")) {
      element.setAttribute("aria-label", label);
    }
  }
}

function start() {
  const Yasgui = window.Yasgui;
  configureEditor(Yasgui.Yasqe);
  const yasgui = new Yasgui(document.getElementById("workbench"), {
    requestConfig: {endpoint, method: "POST"},
    copyEndpointOnNewTab: false,
    populateFromUrl: false,
    autofocus: false,
    endpointCatalogueOptions: {getData: () => [{endpoint}], keys: []},
    yasqe: {value: config.defaultQuery},
    yasr: {prefixes: config.prefixes},
  });
  fromLink(yasgui);
  const root = document.getElementById("workbench");
  labelControls(root);
  new MutationObserver(() => labelControls(root)).observe(root, {childList: true, subtree: true});
  for (const event of ["tabSelect", "tabChange", "query"]) {
    yasgui.on(event, () => keepStateInUrl(yasgui));
  }
  yasgui.on("queryResponse", (_, tab) => showDownloads(tab));
  for (const link of document.querySelectorAll("a.open-example")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      openExample(yasgui, link.dataset.example);
    });
  }
  window.workbench = yasgui;
}

document.addEventListener("DOMContentLoaded", start);
