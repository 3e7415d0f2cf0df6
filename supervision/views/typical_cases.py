"""Typical cases (典型案例): the list, writing one from a completed inspection, editing a draft,
its page (text, review, withdrawal, history) and the steps: submit, approve, return, withdraw.

Every write goes through services.typical_cases; each step's view re-checks the permission
(403) and the record's state, and a refusal comes back on the form with nothing changed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.forms import Form
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.choices import InspectionStatus, TypicalCaseStatus
from supervision.exports import Column
from supervision.filtersets import TypicalCaseFilterSet
from supervision.forms.fields import plain_id
from supervision.forms.typical_cases import (
    ApproveCaseForm,
    ReturnCaseForm,
    SubmitCaseForm,
    TypicalCaseEditForm,
    TypicalCaseForm,
    WithdrawCaseForm,
)
from supervision.models import Facility, Inspection, TypicalCase
from supervision.people import person_name
from supervision.services import typical_cases as service
from supervision.views.base import RecordDetailView, ServiceFormView
from supervision.views.case_lists import CaseListView

CASE_COLUMNS = [
    Column(_("编号"), lambda c: c.pk),
    Column(_("标题"), lambda c: c.title),
    Column(_("机构"), lambda c: c.inspection.facility.name),
    Column(_("所依据的检查编号"), lambda c: c.inspection_id),
    Column(_("状态"), lambda c: c.get_status_display()),
    Column(_("提交审核日期"), lambda c: c.submitted_on),
    Column(_("发布日期"), lambda c: c.published_on),
    Column(_("撤回日期"), lambda c: c.withdrawn_on),
    Column(_("撰写人"), lambda c: person_name(c.created_by)),
    Column(_("审核人"), lambda c: person_name(c.reviewed_by)),
]


def cases_for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(
        "inspection__facility", "created_by__inspector", "reviewed_by__inspector"
    )


class TypicalCaseListView(CaseListView):
    model = TypicalCase
    filterset_class = TypicalCaseFilterSet
    template_name = "typical_cases/list.html"
    filter_fields = ["q", "status", "district", "published_on"]
    chip_models = {"facility": Facility, "inspection": Inspection}
    export_columns = CASE_COLUMNS
    export_name = "typical-cases"

    def get_queryset(self) -> QuerySet:
        return self.scoped(cases_for_lists(TypicalCase.objects.all()))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_write"] = self.request.user.has_perm("supervision.add_typicalcase")
        return context


class TypicalCaseDetailView(RecordDetailView):
    """A case: its text, the inspection, where it stands, and the forms of the steps the reader
    may take now."""

    model = TypicalCase
    template_name = "typical_cases/detail.html"

    def get_queryset(self) -> QuerySet:
        return cases_for_lists(super().get_queryset())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        case: TypicalCase = self.object
        user = self.request.user
        may_change = user.has_perm("supervision.change_typicalcase")
        may_review = user.has_perm(service.REVIEW_PERMISSION)
        draft = case.status == TypicalCaseStatus.DRAFT
        submitted = case.status == TypicalCaseStatus.SUBMITTED
        reviewer = submitted and service.may_review(case, user)
        forms: dict[str, Form] = {}
        if draft and may_change:
            forms["submit"] = SubmitCaseForm(case=case, auto_id="id_submit_%s")
        if reviewer:
            forms["review"] = ApproveCaseForm(case=case, auto_id="id_review_%s")
        if case.status == TypicalCaseStatus.PUBLISHED and may_review:
            forms["withdraw"] = WithdrawCaseForm(case=case, auto_id="id_withdraw_%s")
        context.update(
            forms=forms,
            can_edit=draft and may_change,
            # A reviewer who wrote it: told why the review buttons are not there.
            own_case=submitted and may_review and not reviewer,
            text_problems=(
                service.case_text_problems(case) if (draft or submitted) and may_change else {}
            ),
        )
        return context


class TypicalCaseCreateView(ServiceFormView):
    """撰写. ?inspection=<pk> (from an inspection's page) chooses the inspection."""

    model = TypicalCase
    form_class = TypicalCaseForm
    permission_required = "supervision.add_typicalcase"
    template_name = "typical_cases/form.html"
    success_message = _("典型案例草稿已保存。")
    form_takes_user = True

    def inspection(self) -> Inspection | None:
        """The inspection of ?inspection=, when the user may see it."""
        if not hasattr(self, "_inspection"):
            pk = plain_id(self.request.GET.get("inspection"))
            self._inspection = (
                self.scoped(Inspection.objects.select_related("facility")).filter(pk=pk).first()
                if pk
                else None
            )
        return self._inspection

    def refusal(self) -> str | None:
        inspection = self.inspection()
        if inspection is not None and inspection.status != InspectionStatus.COMPLETED:
            return gettext("只能依据已完成的检查撰写典型案例。")
        return None

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        if record is not None:
            return record.get_absolute_url()
        inspection = self.inspection()
        return inspection.get_absolute_url() if inspection else reverse("typical-case-list")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "inspection": self.inspection()}

    def perform(self, form: Form) -> Model:
        return service.write_case(user=self.request.user, **form.values())


