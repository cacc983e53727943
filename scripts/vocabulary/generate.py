#!/usr/bin/env python3
"""Generates copydesk's WordNet-derived vocabulary (run from the repository root):

    apt-get install wordnet-base            # WordNet 3.0's database, /usr/share/wordnet
    python3 scripts/vocabulary/generate.py  # rewrites the files below

Writes
- crates/copydesk-core/lexicons/word-forms.txt: WordNet's irregular verb and noun forms,
  from which copydesk inflects `[lemma]` terms;
- crates/copydesk-core/lexicons/wrongdoing.toml: single words whose COMMON meaning accuses
  someone of wrongdoing, one rule per category;
- crates/copydesk-core/lexicons/parties.toml: nouns that name a person, a role or an
  organisation (an identifiable party);
- crates/copydesk-core/lexicons/dictionary.bin: hashes of the common English words (WordNet
  lemmas spelled in lower case, plus CHAT_WORDS), so that a lower-case word that is not
  one reads as a name ("kowalski tanked the set");
- scripts/vocabulary/candidates.tsv: every candidate with the decision and its reason.

Selection (see `dominant`): a word is kept for a wrongdoing sense only when that sense is
the word's usual meaning in WordNet's sense-tagged corpus (its first sense, or at least half
of the word's tagged uses); a word with no tagged uses is kept only when every sense it has
is a wrongdoing sense. That drops "story" (a fib only rarely), "off" (to murder) and "charge"
(to attack). Then scripts/vocabulary/review.tsv, written by a person, overrides single
decisions with a reason; nothing else is hand-picked.
"""

from __future__ import annotations

import csv
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(__file__))
from wordnet import WordNet  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
LEXICONS = os.path.join(ROOT, "crates", "copydesk-core", "lexicons")
HERE = os.path.dirname(os.path.abspath(__file__))

# Wrongdoing senses: (lemma, pos, words from the gloss that identify the sense, category).
# Each seed brings every hyponym (troponym) below it.
SEEDS = [
    ("wrongdoing", "n", "transgresses moral or civil law", "wrongdoing"),
    ("crime", "n", "an act punishable by law", "crime"),
    ("deception", "n", "the act of deceiving", "deception"),
    ("misrepresentation", "n", "a misleading falsehood", "deception"),
    ("fraud", "n", "intentional deception resulting in injury", "fraud"),
    ("corruption", "n", "lack of integrity or honesty", "corruption"),
    ("negligence", "n", "failure to act with the prudence", "negligence"),
    ("wrongdoer", "n", "a person who transgresses moral or civil law", "label"),
    ("deceiver", "n", "someone who leads you to believe something that is not true", "label"),
    ("steal", "v", "take without the owner's consent", "theft"),
    ("cheat", "v", "deprive somebody of something by deceit", "fraud"),
    ("cheat", "v", "engage in deceitful behavior", "fraud"),
    ("deceive", "v", "be false to; be dishonest with", "deception"),
    ("deceive", "v", "cause someone to believe an untruth", "deception"),
    ("lie", "v", "tell an untruth", "deception"),
    ("bribe", "v", "make illegal payments", "corruption"),
    ("embezzle", "v", "fraudulently", "theft"),
    ("swindle", "v", "deprive of by deceit", "fraud"),
    ("falsify", "v", "tamper, with the purpose of deception", "fraud"),
    ("falsify", "v", "falsify knowingly", "fraud"),
    ("forge", "v", "make a copy of with the intent to deceive", "fraud"),
    ("rig", "v", "arrange the outcome of by means of deceit", "rigging"),
    ("rig", "v", "manipulate in a fraudulent manner", "rigging"),
    ("fix", "v", "influence an event or its outcome by illegal means", "rigging"),
    ("conspire", "v", "in secret towards a deceitful or illegal purpose", "collusion"),
    ("mistreat", "v", "treat badly", "abuse"),
    ("molest", "v", "harass or assault sexually", "abuse"),
    ("rape", "v", "force (someone) to have sex against their will", "abuse"),
    ("harass", "v", "annoy continually or chronically", "abuse"),
    ("murder", "v", "kill intentionally and with premeditation", "violence"),
    ("torture", "v", "subject to torture", "abuse"),
    ("kidnap", "v", "take away to an undisclosed location", "violence"),
    ("blackmail", "v", "exert pressure on someone through threats", "intimidation"),
    ("extort", "v", "obtain by coercion or intimidation", "intimidation"),
    ("extort", "v", "obtain through intimidation", "intimidation"),
    ("intimidate", "v", "to compel or deter by or as if by threats", "intimidation"),
    ("bully", "v", "discourage or frighten with threats", "intimidation"),
    ("coerce", "v", "to cause to do through pressure", "intimidation"),
    ("smuggle", "v", "import or export without paying customs duties", "crime"),
    ("launder", "v", "convert illegally obtained funds", "crime"),
    ("plagiarize", "v", "take without referencing", "theft"),
    ("loot", "v", "steal goods", "theft"),
    ("defame", "v", "charge falsely or with malicious intent", "deception"),
    ("mislead", "v", "give false or misleading information", "deception"),
    ("dope", "v", "take drugs to improve one's athletic performance", "cheating"),
    ("sabotage", "v", "destroy property or hinder normal operations", "hostility"),
    ("betray", "v", "deliver to an enemy by treachery", "collusion"),
    ("victimize", "v", "punish unjustly", "abuse"),
    ("exploit", "v", "work excessively hard", "abuse"),
    ("discriminate", "v", "on the basis of sex or race", "abuse"),
    ("manipulate", "v", "influence or control shrewdly or deviously", "deception"),
    ("embezzlement", "n", "fraudulent appropriation of funds", "theft"),
    ("corrupt", "a", "lacking in integrity", "corruption"),
    ("crooked", "a", "dishonest or immoral or evasive", "corruption"),
    ("dishonest", "a", "deceptive or fraudulent", "deception"),
    ("fraudulent", "a", "intended to deceive", "fraud"),
    ("illegal", "a", "prohibited by law", "crime"),
]

# Party nouns: people, and the groups of people one can hold to account.
PARTY_ROOTS = [
    ("person", "n", "a human being"),
    ("organization", "n", "a group of people who work together"),
    ("social group", "n", "people sharing some social relation"),
    ("body", "n", "a group of persons associated by some common tie"),
    ("people", "n", "any group of human beings"),
]
# Pronouns and determiners that stand for a party; a closed class, so listed here.
PARTY_PRONOUNS = [
    "he", "she", "they", "him", "her", "them", "his", "their", "theirs", "hers",
    "he's", "she's", "they're", "they've", "he'd", "she'd", "they'd", "he'll", "she'll",
    "they'll",
]

# Words of chat and newsroom shorthand that are not in WordNet and are not names.
CHAT_WORDS = """
tbh ngl imo imho lol lmao rofl omg btw fyi asap pls plz thx ty np idk dunno gonna wanna
gotta kinda sorta lemme yeah yep nope nah ok okay lmk rn atm irl iirc afaik fwiw smh
govt gov dept mgmt hq ceo cfo coo cto mp mps mep meps cllr cllrs pm dpm ag da cps doj
fbi cia nsa dea met gp nhs ngo ngos hr pr it's that's there's what's who's he's she's
they're we're you're i'm i've i'll i'd we've we'll don't doesn't didn't isn't aren't
wasn't weren't hasn't haven't hadn't won't wouldn't can't couldn't shouldn't ain't
lede hed dek nut graf subs sub splash presser embargo tk tbc tbd wip eta eod cob
""".split()

# Closed-class words, which WordNet (nouns, verbs, adjectives, adverbs) does not list.
FUNCTION_WORDS = """
a an the this that these those my your his her its our their mine yours hers ours theirs
i me we us you he him she they them it myself yourself himself herself itself ourselves
themselves who whom whose which what whatever whoever whichever where when why how
and or but nor so yet for if unless because although though while whereas since until
than then as at by from in into of off on onto out over to toward towards under up upon
with within without about above across after against along amid among around before
behind below beneath beside besides between beyond despite down during except inside
like near outside past per through throughout till unlike via
am is are was were be been being have has had having do does did doing done will would
shall should can could may might must ought
not no never none nothing nobody neither either both each every all any some many much
more most few fewer less least several such own other another same
there here now just also only even still already again ever
""".split()

MESSAGES = {
    "wrongdoing": "'{match}' alleges wrongdoing: say who makes the allegation.",
    "crime": "'{match}' alleges a crime: say who makes the allegation.",
    "deception": "'{match}' accuses someone of deception: say who makes the accusation.",
    "fraud": "'{match}' alleges fraud: say who makes the allegation.",
    "corruption": "'{match}' alleges corruption: say who makes the allegation.",
    "negligence": "'{match}' alleges negligence: say who makes the allegation.",
    "label": "'{match}' labels someone a wrongdoer: say whose label it is.",
    "theft": "'{match}' alleges theft: say who makes the allegation.",
    "rigging": "'{match}' alleges a rigged outcome: say who makes the allegation.",
    "collusion": "'{match}' alleges collusion or betrayal: say who makes the allegation.",
    "abuse": "'{match}' alleges abuse: say who makes the allegation.",
    "violence": "'{match}' alleges a violent crime: say who makes the allegation.",
    "intimidation": "'{match}' alleges intimidation: say who makes the allegation.",
    "cheating": "'{match}' alleges cheating: say who makes the allegation.",
    "hostility": "'{match}' alleges a hostile act: say who makes the allegation.",
}


