"""Checks on the bundled corpus (data/raw): schema, uniqueness, near-duplicates, balance."""

import json
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from dprk_stance.config import Config
from dprk_stance.ingest import ingest
from dprk_stance.split import assign_splits
from dprk_stance.stances import LABELS
from dprk_stance.text import KYONGJE, NEAR_DUPLICATE_ACROSS_SPLITS, char_jaccard, negation_scopes

NEAR_DUPLICATE = 0.5  # character 5-gram Jaccard; the corpus's closest pair is below 0.3


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    cfg = Config.load(REPO / "params.yaml")
    data = cfg.to_dict()
    data["paths"] = {
        **data["paths"],
        "raw_dir": str(REPO / "data" / "raw"),
        "processed_dir": str(root),
    }
    cfg = Config.from_dict(data)
    report = ingest(cfg)
    return cfg, report, pd.read_parquet(Path(root) / "passages.parquet")


def test_every_row_is_valid(corpus):
    _, report, table = corpus
    assert report["rows_rejected"] == 0, report["rejected_by_reason"]
    assert table["id"].is_unique
    assert not report["unrecognised_journals"]


def test_size_and_balance(corpus):
    _, report, table = corpus
    assert len(table) >= 2500 and table["doc_id"].nunique() >= 400
    for label in LABELS:
        assert report["labels"][label] >= 280, label
    assert report["labels"]["none"] >= 500
    assert (table["difficulty"] == "hard").mean() >= 0.30
    assert set(range(2012, 2024)) <= set(table["year"])
    assert table.groupby("label")["topic"].nunique().min() >= 8
    assert (table["text"].str.split().str.len() <= 25).mean() >= 0.25
    # Kyŏngje Yŏn'gu stopped in late 2020
    assert table.loc[table["journal"] == KYONGJE, "year"].max() <= 2020


def test_articles_are_consistent(corpus):
    _, _, table = corpus
    per_doc = table.groupby("doc_id")[["journal", "year", "issue", "title", "topic"]].nunique()
    assert (per_doc == 1).all().all()
    assert table.groupby("doc_id").size().between(1, 9).all()


def _jaccard(texts: list[str]) -> np.ndarray:
    jac = char_jaccard(texts, texts)
    np.fill_diagonal(jac, 0)
    return jac


def test_no_near_duplicates_anywhere_or_across_splits(corpus):
    cfg, _, table = corpus
    jac = _jaccard(table["text"].tolist())
    i, j = np.unravel_index(jac.argmax(), jac.shape)
    assert jac.max() < NEAR_DUPLICATE, (table["id"][i], table["id"][j], jac.max())
    splits = assign_splits(table, cfg)
    across = splits[:, None] != splits[None, :]
    assert (jac * across).max() < NEAR_DUPLICATE_ACROSS_SPLITS


def test_datasheet_counts_match_ingest(corpus):
    _, report, table = corpus
    sheet = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    total = re.search(r"\*\*(\d[\d,]*) passages\*\* in \*\*(\d+) articles\*\*", sheet)
    assert total, "datasheet must state '**N passages** in **M articles**'"
    assert int(total.group(1).replace(",", "")) == report["rows_kept"]
    assert int(total.group(2)) == report["documents"]
    for label in LABELS:
        row = re.search(rf"^\| `{label}` \| (\d+) \|", sheet, re.M)
        assert row and int(row.group(1)) == report["labels"][label], label
    hard = re.search(r"^\| hard \| (\d+) \|", sheet, re.M)
    assert hard and int(hard.group(1)) == int((table["difficulty"] == "hard").sum())


def _second_edition(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["source"].str.contains(r"passages-(?:0[7-9]|10)\.jsonl")]


def test_second_edition_targets(corpus):
    """Issue targets for the second edition: restrictive-trade conservative passages, other
    registers per stance, contrast pairs with negation pairs among them."""
    _, _, table = corpus
    new = _second_edition(table)
    restrictive = new[(new["label"] == "conservative") & new["source"].str.contains("-07")]
    assert len(restrictive) >= 200
    other = new[~new["register"].isin(["journal-article", "", None]) & (new["label"] != "none")]
    for label in ("pro-decentralization", "pro-diversification", "conservative"):
        assert (other["label"] == label).sum() >= 100, label
    pairs = new[new["pair_id"].fillna("") != ""].groupby("pair_id")
    two_stances = [p for p, g in pairs if g["label"].nunique() == 2 and len(g) == 2]
    assert len(two_stances) >= 150
    negation = [p for p, g in pairs if g["notes"].fillna("").str.contains("negation").any()]
    assert len(negation) >= 50


