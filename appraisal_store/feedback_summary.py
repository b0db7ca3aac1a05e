"""Read models of multi-source feedback: a round's status, and its summary.

The summary is confidential by construction:

- It exists only once the round has closed, so no two readings of it differ by one
  person's answers (the appraiser sees who answered, and could otherwise compare).
- Nothing is shown until at least ``group_threshold`` responses are in.
- A group is a column of its own only with at least the threshold of responses; smaller
  groups are merged into "Other respondents", and when that merge is itself too small the
  smallest shown group joins it, so every column holds at least the threshold and no
  column can be worked out from the others and the total.
- Counts of each label, never an average; "No chance to demonstrate" counted apart.
- Free text without any group or name, grouped by domain and question ("themes" here means
  exactly that grouping: no automatic reading of the text), in an order that depends on
  the text alone (its SHA-256), never on who wrote it or when.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from competencies.feedback_form import FREE_TEXT_PROMPTS, FeedbackForm
from competencies.framework import Framework
from competencies.scale import ScaleLabel

from .feedback_tables import (
    FeedbackFormVersion,
    FeedbackRating,
    FeedbackRespondent,
    FeedbackResponse,
    FeedbackRound,
    FeedbackText,
    RespondentStatus,
)
from .models import Appraisal, Rating

OTHER_RESPONDENTS = "Other respondents"
ALL_RESPONDENTS = "All respondents"
OVERALL = "overall"


@dataclass(frozen=True)
class RespondentLine:
    """Who was asked and where their answer stands; never what they said."""

    id: int
    name: str
    email: str
    group: str
    status: RespondentStatus


@dataclass(frozen=True)
class RoundStatus:
    appraisal_id: int
    closes_on: Any
    closed: bool
    variant: str
    threshold: int
    may_propose: bool
    respondents: tuple[RespondentLine, ...]

    @property
    def asked(self) -> int:
        return sum(1 for r in self.respondents
                   if r.status not in (RespondentStatus.PROPOSED, RespondentStatus.WITHDRAWN))

    @property
    def answered(self) -> int:
        return sum(1 for r in self.respondents if r.status is RespondentStatus.SUBMITTED)

    @property
    def response_rate(self) -> str:
        return f"{self.answered} of {self.asked} answered" if self.asked else "Nobody asked yet"


@dataclass(frozen=True)
class DomainFeedback:
    domain_id: str
    number: int
    name: str
    self_assessment: dict[ScaleLabel, int]
    columns: tuple[dict[ScaleLabel, int], ...]  # in the order of the summary's columns


@dataclass(frozen=True)
class TextTheme:
    """The free text of one question, for one domain or overall, without names."""

    place: str
    prompt: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class FeedbackSummary:
    asked: int
    answered: int
    threshold: int
    columns: tuple[tuple[str, int], ...]  # (label, responses)
    domains: tuple[DomainFeedback, ...]
    themes: tuple[TextTheme, ...]

    @property
    def shown(self) -> bool:
        return bool(self.columns)

    @property
    def response_rate(self) -> str:
        return f"{self.answered} of {self.asked} answered"


def summary_columns(counts: dict[str, int], names: dict[str, str],
                    threshold: int) -> list[tuple[str, list[str]]]:
    """The summary's columns: (label, the groups merged into it), each with at least
    ``threshold`` responses and together all of them; none when there are too few.

    The last column is every response together; group columns come first when there are
    at least two of them.
    """
    total = sum(counts.values())
    if total < threshold:
        return []
    order = list(names) + sorted(set(counts) - set(names))
    shown = [g for g in order if counts.get(g, 0) >= threshold]
    other = [g for g in order if 0 < counts.get(g, 0) < threshold]
    while other and sum(counts[g] for g in other) < threshold and shown:
        smallest = min(shown, key=lambda g: (counts[g], order.index(g)))
        shown.remove(smallest)
        other.append(smallest)
    columns = [(names.get(g, g), [g]) for g in shown]
    if other:
        columns.append((OTHER_RESPONDENTS, other))
    everyone = (ALL_RESPONDENTS, [g for g in order if counts.get(g, 0)])
    return [*columns, everyone] if len(columns) > 1 else [everyone]


def round_status(session: Session, appraisal_id: int) -> RoundStatus | None:
    round_ = session.execute(select(FeedbackRound).where(
        col(FeedbackRound.appraisal_id) == appraisal_id)).scalar_one_or_none()
    if round_ is None:
        return None
    form = _form(session, round_)
    names = {g.id: g.name for g in form.groups}
    rows = session.execute(select(FeedbackRespondent).where(
        col(FeedbackRespondent.round_id) == round_.id).order_by(col(FeedbackRespondent.name))
    ).scalars()
    return RoundStatus(
        appraisal_id, round_.closes_on, round_.closed_at is not None, round_.variant,
        round_.group_threshold, round_.appraisee_may_propose,
        tuple(RespondentLine(r.id or 0, r.name, r.email, names.get(r.group_id, r.group_id),
                             r.status) for r in rows))


def _form(session: Session, round_: FeedbackRound) -> FeedbackForm:
    from .services.feedback_forms import form_of

    version = session.get(FeedbackFormVersion, round_.form_version_id)
    assert version is not None  # a foreign key
    return form_of(version)


def _text_order(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def feedback_summary(session: Session, appraisal: Appraisal,
                     framework: Framework) -> FeedbackSummary | None:
    """The closed round's summary (None while there is no round or it is still open)."""
    round_ = session.execute(select(FeedbackRound).where(
        col(FeedbackRound.appraisal_id) == appraisal.id)).scalar_one_or_none()
    if round_ is None or round_.closed_at is None:
        return None
    form = _form(session, round_)
    variant = form.variant(round_.variant)
    asked = session.execute(select(func.count()).select_from(FeedbackRespondent).where(
        col(FeedbackRespondent.round_id) == round_.id,
        col(FeedbackRespondent.status).in_([RespondentStatus.INVITED,
                                            RespondentStatus.SUBMITTED,
                                       RespondentStatus.DECLINED]))).scalar_one()
    group_of = dict(session.execute(
        select(col(FeedbackResponse.id), col(FeedbackResponse.group_id))
        .where(col(FeedbackResponse.round_id) == round_.id)).tuples().all())
    counts = Counter(group_of.values())
    columns = summary_columns(dict(counts), {g.id: g.name for g in form.groups},
                              round_.group_threshold)
    shown = tuple((label, sum(counts[g] for g in groups)) for label, groups in columns)
    self_counts = _self_assessment(session, appraisal, framework)
    if not columns:
        domains = tuple(DomainFeedback(d.id, d.number, d.name, self_counts.get(d.id, {}), ())
                        for d in framework.domains)
        return FeedbackSummary(asked, len(group_of), round_.group_threshold, (), domains, ())
    domain_of = {s.id: d.domain_id for d in variant.domains for s in d.statements}
    tallies: dict[tuple[str, int], Counter[ScaleLabel]] = {}
    column_of = {g: [i for i, (_, groups) in enumerate(columns) if g in groups]
                 for g in counts}
    for response_id, statement_id, value in session.execute(
            select(col(FeedbackRating.response_id), col(FeedbackRating.statement_id),
                   col(FeedbackRating.value))
            .join(FeedbackResponse, col(FeedbackResponse.id) == col(FeedbackRating.response_id))
            .where(col(FeedbackResponse.round_id) == round_.id)).tuples():
        for index in column_of[group_of[response_id]]:
            tallies.setdefault((domain_of.get(statement_id, ""), index), Counter())[value] += 1
    domains = tuple(DomainFeedback(
        d.id, d.number, d.name, self_counts.get(d.id, {}),
        tuple(dict(tallies.get((d.id, i), Counter())) for i in range(len(columns))))
        for d in framework.domains)
    texts: dict[tuple[str, str], list[str]] = {}
    for place, prompt, text in session.execute(
            select(col(FeedbackText.place), col(FeedbackText.prompt), col(FeedbackText.text))
            .join(FeedbackResponse, col(FeedbackResponse.id) == col(FeedbackText.response_id))
            .where(col(FeedbackResponse.round_id) == round_.id)).tuples():
        texts.setdefault((place, prompt), []).append(text)
    names = {d.id: f"{d.number}. {d.name}" for d in framework.domains} | {OVERALL: "Overall"}
    places = [p or OVERALL for p in variant.text_places()]
    themes = tuple(TextTheme(names.get(place, place), FREE_TEXT_PROMPTS[prompt],
                             tuple(sorted(texts[(place, prompt)], key=_text_order)))
                   for place in places for prompt in FREE_TEXT_PROMPTS
                   if (place, prompt) in texts)
    return FeedbackSummary(asked, len(group_of), round_.group_threshold, shown, domains, themes)


def _self_assessment(session: Session, appraisal: Appraisal,
                     framework: Framework) -> dict[str, dict[ScaleLabel, int]]:
    domain_of = {s.id: d.id for d in framework.domains for s in d.statements}
    found: dict[str, Counter[ScaleLabel]] = {}
    for statement_id, value in session.execute(
            select(col(Rating.statement_id), col(Rating.value)).where(
                col(Rating.appraisal_id) == appraisal.id,
                col(Rating.revision) == appraisal.revision)).tuples():
        found.setdefault(domain_of.get(statement_id, ""), Counter())[value] += 1
    return {k: dict(v) for k, v in found.items()}
