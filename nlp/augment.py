"""Programmatic training examples for what real brand conversations contain and the public
data sets lack: never-again and switching threats, sarcastic thanks, negation, waiting for
service, polite questions, comparisons with a harsh clause, and replies judged in a thread.

Every example uses fictional brand names (``nlp.data.FAKE_BRANDS``) and templates written for
this project, so nothing here copies an evaluation set. Each template carries the label a
customer reading it would give (DESIGN.md section 6, the labelling guide). The evaluation of
these behaviours in ``tests/unit/nlp`` uses *different* sentences, so passing them means the
model generalised, not that it memorised a template.
"""

from __future__ import annotations

import random
import re

from nlp.types import AdvocacyInput

FAKE_BRANDS = (
    "Acme Air",
    "Globex",
    "Initech",
    "Umbrella Bank",
    "Stark Mobile",
    "Wayne Foods",
    "Hooli",
    "Vandelay Shoes",
    "Soylent Cafe",
    "Cyberdyne",
    "Tyrell Motors",
    "Wonka",
    "Oscorp Energy",
    "Nakatomi Hotels",
    "Monarch Telecom",
    "Pied Piper",
    "Dunder Paper",
    "Gringotts",
    "Zorg",
    "Blue Sun",
    "Veridian Dynamics",
    "Massive Dynamic",
    "Aperture",
    "Octan",
    "Krusty Burger",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Skyline Air",
    "Volta Bikes",
)

_THINGS = (
    ("flight", "flew"),
    ("order", "ordered"),
    ("bag", "checked"),
    ("package", "ordered"),
    ("phone", "bought"),
    ("bike", "bought"),
    ("refund", "asked for"),
    ("booking", "made"),
    ("delivery", "paid for"),
    ("subscription", "paid for"),
)
_DURATIONS = ("2 hours", "45 minutes", "3 days", "a week", "two weeks", "an hour", "5 hours")

#: (template, label). ``{a}`` is the brand, ``{t}`` a thing, ``{d}`` a duration.
SINGLE: tuple[tuple[str, str], ...] = (
    # never again / last time / leaving
    ("I will never use {a} again!", "badvocacy"),
    ("{a} I would never fly with you again after today", "badvocacy"),
    ("This was my last {t} with {a}. Done.", "badvocacy"),
    ("That's the last time I give {a} my money", "badvocacy"),
    ("Congrats {a}, you just lost a loyal customer", "badvocacy"),
    ("Cancelling my {a} account today. Enough is enough", "badvocacy"),
    ("Looking for alternatives to {a}, any suggestions? this is the third time", "badvocacy"),
    ("{a} next time I'm booking with another company", "badvocacy"),
    ("Switching away from {a} as soon as my contract ends", "badvocacy"),
    ("never again {a}. never.", "badvocacy"),
    ("Goodbye {a}, it was not nice knowing you", "badvocacy"),
    # sarcasm
    ("{a} delayed my {t} again. Thanks a lot!!", "badvocacy"),
    ("Great job {a}, {d} on hold 👏👏", "badvocacy"),
    ("Love how {a} lost my {t}. Again. Amazing.", "badvocacy"),
    ("Thanks {a} for cancelling with zero notice. Awesome service as always", "badvocacy"),
    ("Wow {a}, another {d} delay. You never disappoint 🙄", "badvocacy"),
    ("Oh good, {a} charged me twice. Fantastic.", "badvocacy"),
    ("{a} really knows how to make customers feel special... by ignoring them", "badvocacy"),
    ("Nothing says customer care like {a} hanging up on you after {d}", "badvocacy"),
    ("Thank you {a} for ruining my weekend 🙃", "badvocacy"),
    ("shoutout to {a} for the {d} wait, truly world class", "badvocacy"),
    # negation
    ("{a} is not good at all", "badvocacy"),
    ("Not happy with {a}, not happy at all", "badvocacy"),
    ("I wouldn't recommend {a} to anyone", "badvocacy"),
    ("{a} never fails to disappoint", "badvocacy"),
    ("can't say I'd ever trust {a} with my {t} again", "badvocacy"),
    ("{a} was not bad at all, actually really good", "advocacy"),
    ("Never had a single problem with {a}", "advocacy"),
    ("No complaints about {a}, smooth {t} and friendly staff", "advocacy"),
    ("{a} didn't disappoint, would book again", "advocacy"),
    ("Can't fault {a} at all, brilliant", "advocacy"),
    ("I was not expecting much from {a} but wow, impressed", "advocacy"),
    # waiting for service (a complaint, even when phrased as a question)
    ("{a} still waiting on a response", "badvocacy"),
    ("{a} {d} and still no {t}", "badvocacy"),
    ("hey {a} been on hold for {d}, is anyone there?", "badvocacy"),
    ("{a} why is my {t} still not here? {d} late", "badvocacy"),
    ("{a} you said you'd call back {d} ago", "badvocacy"),
    ("@{h} third email, no reply. what is going on", "badvocacy"),
    ("{a} my {t} is {d} late and your app says nothing", "badvocacy"),
    # polite questions and service requests: no stance
    ("Hello {a}! Can you tell me if you fly to Hawaii? Thanks!", "none"),
    ("{a} do you have wifi on international flights? thank you", "none"),
    ("@{h} what's the baggage allowance for economy?", "none"),
    ("{a} how do I change the address on my {t}?", "none"),
    ("Does {a} ship to Canada?", "none"),
    ("{a} is there a student discount? Thanks in advance :)", "none"),
    ("hi {a}, can I bring my dog on board?", "none"),
    ("{a} please DM me, I need to update my {t} details. Thanks!", "none"),
    ("Quick question for {a}: when does the sale start?", "none"),
    ("{a} is my {t} eligible for the new offer? thanks", "none"),
    ("{a} announced new opening hours today", "none"),
    ("Heading to the {a} store later", "none"),
    # genuine praise
    ("{a} crew was amazing today, thank you!", "advocacy"),
    ("Shoutout to {a} for sorting my {t} in 5 minutes, impressed", "advocacy"),
    ("Best {t} experience ever with {a}", "advocacy"),
    ("Thank you {a} for the quick refund, painless", "advocacy"),
    ("{a} you guys rock, got my {t} a day early", "advocacy"),
    ("If you need a {t}, go with {a}. Trust me", "advocacy"),
)

