"""The annual evaluation pages (年度信用评价): the cycles and opening one, a cycle's page with where
it stands, its steps and its assessments, a subject's scorecard with its forms (self-assessment,
manual scores, objections and their evidence), the objection list, an indicator system.

Every step is a thin ServiceFormView over supervision.services.evaluation. A cycle's counts come
from the figures the services keep on the cycle (one row, whatever its size); an account limited
to some districts gets its districts' counts instead, from one grouped query.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, F, IntegerField, Model, Q, QuerySet, Value, When
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from supervision.choices import CycleStatus, Grade, IndicatorMethod, ObjectionStatus
from supervision.exports import Column
from supervision.filtersets import AssessmentFilterSet, ObjectionFilterSet, pending_objection
from supervision.forms.credit import (
    CycleStepForm,
    DecideObjectionForm,
    ObjectionForm,
    OpenCycleForm,
    ScoreIndicatorForm,
    SelfAssessmentForm,
    scorable_indicators,
)
from supervision.forms.evidence import EvidenceForm
from supervision.history import (
    History,
    can_view_history,
    history_entries,
    merged_history,
    related_history,
)
from supervision.models import (
    Assessment,
    AssessmentItem,
    EvaluationCycle,
    Evidence,
    Indicator,
    IndicatorSystem,
    Objection,
)
from supervision.scoping import can_view, scoped_queryset, user_districts
from supervision.services import evaluation as service
from supervision.views.base import RecordDetailView, ServiceFormView, StaffView
from supervision.views.case_lists import CaseListView
from supervision.views.evidence import EvidenceSectionMixin, EvidenceUploadView, may_attach

# --- The steps of a cycle ------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleStep:
    """A step a user takes on a whole cycle: its button, permission, the statuses it may be
    taken in, and the date it asks for (None: no date)."""

    slug: str
    label: str
    permission: str
    statuses: tuple[str, ...]
    explanation: str
    date_label: str | None = None
    done: str = ""


STEPS: dict[str, CycleStep] = {
    s.slug: s
    for s in (
        CycleStep(
            "score",
            _("自动评分"),
            "supervision.change_evaluationcycle",
            (CycleStatus.SELF_ASSESSMENT, CycleStatus.SCORING, CycleStatus.REVIEW),
            _(
                "按评价年度的记录事实为全部评价对象自动评分。再次运行时重写自动评分，"
                "保留评价人员的人工评分；首次运行后进入初评环节。"
            ),
            done=_("自动评分已完成。"),
        ),
        CycleStep(
            "complete",
            _("初评完成"),
            "supervision.change_evaluationcycle",
            (CycleStatus.SCORING,),
            _("评价人员已完成人工评分，进入复核环节。复核中修改评分须写明原因。"),
            _("初评完成日期"),
            _("初评已完成，进入复核。"),
        ),
        CycleStep(
            "publish",
            _("复核完成并公示"),
            "supervision.review_evaluationcycle",
            (CycleStatus.REVIEW,),
            _("复核完成，公示评价结果；公示期按工作日计算，公示期内可登记异议。"),
            _("公示开始日期"),
            _("评价结果已公示。"),
        ),
        CycleStep(
            "finalise",
            _("确定结果"),
            "supervision.finalise_evaluationcycle",
            (CycleStatus.PUBLICATION, CycleStatus.FINALISING),
            _(
                "公示期满、异议处理完毕后，写入每个评价对象的信用等级和评级调整记录（分批写入，"
                "中断后可继续）。"
            ),
            _("确定日期"),
            _("评价结果已确定。"),
        ),
        CycleStep(
            "announce",
            _("公布结果"),
            "supervision.finalise_evaluationcycle",
            (CycleStatus.FINAL,),
            _("公布已确定的评价结果。"),
            _("公布日期"),
            _("评价结果已公布。"),
        ),
    )
}


@dataclass(frozen=True)
class Stage:
    """One stage of a cycle's progress bar (自评→初评→复核→公示→确定→公布)."""

    label: str
    dates: str
    state: str  # done, current, todo


def _span(first: datetime.date | None, last: datetime.date | None) -> str:
    if first and last:
        return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"
    day = first or last
    return f"{day:%Y-%m-%d}" if day else ""


