"""Every edit and workflow form, pages and admin, submitted exactly as a browser shows it, changes
nothing but what the workflow is for: a form that opens with a field empty, a date reset or a
choice unselected would otherwise overwrite the recorded value (as the completion form once
erased an inspection's findings).

The forms come from the URL patterns and the admin registry: a new page form, admin or bulk
action fails `test_every_form_is_covered` until it has a case below (or is named as not editing
a record), so none is silently left out.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.generic.edit import FormMixin

from supervision.choices import (
    CycleStatus,
    Grade,
    InspectionKind,
    InspectionStatus,
    ReferralStatus,
)
from supervision.forms.facilities import default_grade_year
from supervision.models import (
    CalendarDay,
    CalendarYear,
    Facility,
    Hotline,
    Indicator,
    Inspection,
    PlannedCheck,
    TypicalCase,
)
from supervision.services import evaluation
from supervision.services.credit_actions import adjustment_inspections
from tests.admin_support import make_credit_file, task_result
from tests.credit_support import build_system
from tests.factories import (
    PDF_BYTES,
    CreditRatingFactory,
    FacilityFactory,
    InspectionFactory,
    InspectorFactory,
    RatingChangeFactory,
    ReferralFactory,
    SanctionFactory,
    TipFactory,
    TipReporterFactory,
    TipRewardFactory,
    UserFactory,
)
from tests.test_pages_credit import MEDICAL, cycle_at, first_assessment, lead, manual, objection_of
from tests.test_pages_credit_actions import (
    DECISION as REPAIR_DECISION,
)
from tests.test_pages_credit_actions import (
    REASON as ADJUST_REASON,
)
from tests.test_pages_credit_actions import (
    RECTIFIED,
    adjustable_rating,
    eligible_rating,
    pending_repair,
    planned_year,
)
from tests.test_pages_credit_subjects import institution, person
from tests.test_pages_practitioners import completed as completed_with_violations
from tests.test_pages_practitioners import register as register_practitioner
from tests.test_pages_practitioners import score as score_points

pytestmark = pytest.mark.django_db

# Several lines, as typed in a browser: a textarea must give them back unchanged.
FINDINGS = "现场发现：\n1. 伪造随货同行单3张；\n2. 串换药品。"


# --- reading a form the way a browser does --------------------------------------------------


@dataclass
class ParsedForm:
    attrs: dict[str, str]
    pairs: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)

    def data(self, **fill: Any) -> dict[str, Any]:
        """The POST body (name → value or list of values) with fill replacing whole fields."""
        data: dict[str, Any] = {}
        for name, value in self.pairs:
            data.setdefault(name, []).append(value)
        data = {k: v[0] if len(v) == 1 else v for k, v in data.items()}
        data.update(fill)
        return data


class FormParser(HTMLParser):
    """The successful controls of each <form>, as the HTML standard builds a form data set:
    checked boxes only, a single <select>'s first option when none is selected, a textarea's
    text without its first newline, newlines sent as CRLF, disabled controls left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[ParsedForm] = []
        self._form: ParsedForm | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None
        self._disabled_fieldsets = 0
        self._fieldsets: list[bool] = []

    def _add(self, name: str, value: str) -> None:
        assert self._form is not None
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
        self._form.pairs.append((name, value))

    def _disabled(self, attrs: dict) -> bool:
        return "disabled" in attrs or self._disabled_fieldsets > 0

    def handle_starttag(self, tag: str, attr_list: list) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attr_list}
        if tag == "form":
            self._form = ParsedForm(attrs)
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attrs.get("name", "")
        if tag == "fieldset":
            disabled = "disabled" in attrs
            self._fieldsets.append(disabled)
            self._disabled_fieldsets += disabled
        elif tag == "input" and name:
            self._form.names.add(name)
            kind = attrs.get("type", "text").lower()
            if self._disabled(attrs) or kind in ("submit", "button", "reset", "image"):
                return
            if kind == "file":
                self._form.files.append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value", "on"))
            else:
                self._add(name, attrs.get("value", ""))
        elif tag == "select" and name:
            self._form.names.add(name)
            self._select = {
                "name": name,
                "multiple": "multiple" in attrs,
                "disabled": self._disabled(attrs),
                "options": [],
            }
        elif tag == "option" and self._select is not None:
            self._option = {
                "value": attrs.get("value"),
                "selected": "selected" in attrs,
                "text": "",
            }
            self._select["options"].append(self._option)
        elif tag == "textarea" and name:
            self._form.names.add(name)
            self._textarea = {"name": name, "disabled": self._disabled(attrs), "text": ""}

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "fieldset" and self._fieldsets:
            self._disabled_fieldsets -= self._fieldsets.pop()
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            if select["disabled"]:
                return
            options = select["options"]
            chosen = [o for o in options if o["selected"]]
            if not chosen and not select["multiple"] and options:
                chosen = options[:1]
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"].strip()
                self._add(select["name"], value)
        elif tag == "textarea" and self._textarea is not None:
            textarea, self._textarea = self._textarea, None
            if not textarea["disabled"]:
                text = textarea["text"]
                self._add(textarea["name"], text[1:] if text.startswith("\n") else text)


def form_on(response, path: str) -> ParsedForm:
    """The page's form that posts back to its own address (not the header's sign-out or
    language forms): the one with the most fields."""
    assert response.status_code == 200, (path, response.status_code)
    parser = FormParser()
    parser.feed(response.content.decode())
    own = [
        f
        for f in parser.forms
        if f.attrs.get("method", "get").lower() == "post"
        and f.attrs.get("action", "") in ("", path)
    ]
    assert own, f"no form posting to {path}"
    return max(own, key=lambda f: len(f.names))


# --- what is in the database ---------------------------------------------------------------

# Kept up to date by every save or by triggers: not what a user typed. (A facility's current
# grade is its ratings' copy: a change of grade shows on the rating itself.)
VOLATILE = {"version", "updated_at", "current_grade", "current_grade_year"}
# Logs that every request may add to (sign-ins, uploads): not the records a form edits. The
# case number counters move with every numbered record created (its number is on the record).
LOGS = {"AuditEvent", "CaseNumberCounter"}


def tracked_models() -> list[type[Model]]:
    """The product's tables and the accounts, without the history tables (checked apart)
    and the totals the triggers keep."""
    models = [
        m
        for m in apps.get_app_config("supervision").get_models()
        if not m.__name__.startswith("Historical")
        and not m.__name__.endswith("Tally")
        and m.__name__ not in LOGS
    ]
    return [*models, apps.get_model("auth", "User"), apps.get_model("auth", "Group")]


def snapshot() -> dict[tuple[str, Any], dict[str, Any]]:
    rows: dict[tuple[str, Any], dict[str, Any]] = {}
    for model in tracked_models():
        m2m = [f for f in model._meta.many_to_many]
        for obj in model._default_manager.prefetch_related(*[f.name for f in m2m]):
            values = {
                f.attname: getattr(obj, f.attname)
                for f in model._meta.concrete_fields
                if f.attname not in VOLATILE
            }
            for f in m2m:
                values[f.name] = sorted(o.pk for o in getattr(obj, f.name).all())
            rows[(model._meta.label, obj.pk)] = values
    return rows


def history_counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_app_config("supervision").get_models()
        if m.__name__.startswith("Historical")
    }


