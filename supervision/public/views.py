"""The public pages (信息公开): hotlines, grades, D-grade handling, sanctions in force, random-check
plans and typical cases, each list also as a streamed CSV. No sign-in; served by
supervision.public.middleware, which runs none of the staff middleware.

The same URLs exist twice: namespace "public" in Chinese, "public_en" in English. A view speaks
the language of the namespace it was reached by; `{% url 'public:…' %}` in a template and
reverse(…, current_app=…) here stay in that namespace. Everything a page reads comes from
supervision.public.published.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import InvalidPage, Page
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from supervision.choices import District, FacilityKind, Grade
from supervision.exports import Column, csv_response, records_of
from supervision.filtersets import MAX_SEARCH_LENGTH
from supervision.formats.punctuation import bracketed, listed
from supervision.formats.values import DASH, ymd
from supervision.forms.fields import plain_id
from supervision.models import CreditRating, RandomCheckPlan, Sanction, TypicalCase
from supervision.pagination import CappedCountPaginator, count_cap
from supervision.public import cache as public_cache
from supervision.public import published
from supervision.search import search_terms
from supervision.services import publication
from supervision.services.random_checks import grade_year_of

# The namespaces of the public pages: Chinese (the default language), then English.
NAMESPACES = ("public", "public_en")
PER_PAGE = 50
TARGETS_PER_PAGE = 100
LATEST = 5  # items per section on the home page
COUNTS_SECONDS = 3600  # grade counts: kept per edition, so never stale


def language_of_namespace(namespace: str | None) -> str:
    return "en" if namespace == NAMESPACES[1] else settings.LANGUAGE_CODE


def html_lang(language: str) -> str:
    return "en" if language == "en" else "zh-Hans"


def _namespace(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    namespace = getattr(match, "namespace", None) or getattr(request, "current_app", None)
    return namespace if namespace in NAMESPACES else NAMESPACES[0]


def url(request: HttpRequest, name: str, *args: object, query: dict | None = None) -> str:
    """A public URL in the request's own language."""
    path = reverse(f"public:{name}", args=args, current_app=_namespace(request))
    return f"{path}?{urlencode(query)}" if query else path


