"""Every number that decides an answer, in one place, each with where its value comes from.

Recalibrating means editing this file (and re-running the eval that set the value). "gold" is
`python -m evals --backend quote` on evals/gold.jsonl; "realdocs" is `python -m evals --suite realdocs`
on ../shared/realdocs (a development set). Settings (config.py) take their defaults from here; an
ASSISTANT_* variable overrides a default for one installation without editing code.

A value should cite suite figures (`python -m evals --suite all`, tuning and check halves), not question ids.
The values below whose reason names question ids are marked "Ablation:": they stay as they are until the rule
that uses them is measured by `python -m evals --ablate` (each rule switched off, check halves compared).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetrievalTuning:
    """Hybrid search: fusion, de-duplication, how many candidates reach the answer step."""

    top_k: int = 6
    """Passages handed to the answer step (Settings.top_k's default; quote mode reads at least
    `QuoteTuning.passages`); set by hand in the foundation (d24bab8); not calibrated by an eval run."""
    candidates: int = 30
    """Candidates taken from each of dense and keyword search (Settings.candidates' default); set by hand in the
    foundation (d24bab8); not calibrated by an eval run."""
    rrf_k: int = 60
    """Reciprocal-rank-fusion constant; 60 is the value of Cormack et al. (2009), unchanged by our runs."""
    near_duplicate: float = 0.85
    """Term-set Jaccard at which a lower-ranked passage is dropped as a repeat (overlapping chunks, copies); set by
    hand in the first retriever (d24bab8); not calibrated by an eval run."""
    keep_factor: int = 2
    """Fused candidates kept before the final cut: k * keep_factor (at least k + `keep_extra`), enough for
    de-duplication; set by hand in the first retriever (d24bab8); not calibrated by an eval run."""
    dense_slack: int = 8
    """Extra dense hits fetched so that hidden (superseded) chunks do not shorten the list; set by hand in the first
    index (d24bab8); not calibrated by an eval run."""
    keep_extra: int = 4
    """Fused candidates kept are at least k + keep_extra; set by hand in the first retriever (d24bab8); not calibrated
    by an eval run."""
    definition_passages: int = 2
    """A definition or difference question also takes this many passages per asked term that look like they define
    it (a section headed by the term, a line opening with it); set by hand when definitions were found by heading
    (ec75b0f); not calibrated by an eval run."""
    definition_after: int = 2
    """Those passages are placed after the top this many results (ec75b0f, set by hand, not calibrated)."""
    difference_after: int = 1
    """... after the top one for a difference question, so both terms' definitions are read (ec75b0f, set by hand,
    not calibrated)."""
    survey_per_vendor: int = 2
    """Survey ("which vendors can ..."): passages retrieved per vendor; set by hand when surveys were written
    (ec75b0f); not calibrated by an eval run."""


@dataclass(frozen=True, slots=True)
class RoutingTuning:
    """A question that names a document or clause (routing.py): whose passages lead the results."""

    named_first: int = 3
    """Passages of each named document placed first in the results (quote mode reads the top 4); set by hand when
    routing was written (e531001); not calibrated by an eval run."""
    clause_pool: int = 50
    """Passages of a named clause (in document order) compared with the question; set by hand (e531001); not
    calibrated by an eval run."""
    clause_first: int = 2
    """The clause's passages most similar to the question, placed before the named documents' (e531001, set by
    hand, not calibrated)."""


@dataclass(frozen=True, slots=True)
class QuestionTuning:
    """How a message becomes the question answered: long messages, follow-ups, rewrites, translations, and what a
    question may name. Set by hand when each was written; none is calibrated by an eval run."""

    long_message: int = 600
    """A message longer than this many characters is answered by its last questions (ed9deaf)."""
    focus_questions: int = 2
    """... by this many of them, the last ones (ed9deaf)."""
    focus_chars: int = 2000
    """... cut to this many characters, as is a long message without a question (ed9deaf)."""
    followup_words: int = 3
    """A message of at most this many words leans on the previous turn ("and Meridian?") (6fce20f)."""
    history_turns: int = 4
    """Last turns shown to the chat model that rewrites a follow-up as a standalone question (6fce20f)."""
    history_chars: int = 500
    """Characters of each of those turns shown (6fce20f)."""
    min_rewrite_chars: int = 3
    """A rewritten or translated question shorter than this is not used (6fce20f, 223f75a)."""
    max_rewrite_chars: int = 400
    """A rewritten follow-up longer than this is not used: the question is answered as resolved without the model
    (6fce20f)."""
    max_translation_chars: int = 600
    """A translation longer than this is not used: the question is declined as not English (223f75a)."""
    foreign_words: int = 2
    """A message is read as another language (and translated) only with at least this many function words of other
    languages, and more of them than English ones (223f75a)."""
    term_words: int = 6
    """A term a definition question asks about has at most this many words ("what is a quality agreement"); a
    longer one is not a term (ec75b0f)."""
    aspect_words: int = 4
    """An aspect a comparison names ("compare them on capacity and certifications") has at most this many words
    (ec75b0f)."""


@dataclass(frozen=True, slots=True)
class RefusalTuning:
    """When the retrieved evidence is too weak to answer at all (before any composition)."""

    min_relevance: float = 0.45
    """Best passage's cosine similarity; set on gold 2026-11-27 (refuses 4% of answerable questions)."""
    min_term_coverage: float = 0.15
    """IDF-weighted share of the question's terms present in the passages. 0.30 (gold 2026-11-27) refused two
    answerable realdocs questions wrapped in chatter (rd-25 0.29, rd-40 0.18) and was the only reason for no
    refusal on gold + realdocs 2026-12-05; 0.15 keeps it as a guard against wholly off-topic questions.
    Ablation: cites question ids; measured by rule `refuse.off_topic`."""
    weak_relevance: float = 0.20
    """Best passage similarity under `min_relevance` but at least this: answered only with strong evidence."""
    strong_evidence: float = 0.65
    """Evidence score that answers a weakly similar question. Gold + realdocs 2026-12-05: answerable questions
    under `min_relevance` scored 0.69-0.83 ("How many rotary tablet presses are there?", "What is the largest
    batch you can make?"), questions to refuse 0.34-0.62 (0.48 without a name the library lacks)."""
    min_answer_score: float = 0.30
    """Quote mode: score of the best evidence unit; below it the question is refused (gold 2026-11-27)."""
    closest_sources: int = 3
    """Passages listed under a refusal: enough to show what the documents do cover; set by hand in the first
    answer step (6fce20f)."""
    never_mentioned_terms: int = 12
    """A question asking for a fact is refused when one of its this many most specific terms (highest IDF, vendor
    names and measure words left out) occurs in no passage ("expire", "revenue"); set by hand when the check was
    written (ec75b0f); not calibrated by an eval run."""
    never_mentioned_letters: int = 6
    """Only words of at least this many letters count for that check ("ahead", "soon" are phrasing); set by hand
    when the check was written (223f75a, then on stems), counted on the word since 118779f ("expire" -> "expir");
    not calibrated by an eval run."""


