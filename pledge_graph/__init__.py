"""pledge-graph: the Human Rights 75 pledges as linked data.

The pipeline reads the Secretariat's pledge documents (``ingest``), keeps one curated YAML
record per submission (``records``), maps the records to RDF (``mapping``), checks the graph
with SHACL (``validate``) and writes the release (``publish``); ``build`` runs those stages
in order. ``web`` serves a release over HTTP.
"""

__version__ = "0.1.0"
