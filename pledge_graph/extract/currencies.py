"""Currencies as pledges write them: ISO 4217 codes, symbols, and currency words in the six UN
languages, for at least the currencies of the UN's thirty largest contributors (United
States, China, Japan, Germany, the United Kingdom, France, Italy, Canada, the Republic of
Korea, Spain, Australia, Brazil, the Netherlands, the Russian Federation, Saudi Arabia,
Switzerland, Mexico, Sweden, Türkiye, Belgium, Norway, Poland, Austria, India, Ireland,
Denmark, Israel, Singapore, the United Arab Emirates, Argentina, Qatar, Kuwait) and the
donors of the voluntary funds.

A symbol or word shared by several currencies is read only where one is far more common in
pledges ("$" is USD, "¥" JPY); "kr" or a bare "francs" are not read at all.
"""

from __future__ import annotations

__all__ = ["AMBIGUOUS_WORDS", "CODES", "MINOR_UNITS", "SYMBOLS", "WORDS"]

CODES = (
    "USD", "EUR", "JPY", "GBP", "CNY", "CHF", "CAD", "AUD", "NZD", "KRW", "BRL", "RUB", "SAR",
    "MXN", "SEK", "NOK", "DKK", "ISK", "TRY", "PLN", "INR", "ILS", "SGD", "AED", "ARS", "QAR",
    "KWD", "IDR", "CLP", "COP", "PEN", "UYU", "ZAR", "THB", "MYR", "PHP", "HKD", "CZK", "HUF",
    "RON", "BGN", "NGN", "KES", "EGP", "UAH", "XOF", "XAF", "BHD", "OMR", "JOD", "KZT", "VND",
    "RMB",
)
"""ISO 4217 codes (and RMB, which pledges write for CNY) that count as a currency."""

# The digits after the decimal mark of each currency's minor unit (ISO 4217); 2 otherwise.
MINOR_UNITS = {
    "JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "XOF": 0, "XAF": 0, "VND": 0,
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3,
}

SYMBOLS = {
    "US$": "USD", "U.S.$": "USD", "USD$": "USD", "A$": "AUD", "AU$": "AUD", "C$": "CAD",
    "CA$": "CAD", "CAN$": "CAD", "NZ$": "NZD", "HK$": "HKD", "R$": "BRL", "S$": "SGD",
    "Mex$": "MXN", "MX$": "MXN", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "JP¥": "JPY",
    "CN¥": "CNY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "Fr.": "CHF",
    "SFr.": "CHF", "zł": "PLN", "RMB": "CNY",
}
"""Currency symbols written before (or, for the one-character ones, after) a number."""