@dataclass(frozen=True, slots=True)
class SupportTuning:
    """Is a sentence supported by a passage? (the check behind every written sentence). All five set by hand in the
    first answer step (6fce20f); gold faithfulness is the only eval figure recorded for them."""

    lexical: float = 0.6
    """Share of the sentence's content terms found in the passage that suffices alone (gold faithfulness 100%)."""
    lexical_with_meaning: float = 0.4
    """A lower term share that suffices together with `meaning`."""
    meaning: float = 0.55
    """Cosine similarity that, with `lexical_with_meaning`, counts as support."""
    meaning_alone: float = 0.8
    """Cosine similarity that counts as a paraphrase on its own."""
    few_terms: int = 2
    """Sentences with at most this many content terms need every term present."""
    meaning_alignment: float = 0.5
    """Share of a written sentence's terms its closest passage sentence must hold before their negations are compared
    (`assistant.meaning`); set by hand with the meaning check: the 25 changed sentences of tests/test_written_meaning.py
    are dropped and its 25 paraphrases kept, and 0 of the 1,192 shipped corpus sentences conflict with their own
    passage. No eval figure yet: the written-mode eval needs the embedded model."""


@dataclass(frozen=True, slots=True)
class SpellingTuning:
    """Which words of a question are corrected, and into what (assistant/spelling.py). Set by hand with the
    spelling rule; `python -m evals --ablate --rules question.spelling` measures the rule as a whole."""

    min_letters: int = 3
    """Words shorter than this are never corrected ("u", "ur")."""
    content_letters: int = 5
    """Shorter words are corrected only into question words ("wat" -> "what"): a short unknown word is often an
    acronym typed in lower case ("cro" is not "cmo")."""
    two_edits_letters: int = 8
    """Words this long may be two edits from the word meant ("documention"); shorter ones only one."""
    real_word_ratio: int = 1000
    """An English-list word is a typo only when a library word one edit away is this many times more common in
    English: "wat" (680) for "what" (17 million); a rare correct word ("excipient", 50) is never that far below."""
    apostrophe_ratio: int = 100
    """A word typed without its apostrophe is the contraction when English writes that this many times more often:
    "whats" (6,856) for "what's" (1.9 million), "dont" (none) for "don't"; "its" (559,181 against 6.3 million for
    "it's") and "lets" (46,025 against 1 million) are words in their own right and stay."""