#: Comparisons where one clause is harsh about the other brand: (template, label a, label b).
COMPARATIVE: tuple[tuple[str, str, str], ...] = (
    ("Moved to {a} after years with {b}. {b} was an absolute disaster", "advocacy", "badvocacy"),
    ("{a} is great. {b} on the other hand is garbage", "advocacy", "badvocacy"),
    ("Went with {a} this time and loved it. {b} can rot", "advocacy", "badvocacy"),
    ("{b} ruined my trip, {a} saved it. Never using {b} again", "advocacy", "badvocacy"),
    ("Ditched {b} for {a}, couldn't be happier. {b} support is horrible", "advocacy", "badvocacy"),
    (
        "So glad I picked {a}. My friend used {b} and it was a total nightmare",
        "advocacy",
        "badvocacy",
    ),
    ("{a} 10/10. {b} 0/10, worst company I've dealt with", "advocacy", "badvocacy"),
    ("Used to be loyal to {b} until they scammed me. {a} all the way now", "advocacy", "badvocacy"),
    ("{b} is a joke, {a} actually cares about customers", "advocacy", "badvocacy"),
    ("Tried {b} once, awful. {a} has been perfect ever since", "advocacy", "badvocacy"),
    ("Both {a} and {b} lost my stuff, avoid them", "badvocacy", "badvocacy"),
    ("{a} or {b} for a weekend trip? no idea which", "none", "none"),
    ("{a} and {b} are both fine honestly", "advocacy", "advocacy"),
)

#: Parent posts of a thread: (template, label toward {a}).
PARENTS: tuple[tuple[str, str], ...] = (
    ("My {a} battery swelled after 3 months. Avoid.", "badvocacy"),
    ("{a} lost my luggage and won't answer emails", "badvocacy"),
    ("Anyone else's {a} {t} broken after a week? Mine is dead", "badvocacy"),
    ("Honestly {a} is the worst, {d} waiting for a refund", "badvocacy"),
    ("Just got my {a} {t} and it's amazing", "advocacy"),
    ("{a} support sorted my problem in minutes, love them", "advocacy"),
    ("Been with {a} for years, never let me down", "advocacy"),
    ("Thinking of getting a {t} from {a}, any thoughts?", "none"),
    ("Has anyone here used {a}?", "none"),
    ("{a} just announced a new {t} plan", "none"),
)

#: Replies: (template, how its label follows from the parent's).
#: "agree": same as the parent (none stays none); "bad"/"good"/"none": fixed;
#: "flip": the opposite of a stanced parent (none when the parent has none).
REPLIES: tuple[tuple[str, str], ...] = (
    ("same here, mine did the exact same thing", "agree"),
    ("+1, happened to me as well", "agree"),
    ("this. exactly this.", "agree"),
    ("can confirm", "agree"),
    ("Totally agree with you", "agree"),
    ("yep, same experience", "agree"),
    ("don't, they never refund", "bad"),
    ("avoid them. trust me on this", "bad"),
    ("mine broke too, customer service was useless", "bad"),
    ("stay away, worst decision I made", "bad"),
    ("really? mine has been flawless for 2 years", "good"),
    ("never had that problem, love mine", "good"),
    ("Go for it, best thing I ever bought", "good"),
    ("their support fixed mine in a day, highly recommend", "good"),
    ("which model did you get?", "none"),
    ("how long did shipping take?", "none"),
    ("where did you buy it?", "none"),
    ("what colour is it?", "none"),
    ("lol nice pic", "none"),
    ("wait, is this the new one?", "none"),
    ("lucky you, mine fell apart in a week", "flip_bad"),
    ("weird, I've had nothing but good experiences with them", "flip_good"),
)


