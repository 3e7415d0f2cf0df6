"""Random-check plans (双随机抽查计划): the list with filters and export, writing and editing a
draft, the plan's page (criteria, the draw and how to re-run it, progress, the drawn targets with
their inspectors, history), and its steps: draw, verify, publish, cancel, substitute an inspector.
The stored pools download as the exact text their digests are taken of.

Every write goes through services.random_checks; a step's refusal comes back as a message on the
plan's page and changes nothing. A plan is shared by every district; its targets are scoped, so a
district-limited account sees (and substitutes on) its districts' targets only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Model, Prefetch, Q, QuerySet
from django.forms import Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from supervision import random_draw
from supervision.choices import (
    District,
    FacilityKind,
    Grade,
    InspectionStatus,
    RandomCheckStatus,
)
from supervision.exports import Column
from supervision.filtersets import RandomCheckPlanFilterSet
from supervision.formats.punctuation import clauses, labelled, listed
from supervision.forms.random_checks import (
    CancelForm,
    DrawForm,
    PublishForm,
    RandomCheckPlanForm,
    SubstituteForm,
    VerifyForm,
)
from supervision.history import (
    History,
    can_view_history,
    history_entries,
    merged_history,
    related_history,
)
from supervision.models import (
    Inspector,
    RandomCheckAssignment,
    RandomCheckPlan,
    RandomCheckTarget,
)
from supervision.pagination import CappedCountPaginator, count_cap
from supervision.scoping import user_districts
from supervision.services import random_checks as service
from supervision.services.audit_events import record_export
from supervision.views.base import RecordDetailView, ServiceFormView, StaffView
from supervision.views.case_lists import CaseListView

TARGETS_PER_PAGE = 50
# The pools are what the draw read: never on a page, only in their downloads and digests.
POOLS = ("pool", "inspector_pool")

# supervision.random_draw's algorithm, as an auditor re-runs it (its docstring, in Chinese).
ALGORITHM_STEPS = [
    _(
        "抽取范围是按机构编号从小到大排列的（机构编号，权重）列表。其摘要是规范文本的SHA-256值："
        "首行为“facility_id,weight”，随后每个机构一行“编号,权重”，每行以换行符（\\n）结尾。"
        "该文本与下载的抽取范围CSV文件逐字节相同，可用 sha256sum 核对。执法人员库是按编号排列的"
        "（执法人员编号，常驻区县或空），首行为“inspector_id,district”，按同样方法计算摘要。"
    ),
    _(
        "盐值为“种子|抽取范围摘要|执法人员库摘要”：种子或任一名单的任何变化，"
        "都会改变以下所有随机数。"
    ),
    _(
        "抽取对象（Efraimidis–Spirakis 加权无放回抽样）：对每个机构计算 "
        "h = SHA-256(“盐值|T|机构编号”，UTF-8编码)；u = (h前8个字节按大端序读作整数 + 1) / "
        "(2^64 + 1)；键值 = ln(u) / 权重。键值最大的N个机构被抽中，按键值从大到小排列"
        "（键值相同时编号小者在前），此顺序即抽中顺序。"
    ),
    _(
        "检查人员，按抽中顺序逐个对象抽取：对 j = 0, 1, 2, …，计算 "
        "h = SHA-256(“盐值|I|机构编号|j”)，候选人为执法人员库中第 (h前8个字节 mod 库中人数) 位"
        "（从0起算）的人员。已为该对象选中的、因近期检查过该机构而回避的（随抽取一并记录）、"
        "以及计划要求回避时常驻区县与该对象相同的候选人跳过。最先出现的“每个对象检查人员数”名"
        "未被跳过的候选人当选，按出现顺序排列。若 64 × 库中人数 个候选人后仍不足，则从最后一个"
        "候选人起依次遍历人员库（实际不会发生，仅保证抽取有限且确定）。"
    ),
    _(
        "抽取结果摘要是以下文本的SHA-256值：每个对象一行“抽中顺序,机构编号,以空格分隔的检查人员"
        "编号”，每行以换行符结尾。"
    ),
]


def _share(plan: RandomCheckPlan) -> str:
    if plan.target_count is not None:
        return gettext("%(n)s个") % {"n": plan.target_count}
    if plan.target_share is not None:
        return f"{plan.target_share.normalize():f}%"
    return "—"


PLAN_COLUMNS = [
    Column(_("计划名称"), lambda p: p.name),
    Column(_("检查开始日期"), lambda p: p.starts_on),
    Column(_("检查截止日期"), lambda p: p.ends_on),
    Column(_("状态"), lambda p: p.get_status_display()),
    Column(_("抽取数量"), lambda p: p.target_count),
    Column(_("抽取比例（%）"), lambda p: p.target_share),
    Column(_("抽取范围机构数"), lambda p: p.pool_size if p.is_drawn else ""),
    Column(_("随机种子"), lambda p: p.seed),
    Column(_("种子来源"), lambda p: p.seed_source),
    Column(_("抽取算法"), lambda p: p.algorithm),
    Column(_("抽取时间"), lambda p: p.drawn_at),
    Column(_("抽取范围摘要"), lambda p: p.pool_digest),
    Column(_("抽取结果摘要"), lambda p: p.result_digest),
    Column(_("公布日期"), lambda p: p.published_on),
]


def plan_rows(queryset: QuerySet) -> QuerySet:
    """Plans as lists and pages read them: without the stored pools."""
    return queryset.defer(*POOLS).select_related("drawn_by", "published_by", "created_by")


# --- The list ------------------------------------------------------------------------------------


class RandomPlanListView(CaseListView):
    """The plans: filter by status, year and name, sort by every column, export."""

    model = RandomCheckPlan
    filterset_class = RandomCheckPlanFilterSet
    template_name = "random_checks/list.html"
    filter_fields = ["q", "status", "year"]
    export_columns = PLAN_COLUMNS
    export_name = "random_check_plans"

    def get_queryset(self) -> QuerySet:
        return self.scoped(RandomCheckPlan.objects.defer(*POOLS).order_by("-starts_on", "-id"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_add"] = self.request.user.has_perm("supervision.add_randomcheckplan")
        return context


# --- Writing a draft -----------------------------------------------------------------------------


class RandomPlanCreateView(ServiceFormView):
    model = RandomCheckPlan
    form_class = RandomCheckPlanForm
    permission_required = "supervision.add_randomcheckplan"
    template_name = "random_checks/edit.html"
    success_message = _("抽查计划已保存为草稿，可在计划页面预览抽取范围后抽取。")
    form_takes_user = True

    def perform(self, form: Form) -> Model:
        return service.create_plan(user=self.request.user, **form.values())


class RandomPlanEditView(ServiceFormView):
    """A draft's criteria; a drawn plan's are what its draw read."""

    model = RandomCheckPlan
    object_model = RandomCheckPlan
    form_class = RandomCheckPlanForm
    permission_required = "supervision.change_randomcheckplan"
    template_name = "random_checks/edit.html"
    success_message = _("抽查计划已保存。")
    form_takes_user = True

    def get_object(self) -> Model:
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                self.scoped(plan_rows(RandomCheckPlan.objects.all())), pk=self.kwargs["pk"]
            )
        return self._object

    def refusal(self) -> str | None:
        if self.get_object().status != RandomCheckStatus.DRAFT:
            return gettext("计划已抽取或已撤销，不能再修改抽取条件；如需调整请撤销后新建计划。")
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "instance": self.get_object()}

    def perform(self, form: Form) -> Model:
        return service.edit_plan(
            self.get_object(),
            user=self.request.user,
            version=form.expected_version,
            **form.values(),
        )


# --- The plan's page -----------------------------------------------------------------------------


@dataclass
class TargetRow:
    """A drawn target with its inspectors now, and those withdrawn with who replaced them."""

    target: RandomCheckTarget
    current: list[RandomCheckAssignment]
    withdrawn: list[tuple[RandomCheckAssignment, RandomCheckAssignment | None]]
    overdue: bool
    # Its inspectors may still change: no inspection yet, or one not completed.
    open: bool


def target_rows(
    plan: RandomCheckPlan, targets: list[RandomCheckTarget], today: Any
) -> list[TargetRow]:
    rows = []
    for target in targets:
        assignments = list(target.assignments.all())  # prefetched, by position
        by_replaced = {a.replaces_id: a for a in assignments if a.replaces_id}
        rows.append(
            TargetRow(
                target=target,
                current=[a for a in assignments if a.withdrawn_on is None],
                withdrawn=[
                    (a, by_replaced.get(a.pk)) for a in assignments if a.withdrawn_on is not None
                ],
                overdue=service.is_overdue(plan, target, today),
                open=target.inspection is None
                or target.inspection.status != InspectionStatus.COMPLETED,
            )
        )
    return rows


@dataclass
class Criterion:
    label: str
    value: str


@dataclass
class PlanForms:
    """The steps the plan's state allows and the reader may take, as forms for its page."""

    draw: Form | None = None
    verify: Form | None = None
    publish: Form | None = None
    cancel: Form | None = None
    substitute: bool = False
    any: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.any = any((self.draw, self.verify, self.publish, self.cancel))