@dataclass(frozen=True, slots=True)
class QuoteTuning:
    """Quote mode: which units of the retrieved passages become the answer."""

    passages: int = 8
    """Top passages whose sentences are candidates (the answer to "who releases" sat at rank 6 and 8)."""
    prefilter_after: int = 4
    """Passages beyond this many offer only their `prefilter_units` best units by shared terms (embedding cost)."""
    prefilter_units: int = 2
    """Units each such passage offers; with `prefilter_after`, set by hand when composition was written (ec75b0f);
    not calibrated by an eval run."""
    w_meaning: float = 0.50
    """Weight of the unit's cosine similarity to the question (with `w_terms` and `w_rank` since 346603b; see
    `w_rank`)."""
    w_terms: float = 0.30
    """Weight of the IDF-weighted share of question terms the unit holds."""
    w_rank: float = 0.20
    """Weight of the unit's passage retrieval weight: the best passage usually holds the answer (gold 2026-11-27)."""
    rank_power: float = 4.0
    """Passage weight = (fused score / best fused score) ** rank_power; fused scores sit close together, so
    1/rank over-rewarded rank 1 ("who releases" answered from rank 1 while the answer sat at rank 6)."""
    max_units: int = 4
    """Most units in a plain answer (lists count as one unit). With `ratio` and `other_passage_ratio` raised from
    3 / 0.85 / 0.92 on gold + realdocs 2026-12-05: one-sentence answers left out the facts asked for (realdocs
    must_include 0.635 -> 0.712, gold 0.686 -> 0.730), at a cost in gold citation precision (0.695 -> 0.641:
    the runners-up cite other sections of the gold document)."""
    ratio: float = 0.6
    """A runner-up joins the answer only when its score is at least this share of the best (see `max_units`)."""
    other_passage_ratio: float = 0.85
    """A runner-up from another passage than the best unit's needs this share of the best score (0.75 gave the
    same must_include and gold citation precision 0.602)."""
    per_passage: int = 2
    """Most units taken from one passage in a plain answer; set by hand in the first answer step (6fce20f)."""
    duplicate: float = 0.6
    """Term Jaccard above which a runner-up repeats a chosen unit and is skipped; set by hand in the first answer
    step (6fce20f)."""
    min_words: int = 4
    """Units shorter than this are fragments (captions, labels); set by hand in the first answer step (6fce20f)."""
    heading_words: int = 10
    """An unpunctuated line shorter than this is a heading or caption, not a statement; set by hand when composition
    was written (ec75b0f); not calibrated by an eval run."""
    max_words: int = 120
    """Word budget of an answer, lists excepted (issue 8)."""
    list_items: int = 10
    """Most list items quoted under one lead-in; set by hand when composition was written (ec75b0f)."""
    rare_name_passages: int = 12
    """A name in the question held by at most this many passages restricts the answer to passages naming it
    ("How many people work at Veritas's Malvern lab?" must not be answered with company-wide staff numbers)."""
    item_words: int = 30
    """An outline item quotes its section's first sentence when it is at most this long, else its heading; set by
    hand when composition was written (ec75b0f); not calibrated by an eval run."""
    item_sentences: int = 3
    """An outline item's sentence is picked from its section's first this many lines and sentences; set by hand when
    outline items began to pick their best sentence (8382db8); not calibrated by an eval run."""
    list_back: int = 3
    """Most chunks walked back to find the lead-in of a list cut at chunk boundaries ("FDA recommends the record
    include the following:" two chunks before the bullet quoted), and forward to follow a numbered list whose
    items sit between paragraphs (the heparin guidance's recommendations 1 to 5); set by hand (realdocs rd-20 and
    rd-17, 2026-12-05). Ablation: cites question ids; measured by rule `retrieval.list_continuation`."""
    follow: int = 2
    """Most sentences the best unit of a plain answer brings after it from its passage (rule
    `strategy.continuation`), within `max_words`; set by hand on the tuning halves (realdocs2 tuning must_include
    54.8 -> 57.1). Ablation 2026-12-07, full check halves: with the rule off, fdaqa answer recall -2.1 points, no
    other figure of any suite changes."""
    antecedents: int = 3
    """Most sentences a quoted "This ..." / "These ..." unit brings before it (its chain of antecedents); set by hand
    when composition was written (ec75b0f); not calibrated by an eval run."""