def _slots(rng: random.Random) -> dict[str, str]:
    thing, _ = rng.choice(_THINGS)
    return {"t": thing, "d": rng.choice(_DURATIONS)}


def _handle(brand: str) -> str:
    return re.sub(r"\W+", "", brand)


def _fill(template: str, names: dict[str, str]) -> tuple[str, dict[str, list[tuple[int, int]]]]:
    """Fill ``{x}`` slots; return the text and the spans of the brand slots ``a``/``b``/``h``."""
    out: list[str] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    pos = 0
    length = 0
    for m in re.finditer(r"\{(\w)\}", template):
        chunk = template[pos : m.start()]
        out.append(chunk)
        length += len(chunk)
        value = names[m.group(1)]
        spans.setdefault(m.group(1), []).append((length, length + len(value)))
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), spans


def _brand_case(rng: random.Random, brand: str) -> str:
    r = rng.random()
    return brand.lower() if r < 0.25 else brand.upper() if r < 0.3 else brand


def single_brand(n_per_template: int, rng: random.Random) -> tuple[list[AdvocacyInput], list[str]]:
    """Never-again, sarcasm, negation, waiting, questions and praise about one brand."""
    inputs, labels = [], []
    for template, label in SINGLE:
        for _ in range(n_per_template):
            brand = _brand_case(rng, rng.choice(FAKE_BRANDS))
            names = {**_slots(rng), "a": brand, "h": _handle(brand)}
            template_used = template
            if template.startswith("{a}") and rng.random() < 0.4:
                # Addressed to the brand's account, as most complaints are.
                template_used = "@{h} " + template[3:].lstrip(" ,:")
            text, _ = _fill(template_used, names)
            inputs.append(AdvocacyInput(text, brand))
            labels.append(label)
    return inputs, labels


def comparatives(n_per_template: int, rng: random.Random) -> tuple[list[AdvocacyInput], list[str]]:
    """Two brands in one post, a label for each (target marked, the other masked)."""
    inputs, labels = [], []
    for template, label_a, label_b in COMPARATIVE:
        for _ in range(n_per_template):
            a, b = (_brand_case(rng, x) for x in rng.sample(FAKE_BRANDS, 2))
            text, spans = _fill(template, {**_slots(rng), "a": a, "b": b})
            for target, other, label in ((a, "b", label_a), (b, "a", label_b)):
                key = "a" if target is a else "b"
                start, end = spans[key][0]
                inputs.append(
                    AdvocacyInput(text, target, start, end, other_spans=tuple(spans[other]))
                )
                labels.append(label)
    return inputs, labels


_FLIP = {"advocacy": "badvocacy", "badvocacy": "advocacy", "none": "none"}


def _reply_label(kind: str, parent: str) -> str:
    if kind == "agree":
        return parent
    if kind == "flip_bad":
        return "badvocacy" if parent == "advocacy" else "none" if parent == "none" else "badvocacy"
    if kind == "flip_good":
        return "advocacy" if parent == "badvocacy" else "none" if parent == "none" else "advocacy"
    return {"bad": "badvocacy", "good": "advocacy", "none": "none"}[kind]


def thread_replies(n: int, rng: random.Random) -> tuple[list[AdvocacyInput], list[str]]:
    """Replies that name no brand, judged toward the parent's brand with the parent as context."""
    inputs, labels = [], []
    for _ in range(n):
        parent_t, parent_label = rng.choice(PARENTS)
        reply_t, kind = rng.choice(REPLIES)
        brand = _brand_case(rng, rng.choice(FAKE_BRANDS))
        parent, spans = _fill(parent_t, {**_slots(rng), "a": brand})
        reply = reply_t if rng.random() < 0.7 else reply_t.capitalize()
        inputs.append(
            AdvocacyInput(reply, brand, context=parent, context_spans=tuple(spans.get("a", [])))
        )
        labels.append(_reply_label(kind, parent_label))
    return inputs, labels


def augmented(
    seed: int = 13, per_template: int = 12, replies: int = 2500
) -> tuple[list[AdvocacyInput], list[str]]:
    """All programmatic examples, deterministic for a seed."""
    rng = random.Random(seed)
    a_in, a_y = single_brand(per_template, rng)
    c_in, c_y = comparatives(per_template, rng)
    r_in, r_y = thread_replies(replies, rng)
    return a_in + c_in + r_in, a_y + c_y + r_y