@dataclass
class Diff:
    changed: dict[tuple[str, Any], dict[str, tuple[Any, Any]]]
    added: dict[str, int]
    removed: list[tuple[str, Any]]

    def changed_fields(self) -> set[tuple[str, str]]:
        return {(key[0], name) for key, fields in self.changed.items() for name in fields}


def diff(before: dict, after: dict) -> Diff:
    changed = {}
    for key, old in before.items():
        new = after.get(key)
        if new is not None and new != old:
            changed[key] = {k: (old[k], new[k]) for k in old if old[k] != new[k]}
    added: dict[str, int] = {}
    for key in after.keys() - before.keys():
        added[key[0]] = added.get(key[0], 0) + 1
    return Diff(changed, added, sorted(before.keys() - after.keys(), key=str))


def history_changes_since(counts: dict[str, int]) -> dict[str, set[str]]:
    """For each history table, the fields the new history rows changed (version aside)."""
    found: dict[str, set[str]] = {}
    for model in apps.get_app_config("supervision").get_models():
        label = model._meta.label
        if label not in counts:
            continue
        new = model._default_manager.order_by("history_id")[counts[label] :]
        for row in new:
            if not hasattr(row, "prev_record"):
                continue  # a many-to-many history row: its record's row says what changed
            previous = row.prev_record
            if previous is None:
                continue  # a creation: checked as an added row
            delta = row.diff_against(previous, excluded_fields=list(VOLATILE))
            found.setdefault(label, set()).update(delta.changed_fields)
    return {k: v for k, v in found.items() if v}


# --- the cases ------------------------------------------------------------------------------


@dataclass
class Case:
    """One form: who opens it, on what, what a person must still choose (fill), and which
    fields of which models the workflow itself may change and which rows it may add."""

    id: str
    persona: str
    build: Callable[[Any], tuple[str, dict[str, Any]]]  # request → (url, fill)
    may_change: frozenset[tuple[str, str]] = frozenset()
    may_add: frozenset[str] = frozenset()
    must_change: frozenset[tuple[str, str]] = frozenset()
    # The bulk actions are opened with a POST from the changelist (their "GET").
    open_with: Callable[[], dict[str, Any]] | None = None

    def __str__(self) -> str:
        return self.id


def open_inspection(**kwargs: Any) -> Inspection:
    return InspectionFactory(
        kind=InspectionKind.UNANNOUNCED,
        status=InspectionStatus.IN_PROGRESS,
        inspectors=InspectorFactory.create_batch(2),
        findings=FINDINGS,
        amount_involved=Decimal("12345.60"),
        amount_recovered=Decimal("2345.60"),
        **kwargs,
    )


def completed_inspection() -> Inspection:
    inspection = open_inspection()
    inspection.status = InspectionStatus.COMPLETED
    inspection.end_date = datetime.date(2025, 3, 12)
    inspection.save()
    return inspection


def _facility_edit(request):
    facility = FacilityFactory(address="拉萨市城关区示例路1号", contact_phone="0891-6000000")
    return reverse("facility-edit", args=[facility.pk]), {}


def _document_template_edit(request):
    from supervision.models import DocumentTemplate

    template = DocumentTemplate.objects.get(kind="decision", is_active=True)
    return reverse("documenttemplate-edit", args=[template.pk]), {}


def _facility_grade(request):
    facility = FacilityFactory()
    CreditRatingFactory(facility=facility, year=default_grade_year(), grade=Grade.B)
    return reverse("facility-grade", args=[facility.pk]), {
        "grade": Grade.C,
        "reason": "复核后下调",
    }


def _inspection_edit(request):
    inspection = open_inspection()
    return reverse("inspection-edit", args=[inspection.pk]), {}


def _completed_inspection_edit(request):
    return reverse("inspection-edit", args=[completed_inspection().pk]), {}


def _inspection_complete(request):
    return reverse("inspection-complete", args=[open_inspection().pk]), {}


def _inspection_refer(request):
    return reverse("inspection-refer", args=[completed_inspection().pk]), {
        "agency": "police",
        "summary": "伪造随货同行单，涉嫌骗取医保基金。",
    }


def _referral_decide(request):
    referral = ReferralFactory(inspection=completed_inspection())
    return reverse("referral-move", args=[referral.pk]), {
        "status": ReferralStatus.ACCEPTED,
        "case_number": "拉公经立字〔2025〕12号",
    }


def _referral_close(request):
    referral = ReferralFactory(
        inspection=completed_inspection(),
        status=ReferralStatus.ACCEPTED,
        case_number="拉公经立字〔2025〕13号",
        decided_on=datetime.date(2025, 3, 25),
        outcome="已立案侦查。\n待判决。",
    )
    return reverse("referral-move", args=[referral.pk]), {}


def _evidence(name: str, record: Callable[[], Model]):
    def build(request):
        pdf = SimpleUploadedFile("单据.pdf", PDF_BYTES, content_type="application/pdf")
        return reverse(name, args=[record().pk]), {"file": pdf}

    return build


EVIDENCE_ADDS = frozenset({"supervision.Evidence"})
# What every publication moves on: the public pages' edition (their cache key).
PUBLIC_EDITION = frozenset(
    {("supervision.PublicEdition", "number"), ("supervision.PublicEdition", "changed_at")}
)

PAGE_CASES = [
    Case("facility-edit", "supervisor", _facility_edit),
    Case("documenttemplate-edit", "supervisor", _document_template_edit),
    Case(
        "facility-grade",
        "supervisor",
        _facility_grade,
        may_change=frozenset({("supervision.CreditRating", "grade")}),
        must_change=frozenset({("supervision.CreditRating", "grade")}),
        may_add=frozenset({"supervision.RatingChange"}),
    ),
    Case("inspection-edit", "inspector", _inspection_edit),
    Case("inspection-edit:completed", "inspector", _completed_inspection_edit),
    Case(
        "inspection-complete",
        "inspector",
        _inspection_complete,
        may_change=frozenset(
            {("supervision.Inspection", "status"), ("supervision.Inspection", "end_date")}
        ),
        must_change=frozenset({("supervision.Inspection", "status")}),
    ),
    Case(
        "inspection-refer",
        "supervisor",
        _inspection_refer,
        may_add=frozenset({"supervision.Referral"}),
    ),
    Case(
        "referral-move:decide",
        "supervisor",
        _referral_decide,
        may_change=frozenset(
            {
                ("supervision.Referral", "status"),
                ("supervision.Referral", "decided_on"),
                ("supervision.Referral", "case_number"),
            }
        ),
        must_change=frozenset({("supervision.Referral", "status")}),
    ),
    Case(
        "referral-move:close",
        "supervisor",
        _referral_close,
        may_change=frozenset(
            {("supervision.Referral", "status"), ("supervision.Referral", "closed_on")}
        ),
        must_change=frozenset({("supervision.Referral", "status")}),
    ),
    Case(
        "inspection-evidence",
        "inspector",
        _evidence("inspection-evidence", open_inspection),
        may_add=EVIDENCE_ADDS,
    ),
    Case(
        "referral-evidence",
        "supervisor",
        _evidence("referral-evidence", lambda: ReferralFactory(inspection=completed_inspection())),
        may_add=EVIDENCE_ADDS,
    ),
    Case(
        "sanction-evidence",
        "supervisor",
        _evidence("sanction-evidence", lambda: SanctionFactory(note="约谈。\n责令改正。")),
        may_add=EVIDENCE_ADDS,
    ),
]