@dataclass(frozen=True, slots=True)
class ComposeTuning:
    """Bonuses that steer composition by the kind of question (set on gold + realdocs)."""

    definition: float = 0.30
    """Bonus for a unit that defines the asked term ("A CMO is ...", "X means ...")."""
    figure: float = 0.15
    """Bonus for a unit holding the kind of quantity asked for (number, duration, date, price)."""
    no_figure: float = 0.15
    """Penalty for a unit without it, when the question asks for one."""
    party: float = 0.10
    """Bonus for a unit naming a party (owner, unit, person, authority) when the question asks who."""
    list_lead: float = 0.12
    """Bonus for a lead-in with its list, when the question asks for a list."""
    outline: float = 0.0
    """Bonus for a section intro whose subsections make the list, when the question asks for one. 0.10 until
    2026-12-05; 0.0 lets an existing lead-in and list win on score (gold citation precision 0.641 -> 0.669: outline
    answers cited every subsection), with must_include unchanged on gold and realdocs."""
    novelty: float = 0.10
    """A runner-up from another passage joins only when it holds at least this IDF-weighted share of the question's
    terms, vendor names aside: brochure openings ("For more than twenty-five years Potentia has made the molecules
    ...") joined answers about one inspection. Gold + realdocs 2026-12-05: 0.10 took gold citation precision from
    0.751 to 0.760 with must_include unchanged on both; 0.20 cost realdocs must_include (0.750 -> 0.731); the share
    of new terms over the units already chosen (0.05) cost both (gold 0.818 -> 0.788), dropping parallel facts
    such as another authority's inspection row."""
    negation: float = 0.20
    """Bonus for a negated unit ("We do not fill cytotoxic drugs ...") when the question asks about what is not
    done ("what won't they fill?"): the embedding scored that sentence 0.37 against 0.71 for the brochure's
    opening line (gold vendor-001, 2026-12-05; the only negated question in gold and realdocs). Ablation: cites a
    question id; measured by rule `score.negation`."""
    outline_share: float = 0.85
    """A section's subsections answer a list question only when its intro scores at least this share of the best
    unit, and a procedure only when the section heading names what it asks ("How do vials get loaded ...?" is not
    answered by "Filling lines and freeze dryers"): below it the intro is a brochure or document
    opening that merely ranked, and its headings cited one by one made the answer ("what kinds of products won't
    they fill" got the isolator line's subsections). Gold + realdocs 2026-12-05: the answers the outline rightly
    gives scored 0.89 to 1.0 of the best unit, the wrong ones 0.62 to 0.84."""
    anaphor: float = 0.10
    """Penalty for a unit that opens with "This"/"These"/"It" when its antecedent is not quoted with it."""
    notice: float = 0.40
    """Penalty for a notice about the document itself ("X is a fictional company", "for information only"), unless
    the question asks about such things: the brochures' notices were quoted for inspection history and capacity
    (gold comp-002, comp-014, followup-001, vendor-001; 2026-12-05). Ablation: cites question ids; measured by rule
    `score.notice`."""
    footnote: float = 0.15
    """Penalty for a unit from a page's footnotes (chunked under "Notes"): references and asides, seldom the answer
    (realdocs rd-16 quoted "For another assay method ..., see, Sommers, C.D." once footnotes left the running text).
    Ablation: cites a question id; measured by rule `score.footnote`."""
    answers_asked: float = 0.15
    """Bonus for the unit that follows a question the document itself asks, when that question is the user's."""
    asked_similarity: float = 0.6
    """Cosine similarity at which the document's own question counts as the user's."""
    vendor_evidence: float = 0.42
    """Survey: least score for a vendor to count as offering what is asked (gold comparison questions)."""
    vendor_relative: float = 0.8
    """Survey: a vendor must also score this share of the best vendor's score (gold comp-001, comp-007, comp-012).
    Ablation: cites question ids; the survey as a whole is measured by rule `kind.vendors`."""
    vendor_profile: float = 0.5
    """Survey: weight of the vendor's profile similarity above the vendors' mean (gold comp-001, comp-012).
    Ablation: cites question ids; the survey as a whole is measured by rule `kind.vendors`."""
    comparison_stated: float = 0.30
    """Comparison cell: least unit score below which the cell says "not stated" (gold comparison questions)."""
    context_terms: float = 0.5
    """Weight of a question term that the passage's vendor or section heading already names, in the shared-terms
    score ("Aseptix" says little about which Aseptix sentence answers); set by hand when composition was written
    (ec75b0f); not calibrated by an eval run."""
    superlative_relevance: float = 0.85
    """Superlative survey ("largest batch"): a unit's figure is compared when the unit scores at least this share of
    `vendor_evidence`; set by hand when composition was written (ec75b0f); not calibrated by an eval run."""
    declines_words: int = 7
    """Survey: a vendor's unit states a limit when a negation sits in the first this many words of its main clause
    ("CellForge does not fill vials"); set by hand with the main-clause rule (38999dc); not calibrated by an eval
    run."""


