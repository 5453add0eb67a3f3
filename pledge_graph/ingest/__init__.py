"""Ingest: files handed to the pipeline, read as if each were an attack.

Takes a pledge document of the HR75 Secretariat (``document``: its lines cut into sections by
``lines``, its field values read by ``fields``), a YAML file of the project's plain subset
(``safe_yaml``) or an authority file (``authority_files``), through the bounded readers of
``inputs``; gives a plain :class:`~pledge_graph.ingest.document.Document` or plain Python
values, and a :class:`~pledge_graph.errors.InputError` with file and line for anything else.
"""