# --- tips (举报线索) ---


def _tip(**kwargs: Any):
    tip = TipFactory(allegation="示例举报：\n1. 伪造随货同行单；\n2. 串换药品。", **kwargs)
    TipReporterFactory(tip=tip)
    return tip


def _tip_step(name: str, make: Callable[[], Model], fill: Callable[[], dict[str, Any]]):
    def build(request):
        return reverse(name, args=[make().pk]), fill()

    return build


def _two_inspectors() -> dict[str, Any]:
    return {"inspectors": [str(i.pk) for i in InspectorFactory.create_batch(2)]}


def _accepted_tip():
    from supervision.choices import TipStatus

    return _tip(status=TipStatus.ACCEPTED, decided_on=datetime.date(2025, 3, 5))


def _completed_tip():
    tip = _tip(investigating=True)
    Inspection.objects.filter(pk=tip.inspection_id).update(
        status=InspectionStatus.COMPLETED, end_date=datetime.date(2025, 3, 12)
    )
    return tip


def _payable_reward():
    return TipRewardFactory(
        tip=_tip(concluded=True),
        approved=True,
        claim_by=datetime.date.today() + datetime.timedelta(days=60),
    )


def _tip_fields(*names: str) -> frozenset[tuple[str, str]]:
    return frozenset(("supervision.Tip", name) for name in names)


CLOCK = ("status", "clock", "due_on", "acceptance_due")
# The inspection a step opens gets its inspectors after its row: its history records them.
NEW_INSPECTION = frozenset({("supervision.Inspection", "inspectors")})
TIP_CASES = [
    Case("tip-edit", "tip_desk", _tip_step("tip-edit", _tip, dict)),
    Case(
        "tip-edit:unregistered",
        "tip_desk",
        _tip_step("tip-edit", lambda: _tip(unregistered=True), dict),
    ),
    Case("tip-reporter", "tip_desk", _tip_step("tip-reporter", _tip, dict)),
    Case(
        "tip-accept",
        "tip_desk",
        _tip_step("tip-accept", _tip, _two_inspectors),
        may_change=_tip_fields(*CLOCK, "decided_on", "inspection_id", "inspection")
        | NEW_INSPECTION,
        must_change=_tip_fields("status"),
        may_add=frozenset({"supervision.Inspection"}),
    ),
    Case(
        "tip-decline",
        "tip_desk",
        _tip_step("tip-decline", _tip, lambda: {"reason": "不属于医保基金监管范围。"}),
        may_change=_tip_fields(*CLOCK, "decided_on", "decision_note"),
        must_change=_tip_fields("status"),
    ),
    Case(
        "tip-merge",
        "tip_desk",
        _tip_step("tip-merge", _tip, lambda: {"master": f"#{_tip().pk}"}),
        may_change=_tip_fields(*CLOCK, "master_id", "master"),
        must_change=_tip_fields("status", "master_id"),
    ),
    Case(
        "tip-open-inspection",
        "tip_desk",
        _tip_step("tip-open-inspection", _accepted_tip, _two_inspectors),
        may_change=_tip_fields(*CLOCK, "inspection_id", "inspection") | NEW_INSPECTION,
        must_change=_tip_fields("status", "inspection_id"),
        may_add=frozenset({"supervision.Inspection"}),
    ),
    Case(
        "tip-extend",
        "supervisor",
        _tip_step(
            "tip-extend",
            lambda: _tip(investigating=True),
            lambda: {"working_days": "10", "reason": "需调取外省购销记录。"},
        ),
        may_change=_tip_fields("due_on", "extension_days", "acceptance_due"),
        must_change=_tip_fields("extension_days"),
        may_add=frozenset({"supervision.TipExtension"}),
    ),
    Case(
        "tip-conclude",
        "tip_desk",
        _tip_step("tip-conclude", _completed_tip, dict),
        may_change=_tip_fields(
            *CLOCK, "conclusion", "concluded_on", "conclusion_note", "verified_amount"
        ),
        must_change=_tip_fields("status", "conclusion"),
    ),
    Case(
        "tip-reply",
        "tip_desk",
        _tip_step(
            "tip-reply",
            lambda: _tip(concluded=True),
            lambda: {"reply_method": "phone", "reply_note": "已电话告知核查结果。"},
        ),
        may_change=_tip_fields(*CLOCK, "replied_on", "reply_method", "reply_note"),
        must_change=_tip_fields("status"),
    ),
    Case(
        "tip-close",
        "tip_desk",
        _tip_step("tip-close", lambda: _tip(declined=True, wants_reply=False), dict),
        may_change=_tip_fields(*CLOCK, "closed_on"),
        must_change=_tip_fields("status"),
    ),
    Case(
        "tip-reward-propose",
        "tip_desk",
        _tip_step("tip-reward-propose", lambda: _tip(concluded=True), dict),
        may_add=frozenset({"supervision.TipReward"}),
    ),
    Case(
        "tipreward-decide",
        "supervisor",
        _tip_step(
            "tipreward-decide",
            lambda: TipRewardFactory(tip=_tip(concluded=True)),
            lambda: {"decision": "approve"},
        ),
        may_change=frozenset(
            ("supervision.TipReward", n)
            for n in ("status", "decided_on", "decided_by_id", "decided_by", "claim_by")
        ),
        must_change=frozenset({("supervision.TipReward", "status")}),
    ),
    Case(
        "tipreward-pay",
        "supervisor",
        _tip_step(
            "tipreward-pay",
            _payable_reward,
            lambda: {"method": "bank", "reference": "示例凭证001"},
        ),
        may_change=frozenset(
            ("supervision.TipReward", n) for n in ("status", "paid_on", "method", "reference")
        ),
        must_change=frozenset({("supervision.TipReward", "status")}),
    ),
    Case(
        "tip-evidence",
        "tip_desk",
        _evidence("tip-evidence", _tip),
        may_add=EVIDENCE_ADDS,
    ),
]
PAGE_CASES += TIP_CASES

# --- credit management (信用管理) ---


def _cycle_step(slug: str, status: str):
    """A cycle step's own page, on a cycle walked to status with past dates (the publication
    period of a published cycle is over): the person only ticks the confirmation."""

    def build(request):
        cycle = cycle_at(status)
        return reverse(f"evaluationcycle-{slug}", args=[cycle.pk]), {"confirm": "on"}

    return build


def _cycle_fields(*names: str) -> frozenset[tuple[str, str]]:
    return frozenset(("supervision.EvaluationCycle", name) for name in names)


def _assessment_fields(*names: str) -> frozenset[tuple[str, str]]:
    return frozenset(("supervision.Assessment", name) for name in names)


# What rescoring one or every assessment rewrites (and the cycle's counts kept with it).
TOTALS = _assessment_fields("deductions", "bonus", "score", "grade", "vetoed")
FIGURES = _cycle_fields("figures")


def _assessment_self(request):
    assessment = first_assessment(cycle_at(CycleStatus.SELF_ASSESSMENT))
    return reverse("assessment-self", args=[assessment.pk]), {"score": "905.50"}


