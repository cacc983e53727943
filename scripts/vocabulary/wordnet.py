"""A small reader for WordNet 3.0's database files (Debian's `wordnet-base`).

Only what copydesk's vocabulary generator needs: synsets with their lemmas, lexicographer
file, gloss and pointers; each lemma's senses in frequency order with their tag counts;
the morphological exception lists. The file formats are described in wndb(5WN).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

# lexnames(5WN): lexicographer file number -> name.
LEXNAMES = [
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal",
    "noun.artifact", "noun.attribute", "noun.body", "noun.cognition", "noun.communication",
    "noun.event", "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive",
    "noun.object", "noun.person", "noun.phenomenon", "noun.plant", "noun.possession",
    "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state",
    "noun.substance", "noun.time", "verb.body", "verb.change", "verb.cognition",
    "verb.communication", "verb.competition", "verb.consumption", "verb.contact",
    "verb.creation", "verb.emotion", "verb.motion", "verb.perception", "verb.possession",
    "verb.social", "verb.stative", "verb.weather", "adj.ppl",
]

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
SS_TYPE_NUMBER = {"n": 1, "v": 2, "a": 3, "r": 4, "s": 5}


@dataclass
class Synset:
    offset: int
    pos: str
    lexname: str
    lemmas: list[tuple[str, int]]  # (lemma, lex_id)
    gloss: str
    pointers: list[tuple[str, int, str]] = field(default_factory=list)  # (symbol, offset, pos)

    @property
    def key(self) -> str:
        return f"{self.pos}{self.offset:08d}"

    def words(self) -> list[str]:
        return [lemma.replace("_", " ").lower() for lemma, _ in self.lemmas]


class WordNet:
    def __init__(self, root: str = "/usr/share/wordnet"):
        self.root = root
        self.synsets: dict[str, Synset] = {}
        self.index: dict[tuple[str, str], list[str]] = {}  # (lemma, pos) -> synset keys by frequency
        self.counts: dict[str, int] = {}  # sense key -> tag count
        self.exceptions: dict[str, dict[str, list[str]]] = {}  # pos -> inflected -> bases
        for pos, name in POS_FILES.items():
            self._read_data(pos, os.path.join(root, f"data.{name}"))
            self._read_index(pos, os.path.join(root, f"index.{name}"))
            self.exceptions[pos] = self._read_exceptions(os.path.join(root, f"{name}.exc"))
        self._read_counts(os.path.join(root, "cntlist.rev"))

    def _read_data(self, pos: str, path: str) -> None:
        with open(path, encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue  # licence header
                body, _, gloss = line.partition("|")
                parts = body.split()
                offset, lex_filenum, ss_type = int(parts[0]), int(parts[1]), parts[2]
                w_cnt = int(parts[3], 16)
                lemmas = []
                at = 4
                for _ in range(w_cnt):
                    word = parts[at]
                    if ss_type in "as" and word.endswith(")"):
                        word = word[: word.index("(")]  # adjective marker, e.g. (p)
                    lemmas.append((word, int(parts[at + 1], 16)))
                    at += 2
                p_cnt = int(parts[at])
                at += 1
                pointers = []
                for _ in range(p_cnt):
                    symbol, target, target_pos = parts[at], int(parts[at + 1]), parts[at + 2]
                    pointers.append((symbol, target, "a" if target_pos == "s" else target_pos))
                    at += 4
                synset = Synset(offset, "a" if ss_type == "s" else ss_type,
                                LEXNAMES[lex_filenum], lemmas, gloss.strip(), pointers)
                synset.ss_type = ss_type
                self.synsets[synset.key] = synset

    def _read_index(self, pos: str, path: str) -> None:
        with open(path, encoding="latin-1") as f:
            for line in f:
                if line.startswith("  "):
                    continue
                parts = line.split()
                lemma, synset_cnt, p_cnt = parts[0], int(parts[2]), int(parts[3])
                offsets = parts[4 + p_cnt + 2:]
                assert len(offsets) == synset_cnt, line
                self.index[(lemma, pos)] = [f"{pos}{int(o):08d}" for o in offsets]

    def _read_exceptions(self, path: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        with open(path, encoding="latin-1") as f:
            for line in f:
                inflected, *bases = line.split()
                out[inflected] = bases
        return out

    def _read_counts(self, path: str) -> None:
        with open(path, encoding="latin-1") as f:
            for line in f:
                key, _sense_number, count = line.split()
                self.counts[key] = int(count)

    def sense_key(self, lemma: str, synset: Synset) -> str:
        lex_id = next(i for word, i in synset.lemmas if word.lower() == lemma.lower())
        ss_type = SS_TYPE_NUMBER[getattr(synset, "ss_type", synset.pos)]
        lexnum = LEXNAMES.index(synset.lexname)
        head = ""
        if getattr(synset, "ss_type", "") == "s":
            # Satellite adjectives name their head; rarely needed here, so left blank.
            head = ""
        return f"{lemma.lower()}%{ss_type}:{lexnum:02d}:{lex_id:02d}:{head}:"

    def senses(self, lemma: str, pos: str) -> list[tuple[Synset, int]]:
        """The lemma's senses in WordNet's frequency order, each with its tag count."""
        lemma = lemma.lower().replace(" ", "_")
        out = []
        for key in self.index.get((lemma, pos), []):
            synset = self.synsets[key]
            out.append((synset, self.counts.get(self.sense_key(lemma, synset), 0)))
        return out

    def hyponyms(self, synset: Synset, include_instances: bool = False) -> list[Synset]:
        symbols = {"~", "~i"} if include_instances else {"~"}
        return [self.synsets[f"{p}{o:08d}"] for s, o, p in synset.pointers if s in symbols]

    def closure(self, synset: Synset) -> list[Synset]:
        """The synset and every hyponym (troponym for verbs) below it."""
        seen, stack, out = set(), [synset], []
        while stack:
            s = stack.pop()
            if s.key in seen:
                continue
            seen.add(s.key)
            out.append(s)
            stack.extend(self.hyponyms(s))
        return out

    def find(self, lemma: str, pos: str, gloss_fragment: str) -> Synset:
        """The sense of `lemma` whose gloss contains `gloss_fragment` (stable across
        WordNet builds, unlike offsets)."""
        for synset, _ in self.senses(lemma, pos):
            if gloss_fragment in synset.gloss:
                return synset
        raise KeyError(f"no sense of {lemma!r} ({pos}) with gloss containing {gloss_fragment!r}")