def plan_forms(plan: RandomCheckPlan, user: Any) -> PlanForms:
    drawer = service.may_draw(user)
    status = plan.status
    return PlanForms(
        draw=DrawForm(plan=plan, auto_id="id_draw_%s")
        if drawer and status == RandomCheckStatus.DRAFT
        else None,
        verify=VerifyForm() if plan.is_drawn else None,
        publish=PublishForm(plan=plan, auto_id="id_publish_%s")
        if drawer and status == RandomCheckStatus.DRAWN
        else None,
        cancel=CancelForm(plan=plan, auto_id="id_cancel_%s")
        if drawer and status in (RandomCheckStatus.DRAFT, RandomCheckStatus.DRAWN)
        else None,
        substitute=drawer and plan.is_drawn,
    )


def criteria(plan: RandomCheckPlan) -> list[Criterion]:
    """The plan's pool and draw criteria as a reader reads them."""
    any_ = gettext("不限")

    def labels(values: list[str], choices: type) -> str:
        return listed(choices(v).label for v in values if v in choices.values) or any_

    grades = [
        gettext("未评级") if g == service.UNRATED else Grade(g).label
        for g in plan.grades or []
        if g in service.GRADE_KEYS
    ]
    weights = plan.weights if isinstance(plan.weights, dict) else {}
    weight_text = listed(
        labelled(gettext("未评级") if key == service.UNRATED else key, value)
        for key, value in sorted(weights.items())
    )
    months = gettext("%(n)s个月")
    return [
        Criterion(gettext("机构类别"), labels(plan.kinds or [], FacilityKind)),
        Criterion(gettext("所属区县"), labels(plan.districts or [], District)),
        Criterion(gettext("信用等级"), listed(grades) or any_),
        Criterion(gettext("等级年度"), str(service.grade_year_of(plan))),
        Criterion(
            gettext("近N个月未检查"),
            months % {"n": plan.not_inspected_months} if plan.not_inspected_months else any_,
        ),
        Criterion(
            gettext("仅限年度检查计划中未完成的机构"),
            gettext("是") if plan.from_check_plan else gettext("否"),
        ),
        Criterion(gettext("抽取数量或比例"), _share(plan)),
        Criterion(
            gettext("按等级加权"),
            gettext("各等级权重：%(weights)s；未列出的为1。") % {"weights": weight_text}
            if weight_text
            else gettext("不加权（权重均为1）"),
        ),
        Criterion(gettext("每个对象检查人员数"), str(plan.inspectors_per_target)),
        Criterion(
            gettext("回避近N个月检查过该机构的人员"),
            months % {"n": plan.inspector_rest_months} if plan.inspector_rest_months else any_,
        ),
        Criterion(
            gettext("回避所在区县的人员"),
            gettext("是") if plan.exclude_home_district else gettext("否"),
        ),
    ]


