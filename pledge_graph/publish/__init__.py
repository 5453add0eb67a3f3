"""Publish: a release written into a directory.

Takes the mapped and validated triples of every batch; gives the dumps (Turtle,
N-Triples, JSON-LD, written in parts by ``chunks`` with the project's own writers
``turtle`` and ``jsonld``), the vocabularies, VoID, DCAT, the validation report and the
manifest (``files``), with the VoID statistics counted batch by batch (``stats``).
"""
