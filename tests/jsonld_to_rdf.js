// Reads a JSON-LD document on standard input and writes its RDF as N-Quads, with jsonld.js
// and a document loader that refuses every document: the input must read alone, offline.
'use strict';
const jsonld = require('jsonld');

async function refuse(url) {
  throw new Error(`document loader called for ${url}`);
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const nquads = await jsonld.toRDF(doc, {format: 'application/n-quads', documentLoader: refuse});
  process.stdout.write(nquads);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