class RandomPlanDetailView(RecordDetailView):
    """A plan: criteria, the draw and how to re-run it, progress, the targets (a page at a time,
    in the reader's districts), the forms of the steps the reader may take, and the history of
    the plan and of its inspectors' substitutions."""

    model = RandomCheckPlan
    template_name = "random_checks/detail.html"
    history_limit = 30

    def get_queryset(self) -> QuerySet:
        return self.scoped(plan_rows(RandomCheckPlan.objects.all()))

    def targets(self) -> QuerySet:
        return self.scoped(RandomCheckTarget.objects.filter(plan=self.object))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan: RandomCheckPlan = self.object
        user = self.request.user
        today = timezone.localdate()
        context.update(
            criteria=criteria(plan),
            forms=plan_forms(plan, user),
            can_edit=plan.status == RandomCheckStatus.DRAFT
            and user.has_perm("supervision.change_randomcheckplan"),
            limited=user_districts(user) is not None,
            algorithm_steps=ALGORITHM_STEPS,
            today=today,
            max_reason=RandomCheckAssignment._meta.get_field("withdrawn_reason").max_length,
        )
        if plan.status == RandomCheckStatus.DRAFT:
            preview = service.pool_queryset(plan).count()
            context["preview"] = {
                "pool": preview,
                "count": random_draw.count_for(preview, plan.target_count, plan.target_share),
            }
        if plan.is_drawn or plan.drawn_at is not None:
            context["progress"] = service.progress(plan, today=today, targets=self.targets())
            context.update(self.target_page(plan, today))
        return context

    def target_page(self, plan: RandomCheckPlan, today: Any) -> dict[str, Any]:
        """One page of the targets, in a fixed number of queries whatever the page holds."""
        assignments = RandomCheckAssignment.objects.select_related("inspector").order_by("position")
        rows = (
            self.targets()
            .select_related("facility", "inspection")
            .prefetch_related(Prefetch("assignments", queryset=assignments))
            .order_by("rank")
        )
        page_number = self.request.GET.get("page")
        paginator = CappedCountPaginator(
            rows, TARGETS_PER_PAGE, cap=count_cap(page_number or 1, TARGETS_PER_PAGE)
        )
        page = paginator.get_page(page_number)
        query = self.request.GET.copy()
        query.pop("page", None)
        return {
            "target_rows": target_rows(plan, list(page.object_list), today),
            "page_obj": page,
            "paginator": paginator,
            "querystring": query.urlencode(),
        }

    def get_history(self) -> History:
        """The plan's changes and the substitutions of inspectors on the reader's targets (the
        inspectors the draw itself recorded are on the targets' table, not repeated here)."""
        plan: RandomCheckPlan = self.object
        limit = self.history_limit
        parts = [history_entries(plan, limit)]
        if can_view_history(self.request.user, RandomCheckAssignment):
            rows = RandomCheckAssignment.history.filter(
                target_id__in=self.targets().values("pk")
            ).filter(Q(drawn=False) | ~Q(history_type="+"))
            names = dict(
                Inspector.objects.filter(pk__in=rows.values("inspector_id")).values_list(
                    "pk", "name"
                )
            )
            parts.append(
                related_history(
                    RandomCheckAssignment,
                    rows,
                    subject=lambda row: (
                        gettext("抽查人员：%(inspector)s")
                        % {"inspector": names.get(row.inspector_id, "")}
                    ),
                    limit=limit,
                )
            )
        return merged_history(*parts, limit=limit)


