"""Money a pledge reports as already given is a past contribution, not a pledge: each row is a
sentence and, for each of its sums, the amount, currency, recipient and kind read
(``past``, ``firm`` or ``pledge``). The rows that look ahead pin that no pledge loses its
reading, among them the funding sentences of the bundled document and fixtures."""

from __future__ import annotations

import pytest

from pledge_graph.extract import extract_facts

Sum = tuple[str, str | None, str | None, str]
CASES: list[tuple[str, list[Sum]]] = [
    # --- past, in English: perfect, simple past, passive, participle, time words
    ('Switzerland contributed CHF 15 million in 2023 to OHCHR.',
     [('15000000', 'CHF', 'ohchr', 'past')]),
    ('Germany has provided EUR 2 million since 2015 to UNICEF.',
     [('2000000', 'EUR', 'unicef', 'past')]),
    ('Since 2018, Japan has disbursed USD 3 million to UNHCR.',
     [('3000000', 'USD', 'unhcr', 'past')]),
    ('Norway has already given NOK 50 million to OHCHR.',
     [('50000000', 'NOK', 'ohchr', 'past')]),
    ('Denmark has been contributing DKK 10 million annually to OHCHR.',
     [('10000000', 'DKK', 'ohchr', 'past')]),
    ('In 2022 Ireland donated EUR 500,000 to UNICEF.',
     [('500000', 'EUR', 'unicef', 'past')]),
    ('Canada paid CAD 1 million to UNHCR last year.',
     [('1000000', 'CAD', 'unhcr', 'past')]),
    ('USD 10 million has been provided to OHCHR so far.',
     [('10000000', 'USD', 'ohchr', 'past')]),
    ('EUR 4 million were disbursed to UNDP in 2021.',
     [('4000000', 'EUR', 'undp', 'past')]),
    ('To date, GBP 2 million to UNICEF.',
     [('2000000', 'GBP', 'unicef', 'past')]),
    ('Over the past five years, USD 5 million to OHCHR.',
     [('5000000', 'USD', 'ohchr', 'past')]),
    ('Finland made a voluntary contribution of EUR 1 million to OHCHR in 2022.',
     [('1000000', 'EUR', 'ohchr', 'past')]),
    # --- past and future in one sentence: the nearest verb before each sum decides
    (('Since 2018, Japan has disbursed USD 3 million to UNHCR and will contribute USD 1 '
     'million to OHCHR in 2024.'),
     [('3000000', 'USD', 'unhcr', 'past'), ('1000000', 'USD', 'ohchr', 'firm')]),
    (('Having contributed USD 10 million since 2015, Switzerland will contribute USD 3 million '
     'to OHCHR in 2024.'),
     [('10000000', 'USD', None, 'past'), ('3000000', 'USD', 'ohchr', 'pledge')]),
    ('Sweden contributed SEK 20 million in 2023 and pledges SEK 25 million to OHCHR for 2024.',
     [('20000000', 'SEK', None, 'past'), ('25000000', 'SEK', 'ohchr', 'pledge')]),
    (('Building on the USD 2 million it has provided since 2019, Korea will give USD 1 million '
     'to OHCHR.'),
     [('2000000', 'USD', None, 'past'), ('1000000', 'USD', 'ohchr', 'pledge')]),
    ('We have provided EUR 2 million and US$ 750,000 respectively to UNICEF and UNHCR.',
     [('2000000', 'EUR', 'unicef', 'past'), ('750000', 'USD', 'unhcr', 'past')]),
    # --- past, in the other UN languages
    ("La France a versé 2 millions d'euros au HCDH en 2022.",
     [('2000000', 'EUR', 'ohchr', 'past')]),
    ('Depuis 2015, la Belgique verse 250 000 euros au HCDH chaque année.',
     [('250000', 'EUR', 'ohchr', 'past')]),
    ('España ha aportado 1 millón de dólares a la OACNUDH desde 2015.',
     [('1000000', 'USD', 'ohchr', 'past')]),
    ('México aportó 500 mil dólares a la OACNUDH en 2022.',
     [('500000', 'USD', 'ohchr', 'past')]),
    ('Россия выделила 2 млн долларов.', [('2000000', 'USD', None, 'past')]),
    ('中国已捐款200万美元。', [('2000000', 'USD', None, 'past')]),
    ('自2015年以来，中国捐款200万美元。', [('2000000', 'USD', None, 'past')]),
    ('قدمت قطر مليون دولار أمريكي.', [('1000000', 'USD', None, 'past')]),
    # --- pledges keep their reading
    (('In response to urgent human rights and humanitarian needs, Japan decided to additionally '
     'provide approximately 1 million USD to OHCHR from the supplementary budget of Fiscal Year '
     '2023.'),
     [('1000000', 'USD', 'ohchr', 'firm')]),
    (('Chile will contribute USD 500,000 to OHCHR for 2024-2026 to support the work of the '
     'Special Procedures, and around CLP 200 million to the National Human Rights Institute '
     '(INDH) from its regular budget.'),
     [('500000', 'USD', 'ohchr', 'pledge'), ('200000000', 'CLP', None, 'pledge')]),
    (('La France versera une contribution volontaire de 2 millions d’euros au Haut-Commissariat '
     'des Nations Unies aux droits de l’homme en 2024.'),
     [('2000000', 'EUR', 'ohchr', 'pledge')]),
    (('Norway will maintain its core contribution to OHCHR at no less than NOK 200 million per '
     'year for the period 2024-2027.'),
     [('200000000', 'NOK', 'ohchr', 'pledge')]),
    ('Japan has allocated USD 2 million to OHCHR for 2024.',
     [('2000000', 'USD', 'ohchr', 'firm')]),
    ('Since 2015 we have annually published a report; we will give USD 1 million to OHCHR.',
     [('1000000', 'USD', 'ohchr', 'pledge')]),
    ('Japan has long supported OHCHR and will provide USD 1 million to it in 2024.',
     [('1000000', 'USD', None, 'pledge')]),
    ('We will give USD 1 million to OHCHR, provided that the budget is approved.',
     [('1000000', 'USD', 'ohchr', 'pledge')]),
    ('A grant of $2m will be disbursed to UNICEF.',
     [('2000000', 'USD', 'unicef', 'pledge')]),
    ('España aportará 1 millón de dólares a la OACNUDH desde 2024 hasta 2027.',
     [('1000000', 'USD', 'ohchr', 'pledge')]),
    ('Россия выделит 2 млн долларов.', [('2000000', 'USD', None, 'pledge')]),
    ('中国将捐款200万美元。', [('2000000', 'USD', None, 'pledge')]),
    ('中国已决定向人权高专办捐款200万美元。', [('2000000', 'USD', 'ohchr', 'pledge')]),
    ('ستقدم قطر مليون دولار أمريكي.', [('1000000', 'USD', None, 'pledge')]),
]


@pytest.mark.parametrize(("sentence", "expected"), CASES, ids=[c[0][:48] for c in CASES])
def test_money_already_given_is_read_as_past(sentence: str, expected: list[Sum]) -> None:
    found = [(f["amount"], f["currency"], f["recipient"], f["commitment"])
             for f in extract_facts(sentence) if f["kind"] == "funding"]
    assert found == expected