def test_suspicion_without_a_demand_is_taught(corpus):
    """Batch 16 (guidelines section 2, "Suspicion stated as analysis"): conservative passages
    that voice suspicion of the powers' offers with no demand word, beside contrast passages
    on the same vocabulary labelled otherwise."""
    _, _, table = corpus
    batch = table[table["source"].str.contains("passages-16.jsonl:", regex=False)]
    demand = batch["text"].str.contains(
        r"\b(?:must|should|necessary|need to|let us)\b", case=False, regex=True
    )
    assert ((batch["label"] == "conservative") & ~demand).sum() >= 100
    assert (batch["label"] == "none").sum() >= 50
    assert (batch["label"] == "pro-diversification").sum() >= 50
    pairs = batch[batch["pair_id"].fillna("") != ""].groupby("pair_id")["label"]
    assert sum(labels.nunique() == 2 for _, labels in pairs) >= 60


# Written for this test, apart from the corpus and the kinds: the powers' offers as a trap,
# with no demand in them (guidelines section 2, "Suspicion stated as analysis").
SUSPICION = [
    "Each credit line the financial powers open to a weak state is a rope tied round its treasury.",
    "Where the monopolies put up a factory, the host country keeps the smoke and they keep "
    "the patents.",
    "A harvest bought from abroad each spring is a harvest someone else can refuse to sell.",
    "The markets that were opened to the big companies' goods were never opened to the small "
    "countries' goods in return.",
]


def _tfidf_with_and_without(corpus, batch_file: str, texts: list[str]):
    """Uncalibrated (n, 4) probabilities for ``texts`` from tf-idf (params.yaml settings)
    trained on the corpus's train split with, then without, the passages of ``batch_file``."""
    from dprk_stance.models import build_model
    from dprk_stance.stances import LABEL2ID

    cfg, _, table = corpus
    train = table[assign_splits(table, cfg) == "train"]
    batch = train["source"].str.contains(f"{batch_file}:", regex=False)

    def probabilities(rows: pd.DataFrame) -> np.ndarray:
        model = build_model("tfidf-logreg", cfg.tfidf_logreg, cfg.seed)
        y = rows["label"].map(LABEL2ID).to_numpy()
        model.fit(rows["text"].tolist(), y, rows["text"].tolist()[:10], y[:10])
        return model.predict_proba(texts, calibrated=False)

    return probabilities(train), probabilities(train[~batch])


class ProbeShift(NamedTuple):
    """How a batch moves tf-idf on a held-out probe: right answers and mean probability of
    the gold label with and without the batch, and how many probes went up or down."""

    right_with: int
    right_without: int
    up: int
    down: int
    mean_with: float
    mean_without: float


def _probe_shift(corpus, batch_file: str, probes: list[tuple[str, str]]) -> ProbeShift:
    """Compare tf-idf trained with and without ``batch_file`` on (label, text) probes, and
    print the counts (``pytest -s``) that the README and the closing notes quote."""
    from dprk_stance.stances import LABEL2ID

    gold = np.array([LABEL2ID[label] for label, _ in probes])
    with_batch, without = _tfidf_with_and_without(corpus, batch_file, [t for _, t in probes])
    rows = np.arange(len(gold))
    p_with, p_without = with_batch[rows, gold], without[rows, gold]
    shift = ProbeShift(
        int((with_batch.argmax(axis=1) == gold).sum()),
        int((without.argmax(axis=1) == gold).sum()),
        int((p_with > p_without).sum()),
        int((p_with < p_without).sum()),
        float(p_with.mean()),
        float(p_without.mean()),
    )
    print(
        f"{batch_file}: right with the batch {shift.right_with}/{len(gold)}, "
        f"without {shift.right_without}; p(gold) up for {shift.up}, down for {shift.down}"
    )
    print("p(gold) with:   ", p_with.round(2))
    print("p(gold) without:", p_without.round(2))
    return shift