# --- The stored pools ----------------------------------------------------------------------------


class PoolDownloadView(StaffView, View):
    """A drawn plan's stored pool as the exact text its digest is taken of: `sha256sum` of the
    file is the plan's pool digest (inspectors: the digest the draw's salt holds)."""

    model = RandomCheckPlan
    inspectors: ClassVar[bool] = False

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = get_object_or_404(self.scoped(RandomCheckPlan.objects.all()), pk=pk)
        blob = plan.inspector_pool if self.inspectors else plan.pool
        if blob is None:
            raise Http404(gettext("该计划尚未抽取。"))
        if self.inspectors:
            entries: list = random_draw.unpack_inspectors(bytes(blob))
            lines: Iterator[str] = iter(random_draw.inspector_pool_text(entries))
            name = f"random-check-{plan.pk}-inspectors.csv"
        else:
            entries = random_draw.unpack_pool(bytes(blob))
            lines = iter(random_draw.pool_text(entries))
            name = f"random-check-{plan.pk}-pool.csv"
        record_export(
            request,
            list_name="random_check_inspector_pool" if self.inspectors else "random_check_pool",
            export_format="csv",
            rows=len(entries),
        )
        response = StreamingHttpResponse(
            (line.encode("utf-8") for line in lines), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


# --- The steps -----------------------------------------------------------------------------------


class _StepOnThePlanPage(ServiceFormView):
    """A step posted from the plan's page: done or refused, the user is back on the page with a
    message (a refusal changes nothing). A GET of the step's address shows the plan."""

    anchor: ClassVar[str] = ""

    def plan(self) -> RandomCheckPlan:
        return self.get_object()  # type: ignore[return-value]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form: Form) -> HttpResponse:
        for name, errors in form.errors.items():
            bound = form.fields.get(name) if name != NON_FIELD_ERRORS else None
            for error in errors:
                text = labelled(bound.label, error) if bound is not None else error
                messages.error(self.request, text)
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        url = self.plan().get_absolute_url()
        return f"{url}#{self.anchor}" if self.anchor else url


class _PlanStep(_StepOnThePlanPage):
    model = RandomCheckPlan
    object_model = RandomCheckPlan
    permission_required = "supervision.draw_randomcheckplan"
    template_name = "random_checks/detail.html"
    takes_plan: ClassVar[bool] = True

    def get_object(self) -> Model:
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                self.scoped(plan_rows(RandomCheckPlan.objects.all())), pk=self.kwargs["pk"]
            )
        return self._object

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.takes_plan:
            kwargs["plan"] = self.get_object()
        return kwargs


