// The query page: runs the form's query on /sparql and shows the answer as a table
// (SELECT, ASK) or as Turtle (CONSTRUCT, DESCRIBE). A query given in the page's URL fills
// the editor and waits for the user: a link cannot make a visitor run a query. Only http(s)
// IRIs in an answer become links; any other scheme (javascript:, data:...) is shown as text.
"use strict";

function isWebIri(value) {
  return /^https?:\/\//i.test(value);
}

function graphQuery(text) {
  const body = text.replace(/#[^\n]*/g, " ").replace(/^\s*((BASE|PREFIX)\s+[^<]*<[^>]*>\s*)*/i, "");
  return /^\s*(CONSTRUCT|DESCRIBE)\b/i.test(body);
}

function cell(binding) {
  const td = document.createElement("td");
  if (!binding) return td;
  if (binding.type === "uri" && isWebIri(binding.value)) {
    const a = document.createElement("a");
    a.href = binding.value;
    a.textContent = binding.value;
    td.appendChild(a);
  } else {
    td.textContent = binding.value;
    if (binding["xml:lang"]) td.title = "@" + binding["xml:lang"];
    else if (binding.datatype) td.title = binding.datatype;
  }
  return td;
}

function showTable(data, target) {
  if ("boolean" in data) {
    const p = document.createElement("p");
    p.id = "boolean-result";
    p.textContent = String(data.boolean);
    target.appendChild(p);
    return;
  }
  const table = document.createElement("table");
  table.id = "results-table";
  const head = table.insertRow();
  for (const name of data.head.vars) {
    const th = document.createElement("th");
    th.textContent = name;
    head.appendChild(th);
  }
  for (const row of data.results.bindings) {
    const tr = table.insertRow();
    for (const name of data.head.vars) tr.appendChild(cell(row[name]));
  }
  target.appendChild(table);
}

async function run(event) {
  if (event) event.preventDefault();
  const text = document.getElementById("query").value;
  const status = document.getElementById("status");
  const target = document.getElementById("results");
  target.textContent = "";
  status.textContent = "Running…";
  const graph = graphQuery(text);
  const started = performance.now();
  try {
    const response = await fetch("/sparql", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": graph ? "text/turtle" : "application/sparql-results+json",
      },
      body: new URLSearchParams({query: text}),
    });
    const ms = Math.round(performance.now() - started);
    if (!response.ok) {
      const pre = document.createElement("pre");
      pre.className = "error";
      pre.textContent = await response.text();
      target.appendChild(pre);
      status.textContent = "Error " + response.status;
      return;
    }
    if (graph) {
      const pre = document.createElement("pre");
      pre.id = "results-graph";
      pre.textContent = await response.text();
      target.appendChild(pre);
      status.textContent = "Done in " + ms + " ms";
    } else {
      const data = await response.json();
      showTable(data, target);
      const rows = data.results ? data.results.bindings.length : 1;
      status.textContent = rows + " result(s) in " + ms + " ms";
    }
  } catch (error) {
    status.textContent = "Failed: " + error;
  }
}

function chooseExample() {
  const name = document.getElementById("example").value;
  const template = document.getElementById("example-" + name);
  if (template) document.getElementById("query").value = template.content.textContent;
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("query-form").addEventListener("submit", run);
  document.getElementById("example").addEventListener("change", chooseExample);
});
