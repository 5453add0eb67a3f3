"""Records: the curated pledge records, one YAML file per submission, the project's source
of truth.

Takes documents from ``ingest`` (``importer`` keeps the verbatim source and merges a
re-import with what curators changed); gives checked records (``curated``) written
deterministically (``record_yaml``), atomically and only when changed (``files``), and read
back for the build.
"""
