"""CEFR levels of English words (CEFR-J Wordlist) and a small base-form rule."""

from __future__ import annotations

import functools
from importlib import resources

LEVELS = ("A1", "A2", "B1", "B2")
"""The levels the shipped list covers, lowest first."""

_WORDS_FILE = "cefr_words.tsv"

# Irregular forms the suffix rule cannot find, as "base: form form ...". Verb
# pasts and participles, plural nouns, comparatives, and the spoken
# contractions a transcript writes as one word.
_IRREGULAR = """
arise: arose arisen
awake: awoke awoken
be: am is are was were been being ain't
bear: bore borne born
beat: beaten
become: became
begin: began begun
bend: bent
bind: bound
bite: bit bitten
bleed: bled
blow: blew blown
break: broke broken
breed: bred
bring: brought
build: built
burn: burnt
buy: bought
can: could cannot can't
catch: caught
choose: chose chosen
cling: clung
come: came
creep: crept
deal: dealt
dig: dug
do: does did done doing
draw: drew drawn
dream: dreamt
drink: drank drunk
drive: drove driven
eat: ate eaten
fall: fell fallen
feed: fed
feel: felt
fight: fought
find: found
flee: fled
fly: flew flown
forbid: forbade forbidden
forget: forgot forgotten
forgive: forgave forgiven
freeze: froze frozen
get: got gotten gotta
give: gave given
go: goes went gone going gonna
grind: ground
grow: grew grown
hang: hung
have: has had having
hear: heard
hide: hid hidden
hold: held
keep: kept
kneel: knelt
know: knew known
lay: laid
lead: led
lean: leant
leap: leapt
learn: learnt
leave: left
lend: lent
lie: lay lain
light: lit
lose: lost
make: made
mean: meant
meet: met
mistake: mistook mistaken
overcome: overcame
pay: paid
ride: rode ridden
ring: rang rung
rise: rose risen
run: ran
say: said
see: saw seen
seek: sought
sell: sold
send: sent
sew: sewn
shake: shook shaken
shall: should shan't
shine: shone
shoot: shot
show: shown
shrink: shrank shrunk
sing: sang sung
sink: sank sunk
sit: sat
sleep: slept
slide: slid
speak: spoke spoken
speed: sped
spell: spelt
spend: spent
spill: spilt
spin: spun
spit: spat
spoil: spoilt
spring: sprang sprung
stand: stood
steal: stole stolen
stick: stuck
sting: stung
strike: struck
swear: swore sworn
sweep: swept
swell: swollen
swim: swam swum
swing: swung
take: took taken
teach: taught
tear: tore torn
tell: told
think: thought
throw: threw thrown
understand: understood
wake: woke woken
want: wanna
wear: wore worn
weave: wove woven
weep: wept
will: would won't
win: won
wind: wound
withdraw: withdrew withdrawn
write: wrote written
child: children
man: men
woman: women
person: people
foot: feet
tooth: teeth
mouse: mice
goose: geese
knife: knives
life: lives
wife: wives
leaf: leaves
half: halves
shelf: shelves
wolf: wolves
thief: thieves
good: better best
well: better best
bad: worse worst
far: further furthest farther farthest
"""

# Spoken hesitations and interjections the list does not have: not vocabulary,
# so not in the shares (``okay`` and ``yeah`` are listed, and count).
FILLERS = frozenset("uh um er erm uhm ah oh eh huh hmm hm mm mmm mhm wow".split())

_CLITICS = ("n't", "'s", "'re", "'ve", "'ll", "'d", "'m")
_VOWELS = frozenset("aeiou")
_MIN_STEM = 3


@functools.cache
def _irregular() -> dict[str, tuple[str, ...]]:
    bases: dict[str, list[str]] = {}
    for line in _IRREGULAR.strip().splitlines():
        base, forms = line.split(":")
        for form in forms.split():
            bases.setdefault(form, []).append(base)
    return {form: tuple(found) for form, found in bases.items()}


@functools.cache
def word_levels() -> dict[str, str]:
    """The shipped CEFR-J word list: each single word and its lowest level."""
    text = (
        resources.files(__name__.rpartition(".")[0])
        .joinpath(_WORDS_FILE)
        .read_text(encoding="utf-8")
    )
    levels = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            word, level = line.split("\t")
            levels[word] = level
    return levels


def base_forms(token: str) -> set[str]:
    """Forms ``token`` may be an inflection of, itself included.

    The rule is deliberately simple (no dictionary, no part of speech):
    the irregular table above; a contraction's host (``don't`` -> ``do``,
    ``she's`` -> ``she``); and the regular suffixes -s/-es/-ies/-ves,
    -ed/-d/-ied, -ing (with a restored -e or an undoubled consonant:
    ``making`` -> ``make``, ``running`` -> ``run``), -er/-est and their
    spelling variants, keeping stems of three letters or more. It
    overgenerates (``glasses`` also gives ``glasse``), so callers keep only
    the candidates that mean something to them (a listed word, a target).

    Args:
        token: A lower-case word token.

    Returns:
        The token and every base form the rule proposes.
    """
    forms = {token}
    forms.update(_irregular().get(token, ()))
    host = _host(token)
    if host != token:
        forms.add(host)
        forms.update(_irregular().get(host, ()))
    for stem in _suffix_stems(host):
        if len(stem) >= _MIN_STEM:
            forms.add(stem)
    return forms


def level(token: str) -> str | None:
    """The CEFR level of a word token, or None when the list does not have it.

    An irregular form takes the lowest level of itself and its base
    (``found`` is listed at B2 as "to found a company", but as the past of
    ``find`` it is A1). Regular suffixes are only stripped when the form
    itself is not listed, so a listed derived word keeps its own level.

    Args:
        token: A lower-case word token.

    Returns:
        ``A1``, ``A2``, ``B1``, ``B2`` or None.
    """
    words = word_levels()
    found = [words[token]] if token in words else []
    found += [words[base] for base in _irregular().get(token, ()) if base in words]
    if not found:
        found = [words[form] for form in base_forms(token) if form in words]
    return min(found, key=LEVELS.index) if found else None


def _host(token: str) -> str:
    for clitic in _CLITICS:
        if token.endswith(clitic) and len(token) > len(clitic):
            return token[: -len(clitic)]
    return token


def _suffix_stems(token: str) -> list[str]:
    stems: list[str] = []
    for suffix, replacements in (
        ("ies", ("y",)),
        ("ves", ("f", "fe")),
        ("es", ("",)),
        ("s", ("",)),
        ("ied", ("y",)),
        ("ed", ("", "e")),
        ("ying", ("ie",)),
        ("ing", ("", "e")),
        ("ier", ("y",)),
        ("er", ("", "e")),
        ("iest", ("y",)),
        ("est", ("", "e")),
    ):
        if token.endswith(suffix):
            stem = token[: -len(suffix)]
            stems.extend(stem + ending for ending in replacements)
            if _doubled(stem):
                stems.append(stem[:-1])
    return stems


def _doubled(stem: str) -> bool:
    """``stopp``, ``runn``, ``bigg``: a consonant doubled before a suffix."""
    return len(stem) >= 2 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS
