"""Shared RDF terms: namespaces and how the project mints its IRIs (``vocab``), the
N-Triples text every stage after the records works in (``ntriples``), and the
rights-holder concept scheme as the pipeline asks it (``concepts``)."""