def test_batch_16_teaches_suspicion_without_a_demand(corpus):
    """tf-idf (the default ensemble's main member, params.yaml settings) trained on the
    corpus's train split with batch 16 gives passages of its kind more conservative
    probability than trained without it."""
    from dprk_stance.stances import LABEL2ID

    conservative = LABEL2ID["conservative"]
    with_batch, without = _tfidf_with_and_without(corpus, "passages-16.jsonl", SUSPICION)
    print("p(conservative) with batch 16:", with_batch[:, conservative].round(3))
    print("p(conservative) without it:   ", without[:, conservative].round(3))
    # Only the direction is asserted: when written, 2 of these 4 came out conservative with
    # the batch (the README's "What does not hold"), so the kind is learned only in part.
    assert with_batch[:, conservative].mean() > without[:, conservative].mean()


def test_batch_17_composition(corpus):
    """Batch 17 (guidelines rule 11): reform measures named and denied (`conservative`),
    controls named and denied (reformist), and `none` passages with negation, in contrast
    pairs on the same vocabulary."""
    _, _, table = corpus
    batch = table[table["source"].str.contains("passages-17.jsonl:", regex=False)]
    negated = batch["text"].map(lambda t: bool(negation_scopes(t)))
    assert (batch["label"] == "conservative").sum() >= 90
    assert (batch["label"].isin(["pro-decentralization", "pro-diversification"])).sum() >= 90
    assert ((batch["label"] == "none") & negated).sum() >= 40
    pairs = batch[batch["pair_id"].fillna("") != ""].groupby("pair_id")["label"]
    assert sum(labels.nunique() == 2 for _, labels in pairs) >= 60


# Written for this test before batch 17 and never shown to its writers (their checker
# refused any 5-word run shared with these): one-line denials, the kind 4.
DENIALS = [
    ("conservative", "Enterprises should not be allowed to set their own prices."),
    ("conservative", "No factory may decide for itself what to produce or at what price to sell."),
    (
        "conservative",
        "It is wrong to let enterprises keep their earnings outside the state budget.",
    ),
    ("conservative", "Managers must not be given the right to hire and dismiss workers at will."),
    (
        "conservative",
        "Factories cannot be permitted to sell their output on the market outside the plan.",
    ),
    ("conservative", "The right to fix wages should never pass from the state to the enterprise."),
    ("conservative", "Farms are not to dispose of their surplus grain as they please."),
    ("conservative", "We must not let each unit conclude trade contracts on its own account."),
    ("conservative", "Foreign trade should not be opened to every enterprise that wants it."),
    (
        "conservative",
        "There is no need to seek out new trading partners beyond our trusted friends.",
    ),
    (
        "conservative",
        "The zones must not become doors through which foreign capital enters freely.",
    ),
    (
        "conservative",
        "Joint ventures with capitalist firms are not the road our economy should take.",
    ),
    (
        "pro-decentralization",
        "Enterprises should not have to wait for the ministry before setting their own prices.",
    ),
    (
        "pro-decentralization",
        "No enterprise should be denied the right to decide what it produces beyond the plan.",
    ),
    (
        "pro-decentralization",
        "It is wrong to take from enterprises the earnings they have made by their own effort.",
    ),
    ("pro-decentralization", "Managers should not be bound by ministry approval for every hire."),
    (
        "pro-decentralization",
        "Factories should not be forbidden to sell what they make beyond the plan.",
    ),
    ("pro-diversification", "Our trade must not remain tied to a single partner."),
    (
        "pro-diversification",
        "Foreign trade should no longer be confined to a few state trading companies.",
    ),
    (
        "pro-diversification",
        "There is no reason to keep the zones closed to investors from many countries.",
    ),
    ("pro-diversification", "We should not limit our exports to raw minerals alone."),
]


def test_batch_17_teaches_denials(corpus):
    """tf-idf (params.yaml settings) trained on the train split with batch 17 gives these
    denials more probability for their own label than trained without it."""
    shift = _probe_shift(corpus, "passages-17.jsonl", DENIALS)
    # Only the direction is asserted (the README gives the counts).
    assert shift.mean_with > shift.mean_without