def _assessment_self_again(request):
    """A self-assessment already recorded, its score corrected: the date and note stay."""
    cycle = cycle_at(CycleStatus.SELF_ASSESSMENT)
    assessment = evaluation.record_self_assessment(
        first_assessment(cycle),
        score="880",
        received_on=cycle.opened_on,
        note="自评说明第一行\n第二行",
        user=lead(),
    )
    return reverse("assessment-self", args=[assessment.pk]), {"score": "890"}


def _assessment_score(request):
    cycle = cycle_at(CycleStatus.SCORING)
    url = reverse("assessment-score", args=[first_assessment(cycle).pk])
    return url, {"indicator": str(manual(cycle).pk), "points": "30", "note": "制度不健全。"}


def _assessment_score_in_review(request):
    """In review an evaluator's existing manual score is changed, with the reason."""
    cycle = cycle_at(CycleStatus.SCORING)
    assessment = first_assessment(cycle)
    evaluation.score_indicator(
        assessment, indicator=manual(cycle), points="30", note="制度不健全。", user=lead()
    )
    evaluation.complete_initial_scoring(cycle, user=lead(), on=cycle.opened_on)
    return reverse("assessment-score", args=[assessment.pk]), {
        "indicator": str(manual(cycle).pk),
        "points": "20",
        "reason": "复核后减少扣分",
    }


def _assessment_objection(request):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    url = reverse("assessment-objection", args=[first_assessment(cycle).pk])
    # The publication period is over: the objection came in during it (the clerk types when).
    return url, {
        "received_on": cycle.publication_starts.isoformat(),
        "grounds": "示例异议：违规已整改。\n请求复核。",
    }


def _objection_decide(request):
    objection = objection_of(cycle_at(CycleStatus.PUBLICATION))
    return reverse("objection-decide", args=[objection.pk]), {
        "outcome": "rejected",
        "decision": "经核实，扣分依据充分，异议不成立。",
    }


def _objection_uphold(request):
    cycle = cycle_at(CycleStatus.PUBLICATION)
    objection = objection_of(cycle)
    indicator = Indicator.objects.get(system=cycle.system, code="2.1")
    return reverse("objection-decide", args=[objection.pk]), {
        "outcome": "upheld",
        "decision": "经核实，违规已于检查前整改，更正扣分。",
        f"adjust_{indicator.pk}": "0",
    }


def _repair_apply(request):
    return reverse("creditrepair-apply", args=[eligible_rating().pk]), {
        "rectification": RECTIFIED,
    }


def _repair_decide(request):
    return reverse("creditrepair-decide", args=[pending_repair().pk]), {
        "outcome": "approve",
        "decision": REPAIR_DECISION,
    }


def _repair_reject(request):
    return reverse("creditrepair-decide", args=[pending_repair().pk]), {
        "outcome": "reject",
        "decision": "整改材料不全，不予修复。",
    }


def _rating_adjust(request):
    rating = adjustable_rating()
    inspection = adjustment_inspections(rating).get()
    return reverse("rating-adjust", args=[rating.pk]), {
        "to_grade": Grade.C,
        "inspection": str(inspection.pk),
        "reason": ADJUST_REASON,
    }


def _plan_build(request):
    """This year's plan exists; an on-site inspection of the planned facility has started
    since: building again (the year shown) links it."""
    year = planned_year()
    planned = PlannedCheck.objects.get(year=year, sequence=1)
    InspectionFactory(
        facility=planned.facility,
        kind=InspectionKind.UNANNOUNCED,
        status=InspectionStatus.IN_PROGRESS,
        start_date=datetime.date(year, 1, 2),
    )
    return reverse("plannedcheck-build"), {}


def _institution_edit(request):
    subject = institution(
        legal_representative="示例法人",
        address="拉萨市城关区示例路2号",
        note="备注第一行\n备注第二行",
    )
    return reverse("creditinstitution-edit", args=[subject.pk]), {}


def _person_edit(request):
    subject = person(note="备注第一行\n备注第二行")
    return reverse("insuredperson-edit", args=[subject.pk]), {}


REPAIR_DECIDED = frozenset(
    ("supervision.CreditRepair", n)
    for n in ("status", "decision", "decided_on", "decided_by_id", "decided_by")
)
OBJECTION_DECIDED = frozenset(
    ("supervision.Objection", n)
    for n in ("status", "decided_on", "decision", "grade_after", "decided_by_id", "decided_by")
)
CREDIT_CASES = [
    Case(
        "evaluationcycle-score",
        "supervisor",
        _cycle_step("score", CycleStatus.SELF_ASSESSMENT),
        may_change=_cycle_fields("status", "scored_at") | FIGURES | TOTALS,
        must_change=_cycle_fields("status", "scored_at"),
        may_add=frozenset({"supervision.AssessmentItem"}),
    ),
    Case(
        "evaluationcycle-complete",
        "supervisor",
        _cycle_step("complete", CycleStatus.SCORING),
        may_change=_cycle_fields("status", "initial_done_on"),
        must_change=_cycle_fields("status", "initial_done_on"),
    ),
    Case(
        "evaluationcycle-publish",
        "supervisor",
        _cycle_step("publish", CycleStatus.REVIEW),
        may_change=_cycle_fields("status", "reviewed_on", "publication_starts", "publication_ends")
        | _assessment_fields("published_grade"),
        must_change=_cycle_fields("status", "publication_starts", "publication_ends"),
    ),
    Case(
        "evaluationcycle-finalise",
        "supervisor",
        _cycle_step("finalise", CycleStatus.PUBLICATION),
        may_change=_cycle_fields("status", "finalised_on")
        | FIGURES
        | _assessment_fields("finalised"),
        must_change=_cycle_fields("status", "finalised_on") | _assessment_fields("finalised"),
        may_add=frozenset({"supervision.CreditRating", "supervision.RatingChange"}),
    ),
    Case(
        "evaluationcycle-announce",
        "supervisor",
        _cycle_step("announce", CycleStatus.FINAL),
        # Announcing a facility category's results makes its grades public (信息公开): one
        # GradePublication, and the public pages move on to a new edition.
        may_change=_cycle_fields("status", "announced_on") | PUBLIC_EDITION,
        must_change=_cycle_fields("status", "announced_on") | PUBLIC_EDITION,
        may_add=frozenset({"supervision.GradePublication"}),
    ),
    Case(
        "assessment-self",
        "evaluator",
        _assessment_self,
        may_change=_assessment_fields("self_score", "self_received_on", "self_note") | FIGURES,
        must_change=_assessment_fields("self_score", "self_received_on"),
    ),
    Case(
        "assessment-self:again",
        "evaluator",
        _assessment_self_again,
        may_change=_assessment_fields("self_score"),
        must_change=_assessment_fields("self_score"),
    ),
    Case(
        "assessment-score",
        "evaluator",
        _assessment_score,
        may_change=TOTALS | FIGURES,
        must_change=_assessment_fields("deductions", "score"),
        may_add=frozenset({"supervision.AssessmentItem"}),
    ),
    # The score form opens with the note empty (no indicator chosen yet): a review change of
    # the points, submitted with the note as shown, keeps the evaluator's note.
    Case(
        "assessment-score:review",
        "supervisor",
        _assessment_score_in_review,
        may_change=TOTALS
        | FIGURES
        | frozenset(
            ("supervision.AssessmentItem", n)
            for n in ("points", "entered_by_id", "entered_by", "entered_at")
        ),
        must_change=_assessment_fields("deductions", "score")
        | frozenset({("supervision.AssessmentItem", "points")}),
    ),
    Case(
        "assessment-objection",
        "evaluator",
        _assessment_objection,
        may_add=frozenset({"supervision.Objection"}),
    ),
    Case(
        "objection-decide",
        "supervisor",
        _objection_decide,
        may_change=OBJECTION_DECIDED,
        must_change=frozenset({("supervision.Objection", "status")}),
    ),
    Case(
        "objection-decide:upheld",
        "supervisor",
        _objection_uphold,
        may_change=OBJECTION_DECIDED
        | TOTALS
        | FIGURES
        | frozenset(
            ("supervision.AssessmentItem", n)
            for n in (
                "points",
                "note",
                "automatic",
                "facts",
                "entered_by_id",
                "entered_by",
                "entered_at",
            )
        ),
        must_change=frozenset(
            {("supervision.Objection", "status"), ("supervision.AssessmentItem", "points")}
        ),
    ),
    Case(
        "objection-evidence",
        "evaluator",
        _evidence("objection-evidence", lambda: objection_of(cycle_at(CycleStatus.PUBLICATION))),
        may_add=EVIDENCE_ADDS,
    ),
    Case(
        "creditrepair-apply",
        "evaluator",
        _repair_apply,
        may_add=frozenset({"supervision.CreditRepair"}),
    ),
    Case(
        "creditrepair-decide",
        "supervisor",
        _repair_decide,
        may_change=REPAIR_DECIDED
        | frozenset({("supervision.CreditRepair", "to_grade")})
        | frozenset(("supervision.CreditRating", n) for n in ("grade", "repaired")),
        must_change=frozenset(
            {("supervision.CreditRepair", "status"), ("supervision.CreditRating", "grade")}
        ),
        may_add=frozenset({"supervision.RatingChange"}),
    ),
    Case(
        "creditrepair-decide:reject",
        "supervisor",
        _repair_reject,
        may_change=REPAIR_DECIDED,
        must_change=frozenset({("supervision.CreditRepair", "status")}),
    ),
    Case(
        "creditrepair-evidence",
        "evaluator",
        _evidence("creditrepair-evidence", lambda: pending_repair()),
        may_add=EVIDENCE_ADDS,
    ),
    Case(
        "rating-adjust",
        "supervisor",
        _rating_adjust,
        may_change=frozenset({("supervision.CreditRating", "grade")}),
        must_change=frozenset({("supervision.CreditRating", "grade")}),
        may_add=frozenset({"supervision.RatingChange"}),
    ),
    Case(
        "plannedcheck-build",
        "supervisor",
        _plan_build,
        may_change=frozenset(
            ("supervision.PlannedCheck", n) for n in ("inspection_id", "inspection")
        ),
        must_change=frozenset({("supervision.PlannedCheck", "inspection_id")}),
        may_add=frozenset({"supervision.PlannedCheck"}),
    ),
    Case("creditinstitution-edit", "evaluator", _institution_edit),
    Case("insuredperson-edit", "supervisor", _person_edit),
    Case("insuredperson-edit:evaluator", "evaluator", _person_edit),
]
PAGE_CASES += CREDIT_CASES

