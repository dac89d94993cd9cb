"""Keyword side of retrieval: tokens and Okapi BM25 over clause texts."""

from __future__ import annotations

import math
import re
from collections import Counter

STOPWORDS = frozenset(
    """a an and are as at be been being but by can could did do does doing for from had has have
    having he her here hers him his how i if in into is it its itself just me my myself no nor of
    off on once only or other our ours out over own same she so some such than that the their
    theirs them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours am im ive id dont
    doesnt cant get got also any about should must may might shall allowed okay ok""".split()
)
_SUFFIXES = ("ing", "ed", "es", "s")


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """Lower-case content words, lightly stemmed; 'ex-pupils' stays one token."""
    text = text.lower().replace("’", "'").replace("'s", "").replace("'", "")
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text)
    return [stem(w) for w in words if w not in STOPWORDS and len(w) > 1]


class BM25:
    """Okapi BM25 (k1=1.5, b=0.75) over a fixed list of documents."""

    def __init__(self, documents: list[str], k1: float = 1.5, b: float = 0.75):
        self.k1, self.b = k1, b
        self.docs = [Counter(tokens(d)) for d in documents]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg_length = sum(self.lengths) / max(len(self.docs), 1) or 1.0
        frequency = Counter(term for doc in self.docs for term in doc)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}

    def scores(self, query: str) -> list[float]:
        terms = [t for t in dict.fromkeys(tokens(query)) if t in self.idf]
        result = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / self.avg_length)
            result.append(
                sum(self.idf[t] * doc[t] * (self.k1 + 1) / (doc[t] + norm) for t in terms if t in doc)
            )
        return result