def test_batch_18_composition(corpus):
    """Batch 18 (guidelines rule 10): foreign speakers' own trade policies and bare notices
    (`none`) beside the same kind of claim by a DPRK speaker or with approval (reformist or
    `conservative`), in whose-policy and notice pairs."""
    _, _, table = corpus
    batch = table[table["source"].str.contains("passages-18.jsonl:", regex=False)]
    assert (batch["label"] == "none").sum() >= 110
    assert (batch["label"] == "pro-diversification").sum() >= 75
    assert (batch["label"] == "conservative").sum() >= 30
    paired = batch[batch["pair_id"].fillna("") != ""]
    two = paired.groupby("pair_id").filter(
        lambda rows: len(rows) == 2 and rows["label"].nunique() == 2
    )
    kinds = two.groupby("pair_id")["notes"].agg(" ".join)
    assert kinds.str.contains("whose-policy pair").sum() >= 36
    assert kinds.str.contains("notice pair").sum() >= 18


# Written for this test before batch 18 and never shown to its writers (their checker
# refused any 5-word run shared with these): foreign speakers' own trade policies and bare
# notices (`none`, guidelines rule 10) beside the same claims by DPRK speakers.
WHOSE = [
    (
        "none",
        '"Our exporters can count on the new customs union to double their sales," '
        "Bolivia's trade minister told the press.",
    ),
    (
        "none",
        "The Zambian government will seek buyers for its copper in more Asian countries, an "
        "official of its mining ministry said.",
    ),
    (
        "none",
        "Argentina should diversify its exports away from grain, the head of its chamber of "
        "industry argued at a forum in Buenos Aires.",
    ),
    (
        "none",
        "The ASEAN secretary-general said member states must lower tariffs among themselves "
        "to attract more investment.",
    ),
    (
        "none",
        '"We are ready to welcome investors from any continent," the Egyptian investment '
        "minister declared in Cairo.",
    ),
    (
        "none",
        "Cuba and Vietnam signed an agreement on cooperation in rice farming and light "
        "industry, reports said.",
    ),
    (
        "none",
        "A container ship carrying coal left Rajin Port for Shanghai on Tuesday, the port "
        "authority announced.",
    ),
    (
        "none",
        "Over 90 companies from Asia and Europe put their goods on show at the autumn fair in "
        "Pyongyang, which closed on Friday.",
    ),
    (
        "none",
        "The law office handles contracts, arbitration and registration of foreign-invested "
        "enterprises, its director explained.",
    ),
    (
        "none",
        "Kazakhstan intends to open two more free economic zones on its border with China, "
        "according to a news agency.",
    ),
    (
        "none",
        "The UN trade body called on rich countries to remove barriers to imports from the "
        "least developed nations.",
    ),
    (
        "none",
        "A freight train made a trial run from a Russian border station to the port of Rajin "
        "last week.",
    ),
    (
        "pro-diversification",
        '"We are ready to welcome investors from any continent to the Rason zone," the '
        "chairman of the DPRK zone committee declared.",
    ),
    (
        "pro-diversification",
        "Our exporters can count on new partners in Southeast Asia to double their sales, the "
        "Korean trade official told the press.",
    ),
    (
        "pro-diversification",
        "The DPRK should sell its goods in more countries and not only to one neighbour, the "
        "vice-minister of external economic relations argued at a forum.",
    ),
    (
        "pro-diversification",
        "The zone offers foreign investors from every region tax holidays and land on long "
        "lease, the committee's spokesman said.",
    ),
    (
        "conservative",
        "Our country will trade only with partners that respect its sovereignty and will not "
        "open its doors to those who demand reforms, the official said.",
    ),
    (
        "conservative",
        "Whatever the foreign firms at the fair may offer, we will produce the machines we "
        "need ourselves before buying any abroad, the minister told reporters.",
    ),
]