# --- practitioners (医药机构相关人员, 记分) ---


def _practitioner_registration():
    registration = register_practitioner(
        FacilityFactory(),
        certificate_number="110540100012345",
        department="内科",
        note="备注第一行\n备注第二行",
    )
    return registration


def _points_record(objected: bool = False):
    registration = _practitioner_registration()
    record = score_points(
        registration.practitioner, completed_with_violations(registration.facility)
    )
    if objected:
        from supervision.services import practitioners

        record = practitioners.lodge_objection(
            record, user=None, grounds="当日未当班。\n另有证明。"
        )
    return record


def _practitioner_edit(request):
    person = _practitioner_registration().practitioner
    return reverse("practitioner-edit", args=[person.pk]), {}


def _registration_end(request):
    return reverse("registration-end", args=[_practitioner_registration().pk]), {}


def _points_step(name: str, fill: dict[str, Any], objected: bool = False):
    def build(request):
        return reverse(name, args=[_points_record(objected).pk]), dict(fill)

    return build


def _points_fields(*names: str) -> frozenset[tuple[str, str]]:
    return frozenset(("supervision.PointsRecord", name) for name in names)


PRACTITIONER_CASES = [
    Case("practitioner-edit", "supervisor", _practitioner_edit),
    Case(
        "registration-end",
        "supervisor",
        _registration_end,
        may_change=frozenset(("supervision.Registration", n) for n in ("ended_on", "end_reason")),
        must_change=frozenset(("supervision.Registration", n) for n in ("ended_on", "end_reason")),
    ),
    Case(
        "points-notify",
        "supervisor",
        _points_step("points-notify", {}),
        may_change=_points_fields("notified_on"),
        must_change=_points_fields("notified_on"),
    ),
    Case(
        "points-object",
        "supervisor",
        _points_step("points-object", {"objection_grounds": "当日未当班。"}),
        may_change=_points_fields("state", "objected_on", "objection_grounds"),
        must_change=_points_fields("state", "objected_on", "objection_grounds"),
    ),
    Case(
        "points-decide",
        "supervisor",
        _points_step(
            "points-decide",
            {"outcome": "maintained", "objection_reason": "经核实违规属实。"},
            objected=True,
        ),
        may_change=_points_fields("state", "objection_decided_on", "objection_reason"),
        must_change=_points_fields("state", "objection_decided_on", "objection_reason"),
    ),
]
PAGE_CASES += PRACTITIONER_CASES


def _random_plan_edit(request):
    from supervision.services import random_checks

    plan = random_checks.create_plan(
        user=None,
        name="示例：双随机抽查计划",
        starts_on=datetime.date(2026, 3, 1),
        ends_on=datetime.date(2026, 6, 30),
        kinds=["pharmacy"],
        grades=["C", "D", ""],
        target_share=Decimal("12.50"),
        weights={"D": 3, "": 2},
        inspector_rest_months=6,
        exclude_home_district=True,
        note="备注第一行\n备注第二行",
    )
    return reverse("random-plan-edit", args=[plan.pk]), {}


def _typical_case_edit(request):
    from tests.factories import TypicalCaseFactory

    case = TypicalCaseFactory(
        facts="第一段。\n第二段。", handling="处理结果。\n另行告知。", lesson="警示。"
    )
    return reverse("typical-case-edit", args=[case.pk]), {}


PAGE_CASES += [
    Case("random-plan-edit", "supervisor", _random_plan_edit),
    Case("typical-case-edit", "supervisor", _typical_case_edit),
]


# Rectification orders (责令整改): the facility's report, and the follow-up inspection (复查)
# recorded with the order's result; the form opens with today's date and the ordered
# inspection's officers ticked.
def _rectification(**traits: Any) -> Model:
    from tests.factories import RectificationFactory

    return RectificationFactory(
        requirement="1. 规范进销存管理；\n2. 退回多收费用。",
        inspection__findings=FINDINGS,
        **traits,
    )


def _rectification_report(request):
    rect = _rectification()
    return reverse("rectification-report", args=[rect.pk]), {
        "report": "已完成盘点。\n多收费用已退回。"
    }


def _rectification_follow_up(request):
    rect = _rectification(reported=True)
    return reverse("rectification-follow-up", args=[rect.pk]), {
        "done": "false",
        "outcome": "现场复查：\n多收费用仍未退回。",
    }