# Where each status stands on the bar: the stages before it are done, it is the current one.
_CURRENT_STAGE = {
    CycleStatus.SELF_ASSESSMENT: 0,
    CycleStatus.SCORING: 1,
    CycleStatus.REVIEW: 2,
    CycleStatus.PUBLICATION: 3,
    CycleStatus.FINALISING: 4,
    CycleStatus.FINAL: 5,
    CycleStatus.ANNOUNCED: 6,
}


def stages(cycle: EvaluationCycle) -> list[Stage]:
    scored = timezone.localdate(cycle.scored_at) if cycle.scored_at else None
    rows = [
        (gettext("自评"), _span(cycle.opened_on, cycle.self_assessment_due)),
        (gettext("初评"), _span(scored, cycle.initial_done_on)),
        (gettext("复核"), _span(cycle.reviewed_on, None)),
        (gettext("公示"), _span(cycle.publication_starts, cycle.publication_ends)),
        (gettext("确定"), _span(cycle.finalised_on, None)),
        (gettext("公布"), _span(cycle.announced_on, None)),
    ]
    current = _CURRENT_STAGE[cycle.status]
    return [
        Stage(label, dates, "done" if i < current else "current" if i == current else "todo")
        for i, (label, dates) in enumerate(rows)
    ]


def cycle_actions(cycle: EvaluationCycle, user: Any) -> list[tuple[CycleStep, CycleStepForm]]:
    """The steps user may take on the cycle now, each with its (unbound) form."""
    return [
        # Several steps' forms on one page: ids of their own (the names stay the form's).
        (step, CycleStepForm(cycle=cycle, date_label=step.date_label, auto_id=f"id_{step.slug}_%s"))
        for step in STEPS.values()
        if cycle.status in step.statuses and user.has_perm(step.permission)
    ]


# --- Counts --------------------------------------------------------------------------------------


@dataclass
class Counts:
    """A cycle's counts as one reader may see them."""

    subjects: int = 0
    grades: dict[str, int] = field(default_factory=lambda: {g: 0 for g in Grade.values})
    finalised: int = 0
    self_received: int = 0

    @property
    def self_missing(self) -> int:
        return self.subjects - self.self_received


def counts_of(cycles: list[EvaluationCycle], user: Any) -> dict[int, Counts]:
    """Each cycle's counts: its stored figures, or for an account limited to some districts,
    its districts' (one grouped query for every cycle)."""
    found: dict[int, Counts] = {}
    if user_districts(user) is None:
        for cycle in cycles:
            figures = cycle.figures or {}
            counts = Counts(
                subjects=figures.get("subjects", cycle.subject_count),
                finalised=figures.get("finalised", 0),
                self_received=figures.get("self_received", 0),
            )
            counts.grades.update(figures.get("grades", {}))
            found[cycle.pk] = counts
        return found
    rows = (
        scoped_queryset(user, Assessment.objects.filter(cycle__in=[c.pk for c in cycles]))
        .values("cycle_id", "grade")
        .annotate(
            n=Count("id"),
            finalised=Count("id", filter=Q(finalised=True)),
            received=Count("id", filter=Q(self_received_on__isnull=False)),
        )
        .order_by()
    )
    for cycle in cycles:
        found[cycle.pk] = Counts()
    for row in rows:
        counts = found[row["cycle_id"]]
        counts.subjects += row["n"]
        counts.finalised += row["finalised"]
        counts.self_received += row["received"]
        if row["grade"]:
            counts.grades[row["grade"]] += row["n"]
    return found