def test_batch_19_composition(corpus):
    """Batch 19 (guidelines rule 12): statutes, regulations and law explained, with every
    label in the same legal wording, so that "shall" and the law register stop reading as
    `conservative` (before it, 118 of the corpus's 214 passages with "shall" were)."""
    _, _, table = corpus
    batch = table[table["source"].str.contains("passages-19.jsonl:", regex=False)]
    shall = batch["text"].str.contains(r"\bshall\b", case=False, regex=True)
    for label, least in LEAST_PER_LABEL_19.items():
        assert ((batch["label"] == label) & shall).sum() >= least, label
    law = table[table["register"] == "law-regulation"]
    assert law["label"].value_counts(normalize=True).max() < 0.35
    paired = batch[batch["pair_id"].fillna("") != ""]
    two = paired.groupby("pair_id").filter(
        lambda rows: len(rows) == 2 and rows["label"].nunique() == 2
    )
    assert two["pair_id"].nunique() >= 75


LEAST_PER_LABEL_19 = {
    "none": 45,
    "pro-decentralization": 35,
    "pro-diversification": 35,
    "conservative": 35,
}

# Written for this test before batch 19 and never shown to its writers (their checker
# refused any 5-word run shared with these): one-line statute articles, every label.
STATUTE = [
    (
        "pro-decentralization",
        "The state shall leave to each enterprise the choice of which goods to make beyond "
        "its assigned indicators.",
    ),
    (
        "pro-decentralization",
        "An enterprise shall decide for itself how to divide the income that remains after "
        "its obligations to the state are met.",
    ),
    (
        "pro-decentralization",
        "The state shall ensure that factories may hire the workers they need and pay them "
        "according to the results of their work.",
    ),
    (
        "pro-decentralization",
        "Farms shall have the right to sell the grain left over after the state's share at "
        "prices agreed with the buyer.",
    ),
    (
        "pro-decentralization",
        "In drawing up the national plan, the state shall fix only the main indicators and "
        "let enterprises plan the rest themselves.",
    ),
    (
        "pro-decentralization",
        "No ministry shall assign an enterprise indicators beyond those fixed in its contract.",
    ),
    (
        "pro-diversification",
        "The state shall encourage trade with countries of every region and in every form, "
        "including processing on commission and compensation trade.",
    ),
    (
        "pro-diversification",
        "Foreign investors in the economic development zones shall be exempt from customs "
        "duties on the equipment they bring in for their enterprises.",
    ),
    (
        "pro-diversification",
        "Provinces shall be entitled to set up development zones of their own and to invite "
        "investment from abroad.",
    ),
    (
        "pro-diversification",
        "The state shall open further ports to foreign vessels and simplify the entry of "
        "foreign business people.",
    ),
    (
        "pro-diversification",
        "Joint ventures with foreign companies shall be permitted in every branch of the "
        "economy except those concerning defence.",
    ),
    (
        "conservative",
        "All foreign trade shall be conducted through the trading bodies the state "
        "designates, and no enterprise shall sign a contract with a foreign party on its own.",
    ),
    (
        "conservative",
        "Enterprises shall hand over to the state budget all income earned beyond the plan.",
    ),
    (
        "conservative",
        "The prices of all goods shall be set by the state price agency alone.",
    ),
    (
        "conservative",
        "Imports of goods that domestic factories are able to produce shall be restricted.",
    ),
    (
        "conservative",
        "The state shall direct the economy through a single plan binding on every unit down "
        "to the workshop.",
    ),
    (
        "none",
        "The provisions of this chapter shall also apply to institutions under the provincial"
        " people's committees.",
    ),
    (
        "none",
        "For the purposes of this regulation, an enterprise means a unit that produces goods "
        "or provides services under its own name.",
    ),
    (
        "none",
        "Disputes arising under a contract shall be settled by consultation between the parties.",
    ),
    (
        "none",
        "The competent agency shall publish the list of standard sizes of building bricks "
        "each year.",
    ),
    (
        "none",
        "Violations of the fire safety rules in warehouses shall be punished according to the"
        " relevant law.",
    ),
    (
        "none",
        "The annual state budget shall be submitted to the Supreme People's Assembly for "
        "approval at its spring session.",
    ),
]