def _rectification_fields(*names: str) -> frozenset[tuple[str, str]]:
    return frozenset(("supervision.Rectification", name) for name in names)


PAGE_CASES += [
    Case(
        "rectification-report",
        "inspector",
        _rectification_report,
        may_change=_rectification_fields("status", "reported_on", "report"),
        must_change=_rectification_fields("status", "reported_on", "report"),
    ),
    Case(
        "rectification-follow-up",
        "inspector",
        _rectification_follow_up,
        may_change=_rectification_fields(
            "status", "follow_up_id", "follow_up", "checked_on", "outcome"
        )
        | NEW_INSPECTION,
        must_change=_rectification_fields("status", "follow_up_id", "checked_on", "outcome"),
        may_add=frozenset({"supervision.Inspection"}),
    ),
]

# The steps of random-check plans, typical cases and publication: their effects, refusals and
# permissions are tested in tests/test_pages_random_checks.py, test_pages_typical_cases.py and
# test_publication_actions.py; their round-trip cases are still to be written (issue 15 note).
STEPS_WITHOUT_ROUND_TRIP = {
    "random-plan-draw",
    "random-plan-verify",
    "random-plan-publish",
    "random-plan-cancel",
    "random-assignment-substitute",
    "typical-case-submit",
    "typical-case-approve",
    "typical-case-return",
    "typical-case-withdraw",
    "sanction-publish",
    "sanction-unpublish",
}

# Page forms that edit no existing record: a new record, or the account's own sign-in.
NOT_RECORD_FORMS = {
    "facility-create": "a new record",
    "inspection-create": "a new record",
    "sanction-create": "a new record",
    "tip-create": "a new record",
    "creditinstitution-create": "a new record",
    "insuredperson-create": "a new record",
    "practitioner-register": "a new registration (and person)",
    "points-create": "a new points record",
    "evaluationcycle-open": "a new record (the cycle and its assessments)",
    "random-plan-create": "a new record",
    "typical-case-create": "a new record",
    "rectification-create": "a new record (an order on a completed inspection)",
    "grade-publication-create": "a new record (a year's grades made public)",
    "login": "signing in",
    "logout": "signing out",
    "password_change": "the account's password",
    "password_reset": "not used (no e-mail)",
    "password_reset_confirm": "not used (no e-mail)",
    "two-factor-setup": "the account's authenticator",
    "two-factor-verify": "signing in",
    "two-factor-recovery-codes": "the account's recovery codes",
    "set_language": "the language of the pages",
    "session-keepalive": "extends the session, no record",
    "notification-settings": "the account's own reminder settings (tests/test_reminders.py)",
    "notification-mark-read": "marks the account's own notifications read",
    "documenttemplate-create": "a new record",
    # Issuing adds a version of a document (tests/test_pages_documents.py): no form, a button.
    "inspection-document-issue": "a new version of a document, with its file as evidence",
    "referral-document-issue": "a new version of a document, with its file as evidence",
    "sanction-document-issue": "a new version of a document, with its file as evidence",
    # Imports (tests/test_imports.py, tests/test_pages_imports.py): an upload makes a new job;
    # confirming and giving up are buttons of the uploader on the job's page.
    "import-list": "a new import: the uploaded file and its dry run",
    "import-confirm": "the uploader's go-ahead to write a checked import, a button",
    "import-cancel": "the uploader gives up a checked import, a button",
}


# The admin: a change page of one row of every registered model the superuser may change.
def _user() -> Model:
    user = UserFactory(first_name="示例", last_name="用户")
    return user


ADMIN_RECORDS: dict[str, Callable[[], Model]] = {
    "auth.Group": lambda: apps.get_model("auth", "Group").objects.get_or_create(name="inspector")[
        0
    ],
    "auth.User": _user,
    "authtoken.TokenProxy": lambda: _token(),
    "otp_totp.TOTPDevice": lambda: apps.get_model("otp_totp", "TOTPDevice").objects.create(
        user=UserFactory(), name="authenticator", confirmed=True
    ),
    "otp_static.StaticDevice": lambda: apps.get_model("otp_static", "StaticDevice").objects.create(
        user=UserFactory(), name="recovery", confirmed=True
    ),
    "supervision.Inspector": lambda: InspectorFactory(),
    "supervision.Inspection": completed_inspection,
    "supervision.Referral": lambda: ReferralFactory(
        inspection=completed_inspection(), summary="伪造随货同行单。\n涉嫌诈骗。"
    ),
    "supervision.Sanction": lambda: SanctionFactory(suspension=True),
    "supervision.Facility": lambda: _facility_with_cases(),
    "supervision.CreditRating": lambda: CreditRatingFactory(facility=FacilityFactory()),
    "supervision.RatingChange": lambda: RatingChangeFactory(),
    "supervision.PartnerAgency": lambda: _lookup("PartnerAgency", "police"),
    "supervision.ViolationCategory": lambda: _lookup("ViolationCategory", "forged_delivery_notes"),
    "supervision.AuditEvent": lambda: _audit_event(),
    "supervision.DocumentTemplate": lambda: _document_template(),
    "supervision.IssuedDocument": lambda: _issued_document(),
    "axes.AccessAttempt": lambda: apps.get_model("axes", "AccessAttempt").objects.create(
        username="inspector", ip_address="10.0.0.1", failures_since_start=2
    ),
    "axes.AccessLog": lambda: apps.get_model("axes", "AccessLog").objects.create(
        username="inspector", ip_address="10.0.0.1"
    ),
    "axes.AccessFailureLog": lambda: apps.get_model("axes", "AccessFailureLog").objects.create(
        username="inspector", ip_address="10.0.0.1"
    ),
}


def _document_template() -> Model:
    from supervision.models import DocumentTemplate

    return DocumentTemplate.objects.get(kind="notice", is_active=True)


def _issued_document() -> Model:
    from tests.factories import IssuedDocumentFactory

    return IssuedDocumentFactory(inspection=completed_inspection())


def _audit_event() -> Model:
    from supervision.choices import AuditAction
    from supervision.services.audit_events import record_event

    return record_event(AuditAction.OTP_VERIFIED, user=UserFactory())


def _lookup(model_name: str, code: str) -> Model:
    """A lookup row (the migrations create them; --no-migrations databases have none)."""
    model = apps.get_model("supervision", model_name)
    return model.objects.get_or_create(code=code)[0]


def _token() -> Model:
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=UserFactory())


def _facility_with_cases() -> Facility:
    facility = FacilityFactory()
    CreditRatingFactory(facility=facility, year=2024)
    open_inspection(facility=facility)
    SanctionFactory(facility=facility)
    return facility


def _admin_tip() -> Model:
    """An open tip with its reporter, violations and several lines of allegation."""
    tip = TipFactory(allegation="示例举报：\n1. 伪造随货同行单；\n2. 串换药品。")
    tip.violations.set(["forged_delivery_notes"])
    TipReporterFactory(tip=tip)
    return tip


def _admin_calendar_year() -> Model:
    CalendarDay.objects.create(day=datetime.date(2027, 10, 1), is_workday=False, name="国庆节")
    CalendarDay.objects.create(day=datetime.date(2027, 9, 26), is_workday=True, name="国庆节调休")
    return CalendarYear.objects.create(
        year=2027, notice="国办发明电〔2026〕示例号", published_on=datetime.date(2026, 11, 1)
    )