_EN = {
    "US dollars": "USD", "U.S. dollars": "USD", "United States dollars": "USD",
    "American dollars": "USD", "US dollar": "USD", "dollars": "USD", "dollar": "USD",
    "euros": "EUR", "euro": "EUR", "Swiss francs": "CHF", "Swiss franc": "CHF",
    "pounds sterling": "GBP", "British pounds": "GBP", "pounds": "GBP", "sterling": "GBP",
    "Japanese yen": "JPY", "yen": "JPY", "Canadian dollars": "CAD", "Australian dollars": "AUD",
    "New Zealand dollars": "NZD", "Singapore dollars": "SGD", "Hong Kong dollars": "HKD",
    "Norwegian kroner": "NOK", "Norwegian krone": "NOK", "Danish kroner": "DKK",
    "Danish krone": "DKK", "Swedish kronor": "SEK", "Swedish krona": "SEK",
    "Icelandic krónur": "ISK", "yuan": "CNY", "renminbi": "CNY", "Chinese yuan": "CNY",
    "Indian rupees": "INR", "Korean won": "KRW", "won": "KRW",
    "Brazilian reais": "BRL", "reais": "BRL", "Russian roubles": "RUB", "Russian rubles": "RUB",
    "roubles": "RUB", "rubles": "RUB", "Saudi riyals": "SAR", "Qatari riyals": "QAR",
    "UAE dirhams": "AED", "Emirati dirhams": "AED", "dirhams": "AED", "Kuwaiti dinars": "KWD",
    "Mexican pesos": "MXN", "Argentine pesos": "ARS", "Chilean pesos": "CLP",
    "Colombian pesos": "COP", "Turkish lira": "TRY", "Turkish liras": "TRY",
    "Polish zloty": "PLN", "Polish złoty": "PLN", "zloty": "PLN", "złoty": "PLN",
    "Israeli new shekels": "ILS", "new shekels": "ILS", "shekels": "ILS",
    "Indonesian rupiah": "IDR", "rupiah": "IDR", "South African rand": "ZAR", "rand": "ZAR",
}
_FR = {
    "d'euros": "EUR", "de dollars américains": "USD", "de dollars des États-Unis": "USD",
    "dollars des États-Unis": "USD", "dollars américains": "USD", "de dollars": "USD",
    "de francs suisses": "CHF", "francs suisses": "CHF", "de livres sterling": "GBP",
    "livres sterling": "GBP", "de yens": "JPY", "yens": "JPY", "de dollars canadiens": "CAD",
    "dollars canadiens": "CAD", "de couronnes norvégiennes": "NOK",
    "couronnes norvégiennes": "NOK", "de couronnes suédoises": "SEK",
    "couronnes suédoises": "SEK", "de couronnes danoises": "DKK", "couronnes danoises": "DKK",
    "de francs CFA": "XOF",
}
_ES = {
    "de dólares estadounidenses": "USD", "dólares estadounidenses": "USD",
    "de dólares de los Estados Unidos": "USD", "dólares de los Estados Unidos": "USD",
    "de dólares": "USD", "dólares": "USD", "de euros": "EUR", "de francos suizos": "CHF",
    "francos suizos": "CHF", "de libras esterlinas": "GBP", "libras esterlinas": "GBP",
    "de yenes": "JPY", "yenes": "JPY", "de pesos chilenos": "CLP", "pesos chilenos": "CLP",
    "de pesos mexicanos": "MXN", "pesos mexicanos": "MXN", "de pesos argentinos": "ARS",
    "pesos argentinos": "ARS", "de pesos colombianos": "COP", "pesos colombianos": "COP",
    "de reales": "BRL", "reales": "BRL",
}
_RU = {
    "долларов США": "USD", "доллара США": "USD", "доллар США": "USD", "долларов": "USD",
    "доллара": "USD", "евро": "EUR", "швейцарских франков": "CHF", "швейцарского франка": "CHF",
    "фунтов стерлингов": "GBP", "иен": "JPY", "японских иен": "JPY", "рублей": "RUB",
    "рубля": "RUB", "юаней": "CNY", "юаня": "CNY",
}
_AR = {
    "دولار أمريكي": "USD", "دولار أميركي": "USD", "دولار أمريكى": "USD", "دولارات": "USD",
    "دولار": "USD", "يورو": "EUR", "فرنك سويسري": "CHF", "جنيه إسترليني": "GBP",
    "ين ياباني": "JPY", "ريال سعودي": "SAR", "درهم إماراتي": "AED", "ريال قطري": "QAR",
    "دينار كويتي": "KWD",
}
_ZH = {
    "美元": "USD", "欧元": "EUR", "日元": "JPY", "瑞士法郎": "CHF", "英镑": "GBP",
    "人民币": "CNY", "元人民币": "CNY", "元": "CNY", "港元": "HKD", "加元": "CAD", "澳元": "AUD",
    "韩元": "KRW", "挪威克朗": "NOK", "瑞典克朗": "SEK", "丹麦克朗": "DKK", "卢布": "RUB",
}

WORDS = {**_EN, **_FR, **_ES, **_RU, **_AR, **_ZH}
"""Currency words written after a number (matched ignoring case)."""

AMBIGUOUS_WORDS = ("francs", "kroner", "krone", "kronor", "pesos", "riyals", "dinars",
                   "rupees", "crowns", "de francs", "de pesos")
"""Words that make a number money without saying which currency ("5 million francs"): the
sum is read with no currency, never the currency of an earlier sum."""