@pytest.mark.parametrize(
    ("batch_file", "probes"),
    [("passages-18.jsonl", WHOSE), ("passages-19.jsonl", STATUTE)],
    ids=["batch_18_whose_policy", "batch_19_statute_register"],
)
def test_batch_teaches_its_probe(corpus, batch_file, probes):
    """tf-idf (params.yaml settings) trained on the train split with the batch gives its
    probe passages more probability for their own label than trained without it, and gets
    no fewer of them right (the README gives the counts)."""
    shift = _probe_shift(corpus, batch_file, probes)
    assert shift.mean_with > shift.mean_without
    assert shift.right_with >= shift.right_without and shift.up > shift.down


def test_no_corpus_passage_copies_a_held_out_probe(corpus):
    """The probes of the batch tests (SUSPICION, DENIALS, WHOSE, STATUTE) measure whether a
    kind is learned from other text: no corpus passage may nearly copy one (character 5-gram
    Jaccard at the across-splits bound). A writer's near-copy of a probe was found and
    dropped this way."""
    _, _, table = corpus
    probes = SUSPICION + [text for _, text in DENIALS + WHOSE + STATUTE]
    jac = char_jaccard(table["text"].tolist(), probes)
    i, j = np.unravel_index(jac.argmax(), jac.shape)
    assert jac.max() < NEAR_DUPLICATE_ACROSS_SPLITS, (table["id"].iloc[i], probes[j])


def _style_shift() -> pd.DataFrame:
    rows = [json.loads(line) for line in (REPO / "data" / "eval" / "style_shift.jsonl").open()]
    return pd.DataFrame(rows)


def test_style_shift_set_is_separate_from_training(corpus):
    """No shared id, no near-duplicate (character 5-gram Jaccard >= 0.5) with the corpus."""
    _, _, table = corpus
    shift = _style_shift()
    assert len(shift) >= 300 and (shift["label"] == "none").sum() >= 80
    assert set(shift["label"]) == set(LABELS)
    assert not set(shift["id"]) & set(table["id"])
    assert not set(shift["doc_id"]) & set(table["doc_id"])
    texts = table["text"].tolist() + shift["text"].tolist()
    jac = _jaccard(texts)[: len(table), len(table) :]
    i, j = np.unravel_index(jac.argmax(), jac.shape)
    assert jac.max() < NEAR_DUPLICATE, (table["id"].iloc[i], shift["id"].iloc[j], jac.max())


def test_near_duplicate_check_fails_when_it_should():
    jac = _jaccard(
        [
            "The state shall grant investors in the zones favourable terms for land.",
            "The state shall grant investors in the zones favourable terms for land use.",
            "Output at the steel works rose by eight per cent last quarter.",
        ]
    )
    assert jac[0, 1] >= NEAR_DUPLICATE > jac[0, 2]


def test_shifted_dev_set_is_apart_from_corpus_and_evaluation_sets(corpus):
    """The calibration set (calibration.shifted_dev) is valid and shares no id and no
    near-duplicate (character 5-gram Jaccard >= the across-splits bound) with the corpus,
    the style-shift set or the kinds; within itself, none reaches NEAR_DUPLICATE."""
    from dprk_stance.data import load_gold

    cfg, _, table = corpus
    shifted = load_gold(REPO / cfg.calibration.shifted_dev)
    assert not shifted.rejects
    dev = shifted.frame
    assert len(dev) >= 300 and (dev["label"] == "none").sum() >= 80
    assert set(dev["label"]) == set(LABELS)
    style = _style_shift()
    assert not set(dev["id"]) & (set(table["id"]) | set(style["id"]))
    assert not set(dev["doc_id"]) & (set(table["doc_id"]) | set(style["doc_id"]))
    others = table["text"].tolist() + style["text"].tolist()
    kinds = REPO / cfg.evaluate.kinds  # beside the repo; skipped when absent
    if kinds.is_file():
        others += [json.loads(line)["text"] for line in kinds.open()]
    jac = char_jaccard(dev["text"].tolist(), others)
    i, j = np.unravel_index(jac.argmax(), jac.shape)
    assert jac.max() < NEAR_DUPLICATE_ACROSS_SPLITS, (dev["id"].iloc[i], others[j], jac.max())
    assert _jaccard(dev["text"].tolist()).max() < NEAR_DUPLICATE