def _admin_hotline() -> Model:
    return Hotline.objects.update_or_create(
        channel="city_hotline",
        defaults={"name": "拉萨市医保举报电话", "contact": "0891-0000000", "published": True},
    )[0]


ADMIN_RECORDS.update(
    {
        "supervision.Tip": _admin_tip,
        "supervision.TipReward": lambda: TipRewardFactory(approved=True),
        "supervision.CalendarYear": _admin_calendar_year,
        "supervision.CalendarDay": lambda: CalendarDay.objects.create(
            day=datetime.date(2027, 1, 1), is_workday=False, name="元旦"
        ),
        "supervision.Hotline": _admin_hotline,
    }
)


# --- credit management in the admin ---


def _seeded(model_name: str, **lookup: Any) -> Model:
    """A row the migrations seed (categories, measures); made when a database has none."""
    model = apps.get_model("supervision", model_name)
    found = model.objects.filter(**lookup).order_by("pk").first()
    return found or model.objects.get_or_create(**lookup)[0]


def _admin_credit_file():
    return make_credit_file(FacilityFactory(name="示例信用医院"))


def _admin_assessment_item() -> Model:
    item = _admin_credit_file().item
    item.note = "病历书写不规范。\n扣50分。"
    item.save()
    return item


def _admin_system() -> Model:
    """An open (not frozen) system, with its dimensions and indicators inline."""
    return build_system(year=2031)


def _admin_institution() -> Model:
    return institution(
        legal_representative="示例法人",
        address="拉萨市城关区示例路2号",
        note="备注第一行\n备注第二行",
    )


ADMIN_RECORDS.update(
    {
        "supervision.Assessment": lambda: _admin_credit_file().assessment,
        "supervision.AssessmentItem": _admin_assessment_item,
        "supervision.CreditCategory": lambda: _seeded("CreditCategory", code=MEDICAL),
        "supervision.CreditInstitution": _admin_institution,
        "supervision.CreditRepair": lambda: _admin_credit_file().repair,
        "supervision.EvaluationCycle": lambda: cycle_at(CycleStatus.PUBLICATION),
        "supervision.IndicatorSystem": _admin_system,
        "supervision.InsuredPerson": lambda: person(note="备注第一行\n备注第二行"),
        "supervision.Objection": lambda: _admin_credit_file().objection,
        "supervision.PlannedCheck": lambda: _admin_credit_file().planned,
        "supervision.SupervisionMeasure": lambda: _seeded(
            "SupervisionMeasure", category_id=MEDICAL, grade=Grade.D
        ),
    }
)


def _practitioner_file():
    from tests.test_admin_practitioners import make_practitioner_file

    return make_practitioner_file()


ADMIN_RECORDS.update(
    {
        "supervision.Practitioner": lambda: _practitioner_file().person,
        "supervision.Registration": lambda: _practitioner_file().registration,
        "supervision.PointsRecord": lambda: _practitioner_file().record,
        "supervision.QualificationMeasure": lambda: _practitioner_file().measure,
        "supervision.PointsPolicy": lambda: _seeded("PointsPolicy", from_year=2024),
    }
)


def _drawn_plan():
    from supervision.services import random_checks

    FacilityFactory.create_batch(3, pharmacy=True)
    InspectorFactory.create_batch(3)
    plan = random_checks.create_plan(
        user=None,
        name="示例：后台双随机抽查",
        starts_on=datetime.date(2026, 3, 1),
        ends_on=datetime.date(2026, 6, 30),
        kinds=["pharmacy"],
        target_count=2,
        note="备注第一行\n备注第二行",
    )
    return random_checks.draw(plan, seed="示例 seed", user=None)


def _grade_publication():
    from tests.factories import GradePublicationFactory

    return GradePublicationFactory(note="说明第一行\n说明第二行")


ADMIN_RECORDS.update(
    {
        "supervision.RandomCheckPlan": _drawn_plan,
        "supervision.RandomCheckTarget": lambda: _drawn_plan().targets.first(),
        "supervision.RandomCheckAssignment": lambda: (
            _drawn_plan().targets.first().assignments.first()
        ),
        "supervision.GradePublication": _grade_publication,
        "supervision.TypicalCase": lambda: _typical_case_edit(None) and TypicalCase.objects.get(),
        # Read, and its wording corrected: the report's text once there is one.
        "supervision.Rectification": lambda: _rectification(reported=True),
        # The task worker's jobs (django-tasks' database queue), shown read-only.
        "django_tasks_database.DBTaskResult": lambda: task_result(),
        # One row per kind comes with migration 0125.
        "supervision.CaseNumberPattern": lambda: apps.get_model(
            "supervision", "CaseNumberPattern"
        ).objects.get(kind="inspection"),
    }
)


# Admin forms that ask for something a person must type on every save (the change's reason).
ADMIN_FILL: dict[str, dict[str, str]] = {
    "supervision.CreditRating": {"reason": "核对后保存"},
}


def _admin_case(label: str) -> Case:
    def build(request):
        record = ADMIN_RECORDS[label]()
        opts = apps.get_model(label)._meta  # a proxy (TokenProxy) has its own pages
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
        return change, ADMIN_FILL.get(label, {})

    return Case(f"admin:{label}", "superuser", build)


# The bulk actions' confirmation forms, opened from the changelist.
def _bulk_facilities() -> list[Facility]:
    facilities = FacilityFactory.create_batch(2)
    for facility in facilities:
        CreditRatingFactory(facility=facility, year=2024, grade=Grade.B)
    return facilities


def _bulk(action: str, fill: dict[str, Any]) -> Case:
    state: dict[str, Any] = {}

    def opening() -> dict[str, Any]:
        return {"action": action, ACTION_CHECKBOX_NAME: [str(f.pk) for f in state["facilities"]]}

    def build(request):
        state["facilities"] = _bulk_facilities()
        return reverse("admin:supervision_facility_changelist"), fill

    return Case(
        f"admin-action:{action}",
        "superuser",
        build,
        open_with=opening,
        **BULK_EFFECTS[action],
    )


BULK_EFFECTS: dict[str, dict[str, Any]] = {
    "set_grade_for_year": {
        "may_change": frozenset({("supervision.CreditRating", "grade")}),
        "must_change": frozenset({("supervision.CreditRating", "grade")}),
        "may_add": frozenset({"supervision.RatingChange"}),
    },
    "suspend_agreements": {"may_add": frozenset({"supervision.Sanction"})},
}
BULK_FILL: dict[str, dict[str, Any]] = {
    "set_grade_for_year": {"year": "2024", "grade": Grade.C, "reason": "专项检查后下调"},
    "suspend_agreements": {
        "starts_on": "2025-04-01",
        "ends_on": "2025-05-31",
        "decided_on": "2025-03-28",
    },
}
# Actions that show no form (they act at once): not a form to round-trip.
NO_FORM_ACTIONS = {
    "delete_selected",
    "cleanup_expired_attempts",
    "copy_to_next_year",
    "publish_selected",
}


# --- discovering the forms ------------------------------------------------------------------


