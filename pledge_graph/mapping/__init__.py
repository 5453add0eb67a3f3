"""Mapping: records to RDF.

Takes checked records, the authority files of who pledged (``authorities``, turned into
triples by ``actors``) and the rights-holder scheme; gives each submission's triples as
N-Triples lines: the pledges (``pledges``, reading the record's fields through
``record_fields``), the facts extracted from their words (``commitments``) and the
organisations, treaties and programmes those facts link to (``resources``).
"""