@dataclass(frozen=True, slots=True)
class DefinitionTuning:
    """Definition and difference questions: how clearly a unit defines the asked term (0..1), and how much of the
    definition is quoted. The strengths were set by hand when composition was written (ec75b0f) and are not
    calibrated by an eval run; `ComposeTuning.definition` turns a strength into a score bonus."""

    glossary_entry: float = 0.9
    """The first sentence of a section whose heading names the term (a glossary or definitions entry)."""
    labelled: float = 0.9
    """A "Term: what it is" line, as definitions lists write it (82dcd44); a brochure's "Label: value" line or a
    figure after the colon defines nothing (0.0, bcda0f7)."""
    copula: float = 1.0
    """ "A CMO is an organisation that ...", "X means ...": the term, then a defining verb with its complement."""
    defining_verb: float = 0.3
    """The term, then a defining verb without a plain complement ("X is often ...", "X is regulated ...")."""
    apposition_action: float = 0.9
    """The term with its long form or abbreviation, then an action verb ("Official Action Indicated (OAI): Indicates
    ...", "X (Y) provides ...")."""
    action: float = 0.6
    """The term, then an action verb ("A CMO works to ..."): a weak definition."""
    defined_as: float = 0.8
    """The term, then "is defined as" / "means" / "refers to" / "is the term" within 40 characters."""
    the_term: float = 0.7
    """ "the term X" anywhere in the unit."""
    floor: float = 0.6
    """Least strength for a unit to count as defining the term at all."""
    strong: float = 0.9
    """A definition at least this strong leads the answer whatever its score; a weaker one must also score
    `QuoteTuning.ratio` of the best unit."""
    units: int = 3
    """Most units of a definition answer: the defining unit and the sentences after it in its paragraph."""
    word_share: float = 0.7
    """Share of `QuoteTuning.max_words` a definition answer may use."""
    long_form_words: int = 6
    """Words kept from the end of a term's long form found in the passages when the term is not an acronym
    ("contract manufacturing organization, or CMO")."""