class _CaseStep(ServiceFormView):
    """A step on one case; its form takes the case as `case`. The page of the step shows the
    form again when it is refused."""

    model = TypicalCase
    object_model = TypicalCase
    template_name = "typical_cases/step.html"
    title: ClassVar[str] = ""
    # The state the step starts from, and what to say when the case is elsewhere.
    from_status: ClassVar[str] = TypicalCaseStatus.DRAFT
    wrong_status: ClassVar[str] = ""

    def get_object(self) -> Model:
        if not hasattr(self, "_object"):
            case = self.scoped_object(TypicalCase, self.kwargs["pk"])
            self._object = TypicalCase.objects.select_related("inspection__facility").get(
                pk=case.pk
            )
        return self._object

    def refusal(self) -> str | None:
        if self.get_object().status != self.from_status:
            return str(self.wrong_status)
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "case": self.get_object()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        case = self.get_object()
        context.update(title=str(self.title), case=case, cancel_url=case.get_absolute_url())
        return context

    def get_success_url(self, record: Model | None = None) -> str:  # type: ignore[override]
        return self.get_object().get_absolute_url()


class TypicalCaseEditView(_CaseStep):
    form_class = TypicalCaseEditForm
    permission_required = "supervision.change_typicalcase"
    template_name = "typical_cases/edit.html"
    title = _("修改典型案例")
    wrong_status = _("只有草稿可以修改；已提交审核的案例须经审核退回后再修改。")
    success_message = _("典型案例已保存。")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = kwargs.pop("case")
        return kwargs

    def perform(self, form: Form) -> Model:
        return service.edit_case(
            self.get_object(),
            user=self.request.user,
            expected_version=form.expected_version,
            reason=form.cleaned_data.get("change_reason", ""),
            **form.values(),
        )


class SubmitView(_CaseStep):
    form_class = SubmitCaseForm
    permission_required = "supervision.change_typicalcase"
    title = _("提交审核")
    wrong_status = _("只有草稿可以提交审核。")
    success_message = _("已提交审核。")

    def perform(self, form: Form) -> Model:
        return service.submit_case(
            self.get_object(), user=self.request.user, expected_version=form.expected_version
        )


class _ReviewStep(_CaseStep):
    permission_required = service.REVIEW_PERMISSION
    from_status = TypicalCaseStatus.SUBMITTED
    wrong_status = _("只有待审核的案例可以审核。")

    def refusal(self) -> str | None:
        refused = super().refusal()
        if refused:
            return refused
        if not service.may_review(self.get_object(), self.request.user):
            return gettext(
                "审核人不能是该案例的撰写人、修改人或提交人，请由其他有审核权限的人员审核。"
            )
        return None


class ApproveView(_ReviewStep):
    form_class = ApproveCaseForm
    title = _("审核通过并发布")
    success_message = _("典型案例已审核通过并发布。")

    def perform(self, form: Form) -> Model:
        return service.approve_case(
            self.get_object(),
            user=self.request.user,
            comment=form.cleaned_data["review_comment"],
            expected_version=form.expected_version,
        )


class ReturnView(_ReviewStep):
    form_class = ReturnCaseForm
    title = _("退回修改")
    success_message = _("典型案例已退回修改。")

    def perform(self, form: Form) -> Model:
        return service.return_case(
            self.get_object(),
            user=self.request.user,
            comment=form.cleaned_data["review_comment"],
            expected_version=form.expected_version,
        )


class WithdrawView(_CaseStep):
    form_class = WithdrawCaseForm
    permission_required = service.REVIEW_PERMISSION
    from_status = TypicalCaseStatus.PUBLISHED
    title = _("撤回典型案例")
    wrong_status = _("只有已发布的案例可以撤回。")
    success_message = _("典型案例已撤回，不再对外公开。")

    def perform(self, form: Form) -> Model:
        return service.withdraw_case(
            self.get_object(),
            user=self.request.user,
            reason=form.cleaned_data["withdraw_reason"],
            expected_version=form.expected_version,
        )


urlpatterns = [
    path("", TypicalCaseListView.as_view(), name="typical-case-list"),
    path("new/", TypicalCaseCreateView.as_view(), name="typical-case-create"),
    path("<int:pk>/", TypicalCaseDetailView.as_view(), name="typical-case-detail"),
    path("<int:pk>/edit/", TypicalCaseEditView.as_view(), name="typical-case-edit"),
    path("<int:pk>/submit/", SubmitView.as_view(), name="typical-case-submit"),
    path("<int:pk>/approve/", ApproveView.as_view(), name="typical-case-approve"),
    path("<int:pk>/return/", ReturnView.as_view(), name="typical-case-return"),
    path("<int:pk>/withdraw/", WithdrawView.as_view(), name="typical-case-withdraw"),
]
