"""Brand-directed training and validation data: tweets *to* and *about* brands.

The first advocacy model learnt from SemEval topics and SXSW brand emotion, which have almost
no complaints addressed to a brand; real brand conversations are complaint-heavy. This module
reads the brand-directed sets of ``../shared/data`` (see its README for sources and caveats):

- ``targeted_twitter/train.csv`` (Dong et al. 2014, train split only): sentiment toward a target;
- ``entity_sentiment/entity_sentiment.csv``: sentiment toward 32 brands and games (noisy);
- ``brand_tweets/apple_crowdflower.csv`` and ``sanders.csv``: tweets to and about @apple & co.;
- ``brand_tweets/complaints.csv``: complaint vs not to a company's account. ``not_complaint``
  mixes praise, thanks and questions, so it is a *partial* label: "advocacy or none, not
  badvocacy" (``PARTIAL_NOT_BAD``), which the training loss handles as a set of allowed labels.

Every reader returns ``Example`` records with a ``group`` key: near-duplicate texts (retweets,
copies that differ in a handle, link or number) share a group, and ``grouped_split`` keeps a
group on one side, so no tweet or near-copy sits in both training and validation.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.types import AdvocacyInput

#: A partial label: the example is known not to be badvocacy (complaints.csv ``not_complaint``).
PARTIAL_NOT_BAD = "advocacy|none"

_SENT_TO_ADV = {"negative": "badvocacy", "neutral": "none", "positive": "advocacy"}

#: How each entity of ``entity_sentiment`` is written in tweets (first match is marked).
ENTITY_ALIASES: dict[str, tuple[str, ...]] = {
    "CallOfDutyBlackopsColdWar": (
        "black ops cold war",
        "blackops",
        "cold war",
        "call of duty",
        "cod",
    ),
    "Xbox(Xseries)": ("xbox series x", "xbox series s", "xbox", "xseries"),
    "PlayStation5(PS5)": ("playstation 5", "playstation", "ps5"),
    "WorldOfCraft": ("world of warcraft", "warcraft", "wow"),
    "CS-GO": ("counter strike", "csgo", "cs go"),
    "AssassinsCreed": ("assassin's creed", "assassins creed", "assassin"),
    "ApexLegends": ("apex legends", "apex"),
    "LeagueOfLegends": ("league of legends", "leagueoflegends", "league"),
    "PlayerUnknownsBattlegrounds(PUBG)": ("pubg", "battlegrounds"),
    "HomeDepot": ("home depot", "homedepot"),
    "RedDeadRedemption(RDR)": ("red dead redemption", "red dead", "rdr2", "rdr"),
    "CallOfDuty": ("call of duty", "callofduty", "cod"),
    "TomClancysRainbowSix": ("rainbow six", "rainbow 6", "rainbowsix", "r6", "siege"),
    "GrandTheftAuto(GTA)": ("grand theft auto", "gta v", "gta 5", "gta5", "gtav", "gta"),
    "johnson&johnson": ("johnson & johnson", "johnson and johnson", "j&j", "johnson"),
    "Cyberpunk2077": ("cyberpunk 2077", "cyberpunk2077", "cyberpunk"),
    "TomClancysGhostRecon": ("ghost recon", "ghostrecon", "breakpoint"),
    "Dota2": ("dota 2", "dota2", "dota"),
    "MaddenNFL": ("madden nfl", "madden"),
    "NBA2K": ("nba 2k", "nba2k", "2k21", "2k20", "2k"),
}


@dataclass(frozen=True)
class Example:
    """One labelled (post, target) pair; ``group`` ties near-duplicates together."""

    item: AdvocacyInput
    label: str
    source: str
    group: str


_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
_NONWORD = re.compile(r"[^a-z]+")


def near_dup_key(text: str) -> str:
    """Text with retweet prefix, links, handles, digits and punctuation removed.

    Two tweets with the same key are copies for our purposes (a retweet, the same complaint
    to two handles, a link that differs): they must not straddle a train/validation split.
    """
    t = text.lower()
    t = re.sub(r"^\s*rt\b", " ", t)
    t = _URL.sub(" ", t)
    t = _HANDLE.sub(" ", t)
    return " ".join(_NONWORD.sub(" ", t).split())


def _group(text: str) -> str:
    key = near_dup_key(text)
    # The first 12 words catch copies whose tails differ (truncated retweets, added tags).
    head = " ".join(key.split()[:12]) if len(key.split()) >= 8 else key
    return hashlib.sha256(head.encode("utf-8")).hexdigest()[:16]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        from grapevine.core.errors import InputError

        raise InputError(
            f"training data file {path} not found",
            hint="pass --data-dir pointing at the shared data folder (see its README)",
        )
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


_DETOK = (
    (re.compile(r" (['’]) ?(s|t|re|ve|ll|d|m)\b"), r"\1\2"),
    (re.compile(r" ([.,!?;:%)])"), r"\1"),
    (re.compile(r"([($]) "), r"\1"),
    (re.compile(r"` ?` ?|'' ?"), '"'),
    (re.compile(r" ` ?"), " '"),
)


def detokenise(text: str) -> str:
    """Undo the Dong et al. tokenisation (``it ' s awesome .``) so it reads like a tweet."""
    for pattern, repl in _DETOK:
        text = pattern.sub(repl, text)
    return re.sub(r"\s+", " ", text).strip()


def targeted_twitter(data_dir: Path) -> list[Example]:
    """Dong et al. (2014) training split: sentiment toward a named target → advocacy labels."""
    out = []
    for r in _rows(data_dir / "targeted_twitter" / "train.csv"):
        text = detokenise(r["text"])
        out.append(
            Example(
                AdvocacyInput(text, r["target"]),
                _SENT_TO_ADV[r["label"]],
                "targeted_twitter",
                _group(text),
            )
        )
    return out


def _find_alias(text: str, aliases: Sequence[str]) -> str | None:
    from nlp.text import locate_brand

    for alias in aliases:
        if locate_brand(text, alias):
            return alias
    return None


def entity_sentiment(data_dir: Path) -> list[Example]:
    """Entity-level tweets; ``irrelevant`` (not about the entity) counts as ``none``.

    The entity is located by its usual spellings; when none is in the text, the target marker
    goes in front (the model then judges the post for an unnamed entity, as for replies).
    """
    mapping = {**_SENT_TO_ADV, "irrelevant": "none"}
    out = []
    for r in _rows(data_dir / "entity_sentiment" / "entity_sentiment.csv"):
        text = r["text"].strip()
        if not text:
            continue
        entity = r["entity"]
        aliases = (*ENTITY_ALIASES.get(entity, ()), entity)
        target = _find_alias(text, aliases) or entity
        out.append(
            Example(
                AdvocacyInput(text, target), mapping[r["label"]], "entity_sentiment", _group(text)
            )
        )
    return out


def apple_crowdflower(data_dir: Path) -> list[Example]:
    """Tweets to @apple / about $AAPL (December 2014); ``irrelevant`` → ``none``."""
    mapping = {**_SENT_TO_ADV, "irrelevant": "none"}
    out = []
    for r in _rows(data_dir / "brand_tweets" / "apple_crowdflower.csv"):
        text = r["text"]
        target = _find_alias(text, ("apple", "aapl", "iphone", "ipad", "itunes")) or "Apple"
        out.append(
            Example(
                AdvocacyInput(text, target), mapping[r["label"]], "apple_crowdflower", _group(text)
            )
        )
    return out


def sanders(data_dir: Path) -> list[Example]:
    """Sanders corpus (2011); ``irrelevant`` rows are mostly non-English or off-topic: dropped."""
    out = []
    for r in _rows(data_dir / "brand_tweets" / "sanders.csv"):
        if r["label"] == "irrelevant":
            continue
        text = r["text"]
        out.append(
            Example(
                AdvocacyInput(text, r["target"]), _SENT_TO_ADV[r["label"]], "sanders", _group(text)
            )
        )
    return out


def complaints(data_dir: Path) -> list[Example]:
    """Complaints to company accounts: ``negative`` → badvocacy, else advocacy-or-none.

    Only company-domain rows with a handle are used; the handle is the target (the source's
    ``target`` column is the first handle in the text).
    """
    out = []
    for r in _rows(data_dir / "brand_tweets" / "complaints.csv"):
        if r["domain"].startswith("random") or not r["target"]:
            continue
        text = r["text"]
        label = "badvocacy" if r["label"] == "negative" else PARTIAL_NOT_BAD
        out.append(Example(AdvocacyInput(text, r["target"]), label, "complaints", _group(text)))
    return out


#: Validation sets, fully labelled, that look like the product's stream (tweets to and about
#: brands): label priors are fitted on them. complaints.csv is partial, so it is reported only.
BRAND_ADDRESSED = ("apple_crowdflower", "sanders", "entity_sentiment")
#: What label priors are fitted on (``nlp.train.fit_calibration``), each set counted equally:
#: the brand-addressed sets, Dong et al.'s targeted tweets, and the complaints scored as
#: badvocacy-or-not. The product is judged on complaint-heavy brand conversations and on
#: Dong's test split; fitted on the addressed sets alone (mostly praise and chatter), the
#: priors pushed posts away from badvocacy (first joint model: badvocacy bias −1.1).
PRIOR_SETS = (*BRAND_ADDRESSED, "targeted_twitter", "complaints")
#: Sets labelled only "badvocacy or not" (``advocacy|none`` partial labels).
BAD_OR_NOT_SETS = ("complaints",)


def all_brand_examples(data_dir: Path) -> list[Example]:
    """Every brand-directed example, in a fixed order."""
    return [
        *targeted_twitter(data_dir),
        *entity_sentiment(data_dir),
        *apple_crowdflower(data_dir),
        *sanders(data_dir),
        *complaints(data_dir),
    ]


def grouped_split(
    examples: Iterable[Example], val_share: float = 0.15, salt: str = "grapevine-13"
) -> tuple[list[Example], list[Example]]:
    """(train, validation) by a hash of each example's group: deterministic, leak-free.

    Groups are global across sources, so a tweet that appears in two data sets (e.g. Sanders
    and Apple CrowdFlower) lands on the same side in both.
    """
    train: list[Example] = []
    val: list[Example] = []
    for ex in examples:
        h = int(hashlib.sha256(f"{salt}:{ex.group}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (val if h < val_share else train).append(ex)
    return train, val