@dataclass(frozen=True, slots=True)
class WritingTuning:
    """LLM modes: the evidence prompt and the checks on what the model writes."""

    max_tokens: int = 320
    """Longest answer the chat model may write (Settings.llm_max_tokens' default); set by hand in the foundation
    (d24bab8); not calibrated by an eval run."""
    evidence_tokens: int = 290
    """Budget of the evidence blocks, label lines included, in the embedder's word pieces (the chat model's own
    count is within a few percent): with the system prompt and chat template (~165 tokens, cached between
    questions) and the question, the prompt stays under about 500 tokens (issue 8). 320 without the label
    lines gave prompts of up to 519 tokens on the gold LLM subset (2026-12-05)."""
    repeat_penalty: float = 1.05
    """llama.cpp repeat penalty, a light guard against token loops. It weighs the prompt's last tokens too (the
    evidence and the question), so it also discourages copying the evidence: on 46 gold and benchmark questions
    the model wrote an answer for 27 at 1.15 (window 128) and for 32 at 1.05 (window 64) and at 1.0 (2026-12-05).
    Sentence loops are cut by the check instead (`repeated_sentence`, `stop_after_repeats`)."""
    repeat_last_n: int = 64
    """Tokens the repeat penalty looks back over (set with `repeat_penalty`, 6cca105)."""
    repeated_sentence: float = 0.8
    """Term Jaccard at which a written sentence repeats an earlier one and is cut; set by hand when written answers
    were checked sentence by sentence (ec75b0f); not calibrated by an eval run."""
    stop_after_repeats: int = 2
    """Repeats cut in a row after which the model's stream is stopped: it is looping, and every further token
    costs about 30 ms on 2 cores (issue 8 saw one sentence written four times)."""
    neighbour_words: int = 35
    """The passage sentence right after a quote joins its evidence block when at most this many words; set by hand
    when written answers were built on quotes (ec75b0f); not calibrated by an eval run."""
    prompt_leak_words: int = 8
    """A written answer that repeats this many consecutive words of the system prompt is refused; set by hand in the
    first answer step (6fce20f); not calibrated by an eval run."""


RETRIEVAL = RetrievalTuning()
ROUTING = RoutingTuning()
QUESTION = QuestionTuning()
REFUSAL = RefusalTuning()
SUPPORT = SupportTuning()
SPELLING = SpellingTuning()
QUOTE = QuoteTuning()
SURVEY = QuoteTuning(max_units=6, ratio=0.8, per_passage=1)
"""The vendor survey: one unit per vendor's passage, more units, a looser ratio."""
DIFFERENCE = QuoteTuning(passages=6)
"""A difference question quotes from more passages: each term's own search adds its best two."""
COMPARE = QuoteTuning(passages=2, max_units=2, per_passage=1, max_words=60)
"""A comparison cell: a vendor's best two passages on one aspect, at most two units, short."""
COMPOSE = ComposeTuning()
DEFINITION = DefinitionTuning()
WRITING = WritingTuning()