def dominant(wn: WordNet, word: str, pos: str, accepted: set[str]) -> tuple[bool, str]:
    """Whether one of the `accepted` senses is `word`'s usual meaning, and why."""
    senses = wn.senses(word, pos)
    if not senses:
        return False, "not in the index"
    total = sum(count for _, count in senses)
    # Uses of the same spelling as another part of speech ("off" the adverb, "con" the
    # noun) count against the wrongdoing sense too.
    elsewhere = sum(c for other in "nvar" if other != pos for _, c in wn.senses(word, other))
    if elsewhere > total:
        return False, f"usually another part of speech ({elsewhere} tagged uses against {total})"
    first = senses[0][0]
    mine = [(s, c) for s, c in senses if s.key in accepted]
    if not mine:
        return False, "no accepted sense"
    if total == 0:
        if all(s.key in accepted for s, _ in senses):
            return True, "untagged; every sense is a wrongdoing sense"
        return False, f"untagged; {len(senses) - len(mine)} other senses"
    best = max(c for _, c in mine)
    if first.key in accepted and senses[0][1] > 0:
        return True, f"first sense ({senses[0][1]} of {total} tagged uses)"
    if best * 2 >= total:
        return True, f"{best} of {total} tagged uses"
    return False, f"{best} of {total} tagged uses (usual sense: {first.gloss[:50]})"


def usable(word: str) -> bool:
    return all(part.isalpha() or part in {"-", "'"} for part in word.replace(" ", "")) and \
        "one's" not in word and "someone" not in word and "somebody" not in word


def read_review() -> dict[tuple[str, str], tuple[str, str]]:
    path = os.path.join(HERE, "review.tsv")
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t"):
            if not row or row[0].startswith("#"):
                continue
            word, pos, decision, reason = row[0], row[1], row[2], row[3]
            assert decision in {"keep", "drop"}, row
            out[(word, pos)] = (decision, reason)
    return out


def toml_list(words: list[str], indent: str = "  ", width: int = 92) -> str:
    lines, line = [], indent
    for w in words:
        item = f'"{w}", '
        if len(line) + len(item) > width:
            lines.append(line.rstrip())
            line = indent
        line += item
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def write_word_forms(wn: WordNet) -> None:
    path = os.path.join(LEXICONS, "word-forms.txt")
    with open(path, "w", encoding="utf-8") as out:
        out.write("# Irregular word forms, from WordNet 3.0's verb.exc and noun.exc (see\n")
        out.write("# LICENSE-WORDNET): `inflected base` per line. Generated by\n")
        out.write("# scripts/vocabulary/generate.py; copydesk inflects `[lemma]` terms with it.\n")
        for pos in ("v", "n"):
            for inflected, bases in sorted(wn.exceptions[pos].items()):
                if "_" in inflected or not inflected.replace("-", "").replace("'", "").isalpha():
                    continue
                for base in bases:
                    if "_" not in base:
                        out.write(f"{inflected} {base}\n")


def main() -> None:
    wn = WordNet(os.environ.get("WORDNET_DIR", "/usr/share/wordnet"))
    write_word_forms(wn)
    review = read_review()

    # Wrongdoing candidates.
    accepted: dict[str, str] = {}  # synset key -> category
    for lemma, pos, gloss, category in SEEDS:
        for synset in wn.closure(wn.find(lemma, pos, gloss)):
            accepted.setdefault(synset.key, category)
    rows = []
    kept: dict[str, set[tuple[str, str]]] = defaultdict(set)
    seen = set()
    for key, category in accepted.items():
        synset = wn.synsets[key]
        for word in synset.words():
            if (word, synset.pos) in seen or not usable(word):
                continue
            seen.add((word, synset.pos))
            keep, reason = dominant(wn, word, synset.pos, set(accepted))
            decision = "keep" if keep else "drop"
            if (word, synset.pos) in review:
                decision, reason = review[(word, synset.pos)]
                reason = "review: " + reason
            rows.append((word, synset.pos, category, decision, reason, synset.gloss[:80]))
            if decision == "keep":
                kept[category].add((word, synset.pos))
    with open(os.path.join(HERE, "candidates.tsv"), "w", encoding="utf-8") as out:
        out.write("# word\tpos\tcategory\tdecision\treason\tgloss of the wrongdoing sense\n")
        for row in sorted(rows, key=lambda r: (r[2], r[3], r[0])):
            out.write("\t".join(row) + "\n")

    with open(os.path.join(LEXICONS, "wrongdoing.toml"), "w", encoding="utf-8") as out:
        out.write('description = """\nWrongdoing vocabulary generated from WordNet 3.0 by scripts/vocabulary/generate.py\n')
        out.write("(do not edit by hand: add words to review.tsv or to another lexicon file). Only words\n")
        out.write("whose usual meaning is the wrongdoing sense; `[word]` matches every form of it.\n")
        out.write('A word here is a predicate: it makes an accusation only with a party and asserted\nas fact.\n"""\n')
        labels = sorted(w for w, _ in kept.pop("label", set()))
        out.write('\n# People named for a wrongdoing ("crook", "embezzler"): an accusation in the frame\n')
        out.write('# "X is a crook" (see the `wrongdoer-label` rule in phrasal.toml), not on their own.\n')
        out.write('[[class]]\nname = "wrongdoer"\nterms = [\n' + toml_list(labels) + "\n]\n")
        for category in sorted(kept):
            words = sorted(kept[category])
            terms = [f"[{w}]" if pos in "nv" else w for w, pos in words]
            out.write(f'\n[[rule]]\nid = "wordnet-{category}"\nkind = "allegation-term"\n')
            out.write(f'severity = "flag"\nmessage = "{MESSAGES[category]}"\n')
            out.write("terms = [\n" + toml_list(terms) + "\n]\n")
    print(f"wrongdoing: {sum(len(v) for v in kept.values())} words kept of {len(rows)} candidates")
    write_parties(wn, review)
    write_dictionary(wn)