def _walk(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name, pattern.callback


def page_forms() -> set[str]:
    """The named pages (not the admin's, not the API's) that take a POST."""
    found = set()
    for name, callback in _walk(get_resolver().url_patterns):
        view = getattr(callback, "view_class", None)
        if name.startswith("admin:") or view is None or getattr(callback, "cls", None):
            continue
        if issubclass(view, FormMixin) or hasattr(view, "post"):
            found.add(name)
    return found


def admin_labels() -> set[str]:
    return {model._meta.label for model in admin.site._registry}


def admin_actions() -> set[str]:
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True)
    names = set()
    for model_admin in admin.site._registry.values():
        names |= set(model_admin.get_actions(request))
    return names


def _case_of(entry) -> Case:
    """A case, or the case of a pytest.param (an expected failure)."""
    return entry.values[0] if hasattr(entry, "values") else entry


def test_every_form_is_covered():
    cases = {_case_of(c).id.split(":")[0] for c in PAGE_CASES}
    missing_pages = page_forms() - cases - NOT_RECORD_FORMS.keys() - STEPS_WITHOUT_ROUND_TRIP
    assert not missing_pages, f"add a round-trip case for the page forms {sorted(missing_pages)}"
    assert cases <= page_forms(), "a case names a page that no longer exists"
    missing_admins = admin_labels() - ADMIN_RECORDS.keys()
    assert not missing_admins, f"add a record to ADMIN_RECORDS for {sorted(missing_admins)}"
    missing_actions = admin_actions() - BULK_EFFECTS.keys() - NO_FORM_ACTIONS
    assert not missing_actions, f"add a case for the admin actions {sorted(missing_actions)}"


ADMIN_CASES = [_admin_case(label) for label in sorted(ADMIN_RECORDS)]
ACTION_CASES = [_bulk(action, BULK_FILL[action]) for action in sorted(BULK_EFFECTS)]


# --- the round trip -------------------------------------------------------------------------


def round_trip(client, request, case: Case):
    user = request.getfixturevalue(case.persona)
    client.force_login(user)
    url, fill = case.build(request)
    opened = client.post(url, case.open_with()) if case.open_with else client.get(url)
    form = form_on(opened, url)
    before, counts = snapshot(), history_counts()
    response = client.post(url, form.data(**fill))
    return form, response, diff(before, snapshot()), history_changes_since(counts)


def assert_only_the_workflow_changed(case: Case, response, found: Diff, history) -> None:
    assert response.status_code == 302, (
        f"{case}: the form as shown was refused: {_errors(response)}"
    )
    unexpected = {
        key: fields
        for key, fields in found.changed.items()
        if {(key[0], name) for name in fields} - case.may_change
    }
    assert not unexpected, f"{case} changed {unexpected}"
    assert found.changed_fields() >= case.must_change, f"{case} did not do its step"
    assert set(found.added) <= case.may_add, f"{case} added rows of {found.added}"
    assert not found.removed, f"{case} deleted {found.removed}"
    allowed_history = {(label, name) for label, name in case.may_change}
    for label, fields in history.items():
        model = label.replace("Historical", "")
        stray = {name for name in fields if (model, name) not in allowed_history}
        assert not stray, f"{case}: history of {label} records changes of {stray}"


@pytest.mark.parametrize("case", PAGE_CASES, ids=str)
def test_a_page_form_submitted_as_shown_changes_only_its_workflow(client, request, case):
    _form, response, found, history = round_trip(client, request, case)
    assert_only_the_workflow_changed(case, response, found, history)


@pytest.mark.parametrize("case", ADMIN_CASES, ids=str)
def test_an_admin_change_form_submitted_as_shown_changes_nothing(client, request, case):
    user = request.getfixturevalue(case.persona)
    client.force_login(user)
    url, fill = case.build(request)
    opened = client.get(url)
    parser = FormParser()
    parser.feed(opened.content.decode())
    change_forms = [f for f in parser.forms if f.attrs.get("id", "").endswith("_form")]
    editable = [f for f in change_forms if f.names - {"csrfmiddlewaretoken"}]
    # A view-only page (the evaluation's records, a frozen indicator system) still carries the
    # hidden version of the record: the admin says whether the user may change it.
    view_only = not (opened.context or {}).get("has_change_permission", True)
    if view_only and editable:
        form = max(editable, key=lambda f: len(f.names))
        before = snapshot()
        assert client.post(url, form.data(**fill)).status_code in (302, 403)
        assert not diff(before, snapshot()).changed, f"{case}: a view-only page saved"
        return
    if not editable:
        return  # a read-only page (history, login records): nothing to submit
    form = max(editable, key=lambda f: len(f.names))
    before, counts = snapshot(), history_counts()
    response = client.post(url, form.data(**fill))
    assert response.status_code == 302, _errors(response)
    found = diff(before, snapshot())
    assert not found.changed, f"{case} changed {found.changed}"
    assert not found.added and not found.removed, (found.added, found.removed)
    assert not history_changes_since(counts), f"{case}: history records a change"


@pytest.mark.parametrize("case", ACTION_CASES, ids=str)
def test_a_bulk_action_form_submitted_as_shown_changes_only_its_workflow(client, request, case):
    form, response, found, history = round_trip(client, request, case)
    assert "confirm" in form.names
    assert_only_the_workflow_changed(case, response, found, history)


def _errors(response) -> str:
    context = getattr(response, "context", None) or {}
    form = context.get("form") or (context.get("adminform") and context["adminform"].form)
    inlines = context.get("inline_admin_formsets") or []
    return f"{getattr(form, 'errors', '')} {[i.formset.errors for i in inlines]}"


def test_the_completion_form_opens_with_the_recorded_findings(client, inspector):
    inspection = open_inspection()
    client.force_login(inspector)
    url = reverse("inspection-complete", args=[inspection.pk])
    form = form_on(client.get(url), url)
    sent = form.data()
    assert sent["findings"] == FINDINGS.replace("\n", "\r\n")
    assert sent["end_date"] == max(datetime.date.today(), inspection.start_date).isoformat()


def test_the_refer_form_opens_with_today_as_the_referral_date(client, supervisor):
    inspection = completed_inspection()
    client.force_login(supervisor)
    url = reverse("inspection-refer", args=[inspection.pk])
    assert form_on(client.get(url), url).data()["referred_on"] == datetime.date.today().isoformat()


def test_completing_keeps_the_findings_when_submitted_as_shown(client, inspector):
    inspection = open_inspection()
    client.force_login(inspector)
    url = reverse("inspection-complete", args=[inspection.pk])
    client.post(url, form_on(client.get(url), url).data())
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.COMPLETED
    assert inspection.findings.replace("\r\n", "\n") == FINDINGS


def test_the_parser_reads_a_form_as_a_browser_sends_it():
    parser = FormParser()
    parser.feed(
        '<form method="post"><input name="a" value="1"><input type="checkbox" name="b" value="2">'
        '<input type="checkbox" name="b" value="3" checked><select name="c"><option value="x">X'
        '</option><option value="y">Y</option></select><select name="d" multiple>'
        '<option value="p" selected>P</option><option value="q">Q</option></select>'
        '<textarea name="e">\nline1\nline2</textarea><input name="f" disabled value="z">'
        '<fieldset disabled><input name="g" value="w"></fieldset><input type="submit" name="s">'
        "</form>"
    )
    assert parser.forms[0].data() == {
        "a": "1",
        "b": "3",
        "c": "x",
        "d": "p",
        "e": "line1\r\nline2",
    }