def _speaking(language: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A streamed body whose rows are formatted in language (they are read after the view has
    returned, outside its translation.override)."""
    iterator = iter(chunks)
    while True:
        with translation.override(language):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


def public_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Runs view in the language of the namespace the URL was reached by."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = language_of_namespace(_namespace(request))
        with translation.override(language):
            response = view(request, *args, **kwargs)
        if isinstance(response, StreamingHttpResponse):
            response.streaming_content = _speaking(language, response.streaming_content)
        response["Content-Language"] = language
        return response

    return wrapped


# --- The frame of every page --------------------------------------------------------------------


def _sections() -> list[tuple[str, str]]:
    return [
        ("home", _("信息公开首页")),
        ("grades", _("机构信用等级")),
        ("d-grade", _("D级机构处理情况")),
        ("sanctions", _("生效中的处理措施")),
        ("plans", _("双随机抽查")),
        ("cases", pgettext("plural", "典型案例")),
        ("hotlines", pgettext("plural", "举报渠道")),
    ]


def _counterpart(request: HttpRequest) -> str:
    """This page in the other language, with the same query string."""
    match = getattr(request, "resolver_match", None)
    other = NAMESPACES[1] if _namespace(request) == NAMESPACES[0] else NAMESPACES[0]
    name = getattr(match, "url_name", None) or "home"
    try:
        path = reverse(
            f"public:{name}",
            args=getattr(match, "args", ()),
            kwargs=getattr(match, "kwargs", {}),
            current_app=other,
        )
    except NoReverseMatch:
        path = reverse("public:home", current_app=other)
    query = request.META.get("QUERY_STRING", "")
    return f"{path}?{query}" if query and name != "home" else path


def page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render a public page with its frame: the sections, the counterpart and the hotlines."""
    match = getattr(request, "resolver_match", None)
    current = getattr(match, "url_name", None)
    language = translation.get_language()
    english = language == "en"
    context = {
        "html_lang": html_lang(language),
        "nav": [
            {"url": url(request, name), "label": label, "current": name == current}
            for name, label in _sections()
        ],
        "other_url": _counterpart(request),
        "other_label": "简体中文" if english else "English",
        "other_lang": "zh-Hans" if english else "en",
        "hotlines": published.hotlines(),
        "english": english,
        **context,
    }
    return render(request, template, context, status=status)


def not_found(request: HttpRequest, language: str) -> HttpResponse:
    """The public 404, in the public layout and the language of the path."""
    request.current_app = NAMESPACES[1] if language == "en" else NAMESPACES[0]
    with translation.override(language):
        response = page(request, "public/404.html", {}, status=404)
    response["Content-Language"] = language
    return response


# --- Query parameters: checked, never trusted ---------------------------------------------------


def _text(value: str | None) -> str:
    """Typed text without control characters (a NUL would fail the query), at most
    MAX_SEARCH_LENGTH characters."""
    text = "".join(ch for ch in (value or "") if unicodedata.category(ch)[0] != "C")
    return text[:MAX_SEARCH_LENGTH].strip()


def _choice(value: str | None, allowed: Iterable[str]) -> str:
    """value when it is one of allowed, else "" (an unknown choice is ignored)."""
    return value if value and value in set(allowed) else ""


def paginate(
    request: HttpRequest, rows: QuerySet, per_page: int | None = None
) -> tuple[CappedCountPaginator, Page]:
    """The asked page; a page that is not a number or past the end is a 404. The count stops a
    few pages past the asked one (supervision.pagination): nothing counts a million rows."""
    per_page = per_page or PER_PAGE
    number = plain_id(request.GET.get("page", "1"))
    if number is None or number < 1:
        raise Http404
    paginator = CappedCountPaginator(rows, per_page, cap=count_cap(number, per_page))
    try:
        return paginator, paginator.page(number)
    except InvalidPage as error:
        raise Http404 from error


def _listing(
    request: HttpRequest, rows: QuerySet, query: dict[str, str] | None = None, **kwargs: int
) -> dict[str, Any]:
    paginator, page_obj = paginate(request, rows, **kwargs)
    return {
        "paginator": paginator,
        "page_obj": page_obj,
        "object_list": page_obj.object_list,
        "querystring": urlencode(query or {}),
    }


def _number(value: int) -> str:
    return formats.number_format(value, use_l10n=True, force_grouping=True)


# --- Home and hotlines --------------------------------------------------------------------------


@public_view
def home(request: HttpRequest) -> HttpResponse:
    year = publication.latest_published_year()
    counts = _grade_counts(year) if year is not None else None
    return page(
        request,
        "public/home.html",
        {
            "year": year,
            "counts": counts,
            "sanctions": list(published.sanctions_in_force()[:LATEST]),
            "plans": list(published.plans()[:LATEST]),
            "cases": list(published.cases()[:LATEST]),
        },
    )


@public_view
def hotlines(request: HttpRequest) -> HttpResponse:
    return page(request, "public/hotlines.html", {"csv_url": url(request, "hotlines-csv")})


def _hotline_kind(hotline: Any) -> str:
    return _("举报电话") if hotline.is_hotline else _("网上渠道")


@public_view
def hotlines_csv(request: HttpRequest) -> HttpResponse:
    columns = [
        Column(_("渠道"), lambda h: h.get_channel_display()),
        Column(_("名称"), lambda h: h.name),
        Column(_("号码或地址"), lambda h: h.contact),
        Column(_("类型"), _hotline_kind),
    ]
    return csv_response(published.hotlines(), columns, "public-hotlines")


# --- Grades -------------------------------------------------------------------------------------


def _grade_counts(year: int) -> dict[str, int]:
    """The counts by grade of year, kept per edition: paging and filtering do not recount."""
    key = f"public:counts:{public_cache.current_edition()}:{year}"
    counts = cache.get(key)
    if counts is None:
        counts = published.grade_counts(year, publication.published_kinds(year))
        cache.set(key, counts, COUNTS_SECONDS)
    return counts


def _grade_year(request: HttpRequest) -> tuple[int | None, list[int]]:
    """The chosen year (404 unless published), else the latest published one."""
    years = published.published_years()
    if "year" in request.GET:
        year = plain_id(request.GET["year"])
        if year is None or year not in years:
            raise Http404
        return year, years
    return (years[0] if years else None), years


def _grade_filter(request: HttpRequest, kinds: list[str]) -> published.GradeFilter:
    return published.GradeFilter(
        terms=tuple(search_terms(_text(request.GET.get("q")))),
        district=_choice(request.GET.get("district"), District.values),
        kind=_choice(request.GET.get("kind"), kinds),
        grade=_choice(request.GET.get("grade"), Grade.values),
    )


def _grade_query(
    year: int, latest: int | None, chosen: published.GradeFilter, q: str
) -> dict[str, str]:
    query = {"year": str(year)} if year != latest else {}
    for name, value in (
        ("q", q),
        ("district", chosen.district),
        ("kind", chosen.kind),
        ("grade", chosen.grade),
    ):
        if value:
            query[name] = value
    return query


@public_view
def grades(request: HttpRequest) -> HttpResponse:
    year, years = _grade_year(request)
    if year is None:
        return page(request, "public/grades.html", {"year": None, "years": []})
    kinds = publication.published_kinds(year)
    chosen = _grade_filter(request, kinds)
    q = _text(request.GET.get("q")) if chosen.terms else ""
    query = _grade_query(year, years[0], chosen, q)
    counts = _grade_counts(year)
    context = {
        "year": year,
        "years": years,
        "chosen": chosen,
        "q": q,
        "kinds": [(kind, FacilityKind(kind).label) for kind in kinds],
        "districts": District.choices,
        "grades": Grade.choices,
        "counts": [(grade, label, counts[grade]) for grade, label in Grade.choices],
        "total": sum(counts.values()),
        "filtered": bool(chosen.terms or chosen.district or chosen.kind or chosen.grade),
        "csv_url": url(request, "grades-csv", query=query),
        **_listing(request, published.filtered_ratings(year, kinds, chosen), query),
    }
    return page(request, "public/grades.html", context)


def _facility_columns(path: Callable[[Any], Any]) -> list[Column]:
    return [
        Column(_("机构名称"), lambda row: path(row).name),
        Column(_("统一社会信用代码"), lambda row: path(row).credit_code),
        Column(_("机构类别"), lambda row: path(row).get_kind_display()),
        Column(_("所属区县"), lambda row: path(row).get_district_display()),
    ]


@public_view
def grades_csv(request: HttpRequest) -> HttpResponse:
    year, _years = _grade_year(request)
    if year is None:
        rows: QuerySet[CreditRating] = CreditRating.objects.none()
        kinds: list[str] = []
    else:
        kinds = publication.published_kinds(year)
        rows = published.filtered_ratings(year, kinds, _grade_filter(request, kinds))
    columns = [
        Column(_("评价年度"), lambda r: r.year),
        *_facility_columns(lambda r: r.facility),
        Column(_("信用等级"), lambda r: r.get_grade_display()),
    ]
    return csv_response(rows, columns, f"public-grades-{year or 'none'}")


# --- D grades and sanctions ---------------------------------------------------------------------


def _period(sanction: Sanction) -> str:
    if sanction.starts_on is None:
        return DASH
    if sanction.ends_on is None:
        return _("%(start)s起") % {"start": ymd(sanction.starts_on)}
    return f"{ymd(sanction.starts_on)} – {ymd(sanction.ends_on)}"


def _sanction_text(sanction: Sanction) -> str:
    """One sanction in a line of the D-grade CSV: kind, date, number."""
    parts = [sanction.get_kind_display(), ymd(sanction.decided_on)]
    if sanction.decision_number:
        parts.append(sanction.decision_number)
    return bracketed(parts[0], listed(parts[1:]))


def _d_grade_rows() -> tuple[int | None, QuerySet[CreditRating]]:
    year = publication.latest_published_year()
    if year is None:
        return None, CreditRating.objects.none()
    return year, published.d_grade_ratings(year, publication.published_kinds(year))


@public_view
def d_grade(request: HttpRequest) -> HttpResponse:
    year, rows = _d_grade_rows()
    context = {"year": year, **_listing(request, rows)}
    return page(request, "public/d_grade.html", context)


def _with_sanctions(rows: QuerySet[CreditRating]) -> Iterator[CreditRating]:
    """The D grades a chunk at a time, each chunk with its facilities' published sanctions (one
    query per chunk, not per facility)."""
    chunk: list[CreditRating] = []
    for rating in records_of(rows.prefetch_related(None)):
        chunk.append(rating)
        if len(chunk) == 500:
            yield from _attach_sanctions(chunk)
            chunk = []
    yield from _attach_sanctions(chunk)


def _attach_sanctions(chunk: list[CreditRating]) -> list[CreditRating]:
    by_facility: dict[int, list[Sanction]] = {}
    for sanction in published.sanctions().filter(facility_id__in=[r.facility_id for r in chunk]):
        by_facility.setdefault(sanction.facility_id, []).append(sanction)
    for rating in chunk:
        rating.facility.published_sanctions = by_facility.get(rating.facility_id, [])
    return chunk


@public_view
def d_grade_csv(request: HttpRequest) -> HttpResponse:
    year, rows = _d_grade_rows()
    columns = [
        Column(_("评价年度"), lambda r: r.year),
        *_facility_columns(lambda r: r.facility),
        Column(
            _("已公开的处理措施"),
            lambda r: listed(_sanction_text(s) for s in r.facility.published_sanctions),
        ),
    ]
    return csv_response(_with_sanctions(rows), columns, f"public-d-grade-{year or 'none'}")


@public_view
def sanctions(request: HttpRequest) -> HttpResponse:
    context = {"today": timezone.localdate(), **_listing(request, published.sanctions_in_force())}
    return page(request, "public/sanctions.html", context)


@public_view
def sanctions_csv(request: HttpRequest) -> HttpResponse:
    columns = [
        *_facility_columns(lambda s: s.facility),
        Column(_("措施类型"), lambda s: s.get_kind_display()),
        Column(_("决定日期"), lambda s: s.decided_on),
        Column(_("文书编号"), lambda s: s.decision_number),
        Column(_("起始日期"), lambda s: s.starts_on),
        Column(_("截止日期"), lambda s: s.ends_on),
        Column(_("法律依据"), lambda s: s.legal_basis),
    ]
    return csv_response(published.sanctions_in_force(), columns, "public-sanctions-in-force")


# --- Random checks ------------------------------------------------------------------------------


def _labels(values: Iterable[str], choices: type) -> str:
    return listed(choices(value).label for value in values if value in choices.values)


def _grade_label(value: str) -> str:
    return Grade(value).label if value in Grade.values else _("未评级")


def criteria(plan: RandomCheckPlan) -> list[tuple[str, str]]:
    """How the plan chose its pool and its number, in words (label, text)."""
    anything = _("不限")
    field = RandomCheckPlan._meta.get_field
    rows = [
        (str(field("kinds").verbose_name), _labels(plan.kinds, FacilityKind) or anything),
        (str(field("districts").verbose_name), _labels(plan.districts, District) or anything),
    ]
    year = str(grade_year_of(plan))
    grades = listed(_grade_label(g) for g in plan.grades)
    rows.append(
        (
            str(field("grades").verbose_name),
            bracketed(grades, _("%(year)s年度") % {"year": year}) if grades else anything,
        )
    )
    months = plan.not_inspected_months
    rows.append(
        (
            _("近期未检查"),
            _("近%(n)s个月内未被检查的机构") % {"n": months} if months else anything,
        )
    )
    if plan.from_check_plan:
        rows.append((str(field("from_check_plan").verbose_name), _("是")))
    if plan.target_count is not None:
        size = _("%(n)s家") % {"n": _number(plan.target_count)}
    else:
        size = _("范围内机构的%(share)s%%") % {
            "share": formats.number_format(plan.target_share, use_l10n=True)
        }
    rows.append((_("抽取数量"), size))
    weights = listed(
        _("%(grade)s×%(weight)s") % {"grade": _grade_label(g), "weight": w}
        for g, w in sorted(plan.weights.items())
        if isinstance(w, int) and w != 1
    )
    rows.append((str(field("weights").verbose_name), weights or _("不加权")))
    return rows


def draw_facts(plan: RandomCheckPlan) -> list[tuple[str, str, bool]]:
    """What anyone needs to re-run the draw: (label, value, monospace)."""
    field = RandomCheckPlan._meta.get_field
    return [
        (str(field("seed").verbose_name), plan.seed, True),
        (str(field("seed_source").verbose_name), plan.seed_source or DASH, False),
        (str(field("algorithm").verbose_name), plan.algorithm, True),
        (str(field("pool_size").verbose_name), _number(plan.pool_size), False),
        (str(field("pool_digest").verbose_name), plan.pool_digest, True),
        (str(field("result_digest").verbose_name), plan.result_digest, True),
        (str(field("published_on").verbose_name), ymd(plan.published_on), False),
    ]


@public_view
def plans(request: HttpRequest) -> HttpResponse:
    return page(request, "public/plans.html", _listing(request, published.plans()))


@public_view
def plans_csv(request: HttpRequest) -> HttpResponse:
    columns = [
        Column(_("计划名称"), lambda p: p.name),
        Column(_("检查开始日期"), lambda p: p.starts_on),
        Column(_("检查截止日期"), lambda p: p.ends_on),
        Column(_("抽中机构数"), lambda p: p.drawn),
        Column(_("抽取范围机构数"), lambda p: p.pool_size),
        Column(_("随机种子"), lambda p: p.seed),
        Column(_("抽取结果摘要"), lambda p: p.result_digest),
        Column(_("公布日期"), lambda p: p.published_on),
    ]
    return csv_response(published.plans(), columns, "public-random-checks")


def _plan(pk: int) -> RandomCheckPlan:
    if plain_id(pk) is None:
        raise Http404
    plan = published.plans().filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


@public_view
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(pk)
    listing = _listing(request, published.targets(plan), per_page=TARGETS_PER_PAGE)
    rows = [(target, published.outcome(target)) for target in listing["object_list"]]
    context = {
        "plan": plan,
        "criteria": criteria(plan),
        "facts": draw_facts(plan),
        "rows": rows,
        "csv_url": url(request, "plan-csv", plan.pk),
        **listing,
    }
    return page(request, "public/plan.html", context)


def _result(target: Any) -> str:
    outcome = published.outcome(target)
    if not outcome["completed"]:
        return str(outcome["status_label"])
    return _("发现问题") if outcome["problems"] else _("未发现问题")


@public_view
def plan_csv(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(pk)
    columns = [
        Column(_("抽中顺序"), lambda t: t.rank),
        Column(_("机构名称"), lambda t: t.facility.name),
        Column(_("机构类别"), lambda t: t.facility.get_kind_display()),
        Column(_("抽取时所属区县"), lambda t: t.get_district_display()),
        Column(_("检查状态"), lambda t: published.outcome(t)["status_label"]),
        Column(_("检查结果"), _result),
        Column(_("检查结束日期"), lambda t: published.outcome(t)["ended_on"]),
    ]
    return csv_response(published.targets(plan), columns, f"public-random-check-{plan.pk}")


# --- Typical cases ------------------------------------------------------------------------------


@public_view
def cases(request: HttpRequest) -> HttpResponse:
    return page(request, "public/cases.html", _listing(request, published.cases()))


@public_view
def cases_csv(request: HttpRequest) -> HttpResponse:
    columns = [
        Column(_("标题"), lambda c: c.title),
        Column(_("发布日期"), lambda c: c.published_on),
        Column(_("机构名称"), lambda c: c.inspection.facility.name),
        Column(_("所属区县"), lambda c: c.inspection.facility.get_district_display()),
        Column(_("基本案情"), lambda c: c.facts),
        Column(_("处理结果"), lambda c: c.handling),
        Column(_("法律依据"), lambda c: c.legal_basis),
        Column(_("警示意义"), lambda c: c.lesson),
    ]
    return csv_response(published.cases(), columns, "public-typical-cases")


@public_view
def case(request: HttpRequest, pk: int) -> HttpResponse:
    if plain_id(pk) is None:
        raise Http404
    found: TypicalCase | None = published.cases().filter(pk=pk).first()
    if found is None:
        raise Http404
    return page(request, "public/case.html", {"case": found})