def fnv1a32(word: str) -> int:
    h = 0x811C9DC5
    for b in word.encode("utf-8"):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def write_dictionary(wn: WordNet) -> None:
    """Lemmas WordNet spells in lower case (so not "Newton", but "newton" the unit), as
    sorted 32-bit FNV-1a hashes; copydesk strips inflections before looking a word up."""
    words = set(CHAT_WORDS) | set(FUNCTION_WORDS)
    for synset in wn.synsets.values():
        for word, _ in synset.lemmas:
            if "_" not in word and word == word.lower() and word.replace("-", "").replace("'", "").isalpha():
                words.add(word)
    for pos in ("v", "n", "a"):
        for inflected, bases in wn.exceptions[pos].items():
            if "_" not in inflected and inflected.isalpha() and any(b in words for b in bases):
                words.add(inflected)
    hashes = sorted({fnv1a32(w) for w in words})
    with open(os.path.join(LEXICONS, "dictionary.bin"), "wb") as out:
        header = (
            "copydesk-dictionary\nformat: 1\n"
            "source: WordNet 3.0 lemmas in lower case and their irregular forms, plus chat shorthand (scripts/vocabulary/generate.py)\n"
            f"hash: fnv1a32\nwords: {len(hashes)}\n\n"
        )
        out.write(header.encode("ascii"))
        for h in hashes:
            out.write(h.to_bytes(4, "little"))
    print(f"dictionary: {len(hashes)} words")


def write_parties(wn: WordNet, review: dict) -> None:
    """Nouns whose usual meaning is a person or a group of people, tagged at least once in
    WordNet's corpus (rarer ones add little and cost a bigger automaton)."""
    accepted = set()
    for lemma, pos, gloss in PARTY_ROOTS:
        accepted.update(s.key for s in wn.closure(wn.find(lemma, pos, gloss)))
    words = []
    for (lemma, pos), keys in wn.index.items():
        if pos != "n" or not lemma.replace("-", "").isalpha():
            continue
        senses = wn.senses(lemma, "n")
        first, count = senses[0]
        total = sum(c for _, c in senses)
        if first.key not in accepted or count < 1 or count * 2 < total:
            continue
        elsewhere = sum(c for other in "var" for _, c in wn.senses(lemma, other))
        if elsewhere > total:
            continue
        if review.get((lemma, "party"), ("keep",))[0] == "drop":
            continue
        words.append(f"[{lemma}]")
    with open(os.path.join(LEXICONS, "parties.toml"), "w", encoding="utf-8") as out:
        out.write('description = """\nParties: words that name someone who can be accused, generated from WordNet 3.0 by\n')
        out.write("scripts/vocabulary/generate.py (do not edit by hand). Nouns whose usual meaning is a\n")
        out.write("person or a group of people, and the pronouns that stand for one. An allegation\n")
        out.write('needs a party: "fraud is rising" accuses no one.\n"""\n')
        out.write('\n[[rule]]\nid = "party-noun"\nkind = "party"\nseverity = "ok"\n')
        out.write('message = "\'{match}\' names a party."\n')
        out.write("terms = [\n" + toml_list(sorted(words)) + "\n]\n")
        out.write('\n[[rule]]\nid = "party-pronoun"\nkind = "party"\nseverity = "ok"\n')
        out.write('message = "\'{match}\' stands for a party."\n')
        out.write("terms = [\n" + toml_list(PARTY_PRONOUNS) + "\n]\n")
    print(f"parties: {len(words)} nouns")


if __name__ == "__main__":
    main()