class DrawView(_PlanStep):
    form_class = DrawForm
    anchor = "draw"

    def perform(self, form: Form) -> Model:
        plan = service.draw(
            self.plan(),
            seed=form.cleaned_data["seed"],
            seed_source=form.cleaned_data["seed_source"],
            user=self.request.user,
            version=form.expected_version,
        )
        self.success_message = gettext(
            "已抽取：抽取范围%(pool)d家机构，抽中%(n)d个对象。请核验后公布。"
        ) % {
            "pool": plan.pool_size,
            "n": random_draw.count_for(plan.pool_size, plan.target_count, plan.target_share),
        }
        return plan


class VerifyView(_PlanStep):
    """核验: whoever may read the plan may re-run its draw; nothing is written."""

    form_class = VerifyForm
    permission_required = "supervision.view_randomcheckplan"
    takes_plan = False
    anchor = "draw"

    def perform(self, form: Form) -> Model:
        plan = RandomCheckPlan.objects.get(pk=self.plan().pk)  # with the stored pools
        check = service.verify(plan)
        if check.ok:
            self.success_message = gettext(
                "核验通过：按记录的种子和抽取范围重新抽取，%(n)d个对象及其检查人员与记录一致，"
                "结果摘要 %(digest)s。"
            ) % {"n": check.target_count, "digest": check.result_digest}
            return plan
        messages.error(
            self.request,
            gettext("核验未通过：%(problems)s") % {"problems": clauses(check.problems)},
        )
        self.success_message = ""
        return plan

    def form_valid(self, form: Form) -> HttpResponse:
        self.perform(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())


class PublishView(_PlanStep):
    form_class = PublishForm
    success_message = _("计划已公布：每个抽查对象已生成一次计划中的双随机检查。")

    def perform(self, form: Form) -> Model:
        return service.publish(self.plan(), user=self.request.user, version=form.expected_version)


class CancelView(_PlanStep):
    form_class = CancelForm
    success_message = _("计划已撤销。")

    def perform(self, form: Form) -> Model:
        return service.cancel(
            self.plan(),
            reason=form.cleaned_data["reason"],
            user=self.request.user,
            version=form.expected_version,
        )


class SubstituteView(_StepOnThePlanPage):
    """撤换 an inspector of a target in the reader's districts; the seed picks who replaces them."""

    model = RandomCheckAssignment
    object_model = RandomCheckAssignment
    form_class = SubstituteForm
    permission_required = "supervision.draw_randomcheckplan"
    template_name = "random_checks/detail.html"

    def get_object(self) -> Model:
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                self.scoped(
                    RandomCheckAssignment.objects.select_related("inspector", "target__plan")
                ),
                pk=self.kwargs["pk"],
            )
        return self._object

    def plan(self) -> RandomCheckPlan:
        return self.get_object().target.plan  # type: ignore[attr-defined]

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        assignment = self.get_object()
        return f"{self.plan().get_absolute_url()}#target-{assignment.target_id}"  # type: ignore[attr-defined]

    def perform(self, form: Form) -> Model:
        assignment = self.get_object()
        replacement = service.substitute(
            assignment, reason=form.cleaned_data["reason"], user=self.request.user
        )
        self.success_message = gettext("已撤换：%(old)s 由 %(new)s 替换。") % {
            "old": assignment.inspector,  # type: ignore[attr-defined]
            "new": Inspector.objects.get(pk=replacement.inspector_id),
        }
        return replacement


urlpatterns = [
    path("", RandomPlanListView.as_view(), name="random-plan-list"),
    path("new/", RandomPlanCreateView.as_view(), name="random-plan-create"),
    path("<int:pk>/", RandomPlanDetailView.as_view(), name="random-plan-detail"),
    path("<int:pk>/edit/", RandomPlanEditView.as_view(), name="random-plan-edit"),
    path("<int:pk>/draw/", DrawView.as_view(), name="random-plan-draw"),
    path("<int:pk>/verify/", VerifyView.as_view(), name="random-plan-verify"),
    path("<int:pk>/publish/", PublishView.as_view(), name="random-plan-publish"),
    path("<int:pk>/cancel/", CancelView.as_view(), name="random-plan-cancel"),
    path("<int:pk>/pool.csv", PoolDownloadView.as_view(), name="random-plan-pool"),
    path(
        "<int:pk>/inspectors.csv",
        PoolDownloadView.as_view(inspectors=True),
        name="random-plan-inspector-pool",
    ),
    path(
        "assignments/<int:pk>/substitute/",
        SubstituteView.as_view(),
        name="random-assignment-substitute",
    ),
]