def overdue_objections(user: Any, cycles: list[EvaluationCycle]) -> dict[int, int]:
    """Cycle id → objections past their due date and still pending (one grouped query)."""
    rows = (
        scoped_queryset(
            user,
            Objection.objects.filter(
                assessment__cycle__in=[c.pk for c in cycles],
                status=ObjectionStatus.PENDING,
                due_on__lt=timezone.localdate(),
            ),
        )
        .values_list("assessment__cycle_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


def overdue_markers(cycle: EvaluationCycle, late_objections: int, today: datetime.date) -> list:
    markers = []
    if cycle.status == CycleStatus.SELF_ASSESSMENT and cycle.self_assessment_due < today:
        markers.append(gettext("自评已截止，待自动评分"))
    if (
        cycle.status == CycleStatus.PUBLICATION
        and cycle.publication_ends
        and cycle.publication_ends < today
    ):
        markers.append(gettext("公示期满，待确定"))
    if cycle.status == CycleStatus.FINALISING:
        markers.append(gettext("确定未完成"))
    if late_objections:
        markers.append(gettext("%(n)s件异议逾期") % {"n": late_objections})
    return markers


@dataclass(frozen=True)
class CycleRow:
    cycle: EvaluationCycle
    counts: Counts
    overdue: list[str]


# --- Cycles --------------------------------------------------------------------------------------


class CycleListView(StaffView, TemplateView):
    """Every cycle by year and category, its counts and what is overdue; the form to open one."""

    model = EvaluationCycle
    template_name = "credit/cycle_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        cycles = list(
            self.scoped(EvaluationCycle.objects.select_related("category", "system")).order_by(
                "-year", "category__number"
            )
        )
        counts = counts_of(cycles, user)
        late = overdue_objections(user, cycles)
        today = timezone.localdate()
        context["rows"] = [
            CycleRow(c, counts[c.pk], overdue_markers(c, late.get(c.pk, 0), today)) for c in cycles
        ]
        context["grades"] = Grade.values
        systems: dict[int, list[IndicatorSystem]] = defaultdict(list)
        if can_view(user, IndicatorSystem):
            for system in self.scoped(IndicatorSystem.objects.select_related("category")):
                systems[system.year].append(system)
        context["systems"] = sorted(systems.items(), reverse=True)
        if user.has_perm("supervision.add_evaluationcycle"):
            context["open_form"] = kwargs.get("open_form") or OpenCycleForm()
        return context


class CycleOpenView(ServiceFormView):
    model = EvaluationCycle
    form_class = OpenCycleForm
    permission_required = "supervision.add_evaluationcycle"
    template_name = "credit/form.html"
    success_message = _("年度信用评价已启动，指标体系已锁定。")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = gettext("启动年度信用评价")
        context["cancel_url"] = reverse("evaluationcycle-list")
        return context

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return service.open_cycle(
            category=data["category"],
            year=data["year"],
            user=self.request.user,
            self_assessment_due=data["self_assessment_due"],
        )


def assessment_columns() -> list[Column]:
    return [
        Column(_("评价对象"), lambda a: a.subject_name),
        Column(_("所属区县"), lambda a: a.get_district_display()),
        Column(_("自评得分"), lambda a: a.self_score),
        Column(_("自评收到日期"), lambda a: a.self_received_on),
        Column(_("扣分合计"), lambda a: a.deductions),
        Column(_("加分合计"), lambda a: a.bonus),
        Column(_("得分"), lambda a: a.score),
        Column(_("等级"), lambda a: a.grade),
        Column(_("公示等级"), lambda a: a.published_grade),
        Column(_("一票否决"), lambda a: gettext("是") if a.vetoed else gettext("否")),
        Column(_("已确定"), lambda a: gettext("是") if a.finalised else gettext("否")),
    ]


class CycleDetailView(CaseListView):
    """The cycle's page: its steps and dates, its progress, what is overdue, the actions of the
    current step, its history, and the list of its assessments (filtered, sorted, exported)."""

    model = Assessment
    filterset_class = AssessmentFilterSet
    template_name = "credit/cycle_detail.html"
    filter_fields = ["q", "grade", "district", "vetoed", "self_received", "pending_objection"]
    export_name = "assessments"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not can_view(request.user, EvaluationCycle):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @property
    def export_columns(self) -> list[Column]:  # type: ignore[override]
        return assessment_columns()

    @property
    def cycle(self) -> EvaluationCycle:
        if not hasattr(self, "_cycle"):
            self._cycle = get_object_or_404(
                self.scoped(EvaluationCycle.objects.select_related("category", "system")),
                pk=self.kwargs["pk"],
            )
        return self._cycle

    def get_queryset(self) -> QuerySet:
        return (
            self.scoped(Assessment.objects.filter(cycle=self.cycle))
            .annotate(has_pending=pending_objection())
            .order_by("subject_name", "id")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        cycle = self.cycle
        user = self.request.user
        progress = service.cycle_progress(cycle)
        counts = counts_of([cycle], user)[cycle.pk]
        context.update(
            cycle=cycle,
            progress=progress,
            counts=counts,
            limited=user_districts(user) is not None,
            grades=Grade.values,
            today=timezone.localdate(),
            CycleStatus=CycleStatus,
            stages=stages(cycle),
            actions=cycle_actions(cycle, user),
            history=(history_entries(cycle) if can_view_history(user, EvaluationCycle) else None),
        )
        return context


# --- Cycle steps -------------------------------------------------------------------------------


class CycleStepView(ServiceFormView):
    """One step on the whole cycle, confirmed (score, complete, publish, finalise, announce)."""

    model = EvaluationCycle
    object_model = EvaluationCycle
    form_class = CycleStepForm
    template_name = "credit/form.html"
    # The services name the step's date after the step; the form calls it "on".
    service_error_fields = {"starts_on": "on"}
    step: ClassVar[CycleStep]

    def get_permission_required(self) -> tuple[str, ...]:
        return (self.step.permission,)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["cycle"] = self.get_object()
        kwargs["date_label"] = self.step.date_label
        return kwargs

    def refusal(self) -> str | None:
        cycle = self.get_object()
        if cycle.status not in self.step.statuses:
            return gettext("%(cycle)s当前处于“%(status)s”环节，不能“%(step)s”。") % {
                "cycle": cycle,
                "status": cycle.get_status_display(),
                "step": self.step.label,
            }
        return None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        cycle = self.get_object()
        context.update(
            title=f"{self.step.label} · {cycle}",
            explanation=self.step.explanation,
            cycle=cycle,
            progress=service.cycle_progress(cycle),
            cancel_url=cycle.get_absolute_url(),
            submit_label=self.step.label,
        )
        return context

    def perform(self, form: Form) -> Model:
        cycle = self.get_object()
        user = self.request.user
        on = form.cleaned_data.get("on")
        version = form.expected_version
        slug = self.step.slug
        if slug == "score":
            service.score_cycle(cycle, user=user)
        elif slug == "complete":
            service.complete_initial_scoring(cycle, user=user, on=on, expected_version=version)
        elif slug == "publish":
            service.publish_cycle(cycle, user=user, starts_on=on, expected_version=version)
        elif slug == "finalise":
            service.finalise_cycle(
                cycle,
                user=user,
                on=on,
                expected_version=version,
                seconds=settings.CREDIT_FINALISE_SECONDS,
            )
        else:
            service.announce_cycle(cycle, user=user, on=on, expected_version=version)
        self.success_message = self.step.done
        return cycle


def step_view(slug: str) -> type[CycleStepView]:
    return type(f"Cycle{slug.title()}View", (CycleStepView,), {"step": STEPS[slug]})


# --- The scorecard ---------------------------------------------------------------------------


@dataclass
class Line:
    """One indicator on the scorecard, with the facts behind it (fact and veto indicators)."""

    row: service.ScorecardRow
    facts: list[Model] | None = None


@dataclass
class Group:
    """A dimension (or the veto and bonus items, dimension None) and its lines."""

    label: str
    full_points: int | None
    lines: list[Line]

    @property
    def deducted(self):
        return sum(
            (line.row.points for line in self.lines if line.row.indicator.deducts),
            start=0,
        )


def scorecard_groups(assessment: Assessment, user: Any) -> list[Group]:
    """The scorecard by dimension; fact indicators with the records behind them, through the
    reader's scope (one query per fact indicator of the system, not per subject)."""
    groups: dict[int | None, Group] = {}
    for row in service.scorecard(assessment):
        key = row.dimension.pk if row.dimension else None
        if key not in groups:
            groups[key] = Group(
                row.dimension.name if row.dimension else gettext("一票否决项和加分项"),
                row.dimension.full_points if row.dimension else None,
                [],
            )
        facts = None
        if row.indicator.fact:
            found = service.facts_behind(assessment, row.indicator)
            if found is not None:
                facts = list(scoped_queryset(user, found)[:50])
        groups[key].lines.append(Line(row, facts))
    ordered = [g for k, g in groups.items() if k is not None]
    if None in groups:
        ordered.append(groups[None])
    return ordered


def fact_label(record: Model) -> str:
    """A fact's link text: what it is and its date."""
    for name in ("end_date", "decided_on", "referred_on", "concluded_on"):
        day = getattr(record, name, None)
        if day:
            break
    kind = record._meta.verbose_name
    detail = ""
    if hasattr(record, "get_kind_display"):
        detail = record.get_kind_display()
    elif hasattr(record, "get_agency_display"):
        detail = record.get_agency_display()
    elif hasattr(record, "get_conclusion_display"):
        detail = record.get_conclusion_display()
    day_text = f"{day:%Y-%m-%d}" if day else ""
    return " · ".join(p for p in (f"{kind} #{record.pk}", str(detail), day_text) if p)


@dataclass
class ObjectionBlock:
    objection: Objection
    files: list[Evidence]
    upload_form: EvidenceForm | None
    may_decide: bool


class AssessmentDetailView(RecordDetailView):
    """A subject's scorecard: every indicator, the facts behind each deduction, its
    self-assessment, its objections with their evidence, the forms the reader may use now,
    and the history of the assessment, its items and its objections."""

    model = Assessment
    template_name = "credit/assessment_detail.html"

    def get_queryset(self) -> QuerySet:
        return (
            super()
            .get_queryset()
            .select_related(
                "cycle__system",
                "cycle__category",
                "facility",
                "institution",
                "practitioner",
                "insured_person",
            )
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        assessment: Assessment = self.object
        cycle = assessment.cycle
        user = self.request.user
        groups = scorecard_groups(assessment, user)
        for group in groups:
            for line in group.lines:
                if line.facts is not None:
                    line.facts = [(fact_label(f), f.get_absolute_url()) for f in line.facts]
        objections = list(
            self.scoped(Objection.objects.filter(assessment=assessment)).select_related(
                "recorded_by", "decided_by"
            )
        )
        pending = any(o.status == ObjectionStatus.PENDING for o in objections)
        status = cycle.status
        forms: dict[str, Form] = {}
        if user.has_perm("supervision.change_assessment") and status in (
            CycleStatus.SELF_ASSESSMENT,
            CycleStatus.SCORING,
        ):
            forms["self"] = SelfAssessmentForm(assessment=assessment, auto_id="id_self_%s")
        if user.has_perm("supervision.add_assessmentitem") and status in (
            CycleStatus.SCORING,
            CycleStatus.REVIEW,
        ):
            indicators = scorable_indicators(assessment)
            if indicators:
                forms["score"] = ScoreIndicatorForm(
                    assessment=assessment, indicators=indicators, auto_id="id_score_%s"
                )
        if (
            user.has_perm("supervision.add_objection")
            and status == CycleStatus.PUBLICATION
            and not pending
        ):
            forms["objection"] = ObjectionForm(auto_id="id_objection_%s")
        context.update(
            cycle=cycle,
            groups=groups,
            forms=forms,
            rating=self._rating(assessment),
            objections=self._objection_blocks(objections, status),
            evidence_visible=can_view(user, Evidence),
            CycleStatus=CycleStatus,
            IndicatorMethod=IndicatorMethod,
        )
        return context

    def _rating(self, assessment: Assessment):
        from supervision.models import CreditRating

        return self.scoped(CreditRating.objects.filter(assessment=assessment)).first()

    def _objection_blocks(self, objections: list[Objection], status: str) -> list[ObjectionBlock]:
        user = self.request.user
        files: dict[int, list[Evidence]] = defaultdict(list)
        if can_view(user, Evidence) and objections:
            for item in (
                Evidence.objects.visible_to(user)
                .filter(objection__in=[o.pk for o in objections])
                .select_related("uploaded_by")
            ):
                files[item.objection_id].append(item)
        attach = bool(objections) and may_attach(user, objections[0])
        decide = user.has_perm("supervision.decide_objection") and status == CycleStatus.PUBLICATION
        return [
            ObjectionBlock(
                o,
                files[o.pk],
                EvidenceForm(auto_id=f"id_evidence{o.pk}_%s") if attach else None,
                decide and o.status == ObjectionStatus.PENDING,
            )
            for o in objections
        ]

    def get_history(self) -> History:
        """The assessment's changes, its items' (a manual score, a review change, an objection's
        correction), its objections' and their files' uploads."""
        assessment: Assessment = self.object
        user = self.request.user
        limit = self.history_limit
        parts = [super().get_history()]
        if can_view_history(user, AssessmentItem):
            labels = dict(
                Indicator.objects.filter(system_id=assessment.cycle.system_id).values_list(
                    "pk", "code"
                )
            )
            parts.append(
                related_history(
                    AssessmentItem,
                    AssessmentItem.history.filter(assessment_id=assessment.pk),
                    subject=lambda row: (
                        gettext("指标%(code)s")
                        % {"code": labels.get(row.indicator_id, row.indicator_id)}
                    ),
                    limit=limit,
                )
            )
        if can_view_history(user, Objection):
            parts.append(
                related_history(
                    Objection,
                    Objection.history.filter(assessment_id=assessment.pk),
                    subject=lambda row: gettext("异议 #%(id)s") % {"id": row.id},
                    limit=limit,
                )
            )
        if can_view_history(user, Evidence):
            parts.append(
                related_history(
                    Evidence,
                    Evidence.history.filter(objection__assessment_id=assessment.pk),
                    subject=lambda row: gettext("证据材料：%(name)s") % {"name": row.original_name},
                    limit=limit,
                )
            )
        return merged_history(*parts, limit=limit)


# --- The scorecard's forms -------------------------------------------------------------------


class _ActsOnAssessment(ServiceFormView):
    model = Assessment
    object_model = Assessment
    template_name = "credit/form.html"
    title: ClassVar[str] = ""
    statuses: ClassVar[tuple[str, ...]] = ()

    def get_object(self) -> Model:
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                self.scoped(Assessment.objects.select_related("cycle__system", "cycle__category")),
                pk=self.kwargs["pk"],
            )
        return self._object

    def refusal(self) -> str | None:
        cycle = self.get_object().cycle
        if cycle.status not in self.statuses:
            return gettext("%(cycle)s当前处于“%(status)s”环节，不能进行此操作。") % {
                "cycle": cycle,
                "status": cycle.get_status_display(),
            }
        return None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        assessment = self.get_object()
        context.update(
            title=f"{self.title} · {assessment.subject_name}",
            assessment=assessment,
            cycle=assessment.cycle,
            cancel_url=assessment.get_absolute_url(),
        )
        return context


class AssessmentSelfView(_ActsOnAssessment):
    form_class = SelfAssessmentForm
    permission_required = "supervision.change_assessment"
    title = _("记录自评")
    statuses = (CycleStatus.SELF_ASSESSMENT, CycleStatus.SCORING)
    success_message = _("自评已记录。")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "assessment": self.get_object()}

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        return service.record_self_assessment(
            self.get_object(),
            score=data["score"],
            received_on=data["received_on"],
            note=data.get("note") or "",
            user=self.request.user,
            expected_version=form.expected_version,
        )


class AssessmentScoreView(_ActsOnAssessment):
    form_class = ScoreIndicatorForm
    permission_required = "supervision.add_assessmentitem"
    title = _("人工评分")
    statuses = (CycleStatus.SCORING, CycleStatus.REVIEW)
    success_message = _("评分已保存。")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "assessment": self.get_object()}

    def perform(self, form: Form) -> Model:
        data = form.cleaned_data
        assessment = self.get_object()
        service.score_indicator(
            assessment,
            indicator=data["indicator_object"],
            points=data["points"],
            note=data.get("note") or "",
            user=self.request.user,
            reason=data.get("reason") or "",
            expected_version=form.expected_version,
        )
        return assessment


class AssessmentObjectionView(_ActsOnAssessment):
    form_class = ObjectionForm
    permission_required = "supervision.add_objection"
    title = _("登记异议")
    statuses = (CycleStatus.PUBLICATION,)
    success_message = _("异议已登记。")

    def refusal(self) -> str | None:
        refused = super().refusal()
        if (
            refused is None
            and self.get_object().objections.filter(status=ObjectionStatus.PENDING).exists()
        ):
            return gettext("该评价对象已有待处理的异议，请先处理。")
        return refused

    def perform(self, form: Form) -> Model:
        service.record_objection(
            self.get_object(),
            received_on=form.cleaned_data["received_on"],
            grounds=form.cleaned_data["grounds"],
            user=self.request.user,
        )
        return self.get_object()


class ObjectionDecideView(ServiceFormView):
    model = Objection
    object_model = Objection
    form_class = DecideObjectionForm
    permission_required = "supervision.decide_objection"
    template_name = "credit/form.html"
    success_message = _("异议已处理。")

    def get_object(self) -> Model:
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                self.scoped(Objection.objects.select_related("assessment__cycle__system")),
                pk=self.kwargs["pk"],
            )
        return self._object

    def refusal(self) -> str | None:
        objection = self.get_object()
        if objection.status != ObjectionStatus.PENDING:
            return gettext("该异议已处理。")
        cycle = objection.assessment.cycle
        if cycle.status != CycleStatus.PUBLICATION:
            return gettext("%(cycle)s当前处于“%(status)s”环节，不能处理异议。") % {
                "cycle": cycle,
                "status": cycle.get_status_display(),
            }
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        objection = self.get_object()
        assessment = objection.assessment
        vetoes = set(
            AssessmentItem.objects.filter(
                assessment=assessment, indicator__method=IndicatorMethod.VETO
            ).values_list("indicator_id", flat=True)
        )
        indicators = list(
            Indicator.objects.filter(system_id=assessment.cycle.system_id).order_by(
                F("dimension__position").asc(nulls_last=True), "position", "id"
            )
        )
        return {
            **super().get_form_kwargs(),
            "objection": objection,
            "indicators": indicators,
            "vetoes_hit": vetoes,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        objection = self.get_object()
        context.update(
            title=gettext("处理异议 #%(id)s · %(name)s")
            % {"id": objection.pk, "name": objection.assessment.subject_name},
            objection=objection,
            assessment=objection.assessment,
            cycle=objection.assessment.cycle,
            cancel_url=objection.get_absolute_url(),
            explanation=gettext(
                "异议成立的，可填写需更正指标的分数（留空为不更正），等级随之重新计算；"
                "异议不成立的，评分不变。处理意见须写明依据。"
            ),
        )
        return context

    def perform(self, form: Form) -> Model:
        objection = self.get_object()
        service.decide_objection(
            objection,
            upheld=form.upheld,
            decision=form.cleaned_data["decision"],
            user=self.request.user,
            adjustments=form.adjustments() if form.upheld else None,
            decided_on=form.cleaned_data["decided_on"],
            expected_version=form.expected_version,
        )
        return objection

    def get_success_url(self, record: Model | None = None) -> str:
        return f"{reverse('objection-detail', args=[self.get_object().pk])}#decision"


class ObjectionEvidenceView(EvidenceUploadView):
    """Upload a file to an objection (its form is on the scorecard)."""

    model = object_model = Objection

    def get_success_url(self, record: Model | None = None) -> str:
        return f"{reverse('objection-detail', args=[self.get_object().pk])}#evidence"


class ObjectionDetailView(EvidenceSectionMixin, RecordDetailView):
    """An objection: the assessment it concerns, its grounds, the decision, its evidence files and
    its history (the scorecard lists it too)."""

    model = Objection
    template_name = "credit/objection_detail.html"

    def get_queryset(self) -> QuerySet:
        return (
            super().get_queryset().select_related("assessment__cycle", "recorded_by", "decided_by")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        objection: Objection = self.object
        context["may_decide"] = (
            objection.status == ObjectionStatus.PENDING
            and objection.assessment.cycle.status == CycleStatus.PUBLICATION
            and self.request.user.has_perm("supervision.decide_objection")
        )
        return context


# --- Objections --------------------------------------------------------------------------------


OBJECTION_COLUMNS = [
    Column(_("编号"), lambda o: o.pk),
    Column(_("评价对象"), lambda o: o.assessment.subject_name),
    Column(_("年度信用评价"), lambda o: str(o.assessment.cycle)),
    Column(_("所属区县"), lambda o: o.assessment.get_district_display()),
    Column(_("收到日期"), lambda o: o.received_on),
    Column(_("办理期限"), lambda o: o.due_on),
    Column(_("状态"), lambda o: o.get_status_display()),
    Column(_("原等级"), lambda o: o.grade_before),
    Column(_("处理后等级"), lambda o: o.grade_after),
    Column(_("决定日期"), lambda o: o.decided_on),
    Column(_("异议事由"), lambda o: o.grounds),
    Column(_("处理意见"), lambda o: o.decision),
]


class ObjectionListView(CaseListView):
    """Every objection: pending first by due date, overdue highlighted."""

    model = Objection
    filterset_class = ObjectionFilterSet
    template_name = "credit/objection_list.html"
    filter_fields = ["q", "status", "overdue", "year", "district", "received"]
    export_columns = OBJECTION_COLUMNS
    export_name = "objections"

    def get_queryset(self) -> QuerySet:
        return (
            self.scoped(Objection.objects.select_related("assessment__cycle"))
            .annotate(
                waiting=Case(
                    When(status=ObjectionStatus.PENDING, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("waiting", F("due_on").asc(nulls_last=True), "-received_on", "-id")
        )


# --- Indicator systems -------------------------------------------------------------------------


class IndicatorSystemDetailView(RecordDetailView):
    """An indicator system, read only: dimensions, indicators, thresholds, frozen or not."""

    model = IndicatorSystem
    template_name = "credit/system_detail.html"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("category", "copied_from")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        system: IndicatorSystem = self.object
        user = self.request.user
        indicators = list(
            system.indicators.select_related("dimension").order_by(
                F("dimension__position").asc(nulls_last=True), "position", "id"
            )
        )
        dimensions = list(system.dimensions.order_by("position", "id"))
        by_dimension: dict[int | None, list[Indicator]] = defaultdict(list)
        for indicator in indicators:
            by_dimension[indicator.dimension_id].append(indicator)
        admin_url = None
        if user.is_staff and user.has_perm("supervision.change_indicatorsystem"):
            try:
                admin_url = reverse("admin:supervision_indicatorsystem_change", args=[system.pk])
            except NoReverseMatch:
                admin_url = None
        context.update(
            dimensions=[(d, by_dimension.get(d.pk, [])) for d in dimensions],
            extras=by_dimension.get(None, []),
            problems=service.system_problems(system),
            cycles=list(self.scoped(EvaluationCycle.objects.filter(system=system))),
            admin_url=admin_url,
        )
        return context


urlpatterns = [
    path("", CycleListView.as_view(), name="evaluationcycle-list"),
    path("open/", CycleOpenView.as_view(), name="evaluationcycle-open"),
    path("cycles/<int:pk>/", CycleDetailView.as_view(), name="evaluationcycle-detail"),
    *[
        path(
            f"cycles/<int:pk>/{slug}/",
            step_view(slug).as_view(),
            name=f"evaluationcycle-{slug}",
        )
        for slug in STEPS
    ],
    path("assessments/<int:pk>/", AssessmentDetailView.as_view(), name="assessment-detail"),
    path(
        "assessments/<int:pk>/self-assessment/",
        AssessmentSelfView.as_view(),
        name="assessment-self",
    ),
    path("assessments/<int:pk>/score/", AssessmentScoreView.as_view(), name="assessment-score"),
    path(
        "assessments/<int:pk>/objection/",
        AssessmentObjectionView.as_view(),
        name="assessment-objection",
    ),
    path("objections/", ObjectionListView.as_view(), name="objection-list"),
    path("objections/<int:pk>/", ObjectionDetailView.as_view(), name="objection-detail"),
    path("objections/<int:pk>/decide/", ObjectionDecideView.as_view(), name="objection-decide"),
    path(
        "objections/<int:pk>/evidence/", ObjectionEvidenceView.as_view(), name="objection-evidence"
    ),
    path("systems/<int:pk>/", IndicatorSystemDetailView.as_view(), name="indicatorsystem-detail"),
]
