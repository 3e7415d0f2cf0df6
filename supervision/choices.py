"""Every enumeration of the domain, in one place."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FacilityKind(models.TextChoices):
    HOSPITAL = "hospital", _("医院")
    CLINIC = "clinic", _("基层医疗机构/诊所")
    PHARMACY = "pharmacy", _("零售药店")
    INSURER = "insurer", _("商业保险公司")

    @property
    def insurance_code_letter(self) -> str:
        """The letter its 医保定点编码 starts with; insurers have no code."""
        return {"hospital": "H", "clinic": "H", "pharmacy": "P", "insurer": ""}[self.value]


class Ownership(models.TextChoices):
    PUBLIC = "public", _("公立")
    PRIVATE = "private", _("民营")


class District(models.TextChoices):
    """Lhasa's county-level divisions (GB/T 2260)."""

    CHENGGUAN = "540102", _("城关区")
    DOILUNGDEQEN = "540103", _("堆龙德庆区")
    DAGZE = "540104", _("达孜区")
    LHUNZHUB = "540121", _("林周县")
    DAMXUNG = "540122", _("当雄县")
    NYEMO = "540123", _("尼木县")
    QUXU = "540124", _("曲水县")
    MAIZHOKUNGGAR = "540127", _("墨竹工卡县")


class Zone(models.TextChoices):
    HIGH_TECH = "540171", _("拉萨高新区")
    ECONOMIC = "540172", _("拉萨经济技术开发区")
    CULTURE = "540173", _("西藏文化旅游创意园区")


# Division codes a 医保定点编码 may carry: the city, its districts and its zones.
CITY_DIVISION = "540100"
DIVISION_CODES = frozenset({CITY_DIVISION, *District.values, *Zone.values})


class AgreementStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    SUSPENDED = "suspended", _("暂停")
    TERMINATED = "terminated", _("解除")


class Grade(models.TextChoices):
    A = "A", _("A级")
    B = "B", _("B级")
    C = "C", _("C级")
    D = "D", _("D级")


class CaseKind(models.TextChoices):
    """The records that carry the bureau's case numbers (案号/文号), one series per kind a year."""

    INSPECTION = "inspection", _("检查")
    REFERRAL = "referral", _("案件移送")
    SANCTION = "sanction", _("处理决定")
    TIP = "tip", _("举报线索")


class InspectionKind(models.TextChoices):
    ROUTINE = "routine", _("日常检查")
    UNANNOUNCED = "unannounced", _("飞行检查")
    JOINT = "joint", _("联合检查")
    CAMPAIGN = "campaign", _("专项整治")
    RANDOM = "random", _("双随机抽查")
    SELF = "self", _("自查自纠")
    FOLLOWUP = "followup", _("复查")

    @property
    def is_on_site(self) -> bool:
        """Done by the bureau's inspectors on the premises (all but self-inspection)."""
        return self is not InspectionKind.SELF


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    IN_PROGRESS = "in_progress", _("检查中")
    COMPLETED = "completed", _("已完成")


class Violation(models.TextChoices):
    FORGED_DELIVERY_NOTES = "forged_delivery_notes", _("伪造变造随货同行单")
    FALSE_CLAIMS = "false_claims", _("虚假结算/虚构服务")
    SUBSTITUTION = "substitution", _("串换药品耗材项目")
    OVERCHARGING = "overcharging", _("超标准收费")
    DUPLICATE_CHARGING = "duplicate_charging", _("重复收费")
    SPLIT_CHARGING = "split_charging", _("分解收费")
    EXCESSIVE_PRESCRIBING = "excessive_prescribing", _("超量开药")
    GHOST_ADMISSION = "ghost_admission", _("挂床/诱导住院")
    IMPERSONATION = "impersonation", _("冒名就医")
    DRUG_RESELLING = "drug_reselling", _("倒卖药品")
    TRACEABILITY_CODE = "traceability_code", _("追溯码违规")
    MANAGEMENT_FAILURE = "management_failure", _("管理制度不落实")


class Agency(models.TextChoices):
    POLICE = "police", _("公安机关")
    MARKET = "market", _("市场监管")
    HEALTH = "health", _("卫生健康")
    DISCIPLINE = "discipline", _("纪检监察")


class ReferralStatus(models.TextChoices):
    REFERRED = "referred", _("已移送")
    ACCEPTED = "accepted", _("已立案")
    DECLINED = "declined", _("不予立案")
    CLOSED = "closed", _("已结案")


# Where a referral may go next; closed is final.
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.REFERRED: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.DECLINED}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.CLOSED}),
    ReferralStatus.DECLINED: frozenset({ReferralStatus.CLOSED}),
    ReferralStatus.CLOSED: frozenset(),
}


class SanctionKind(models.TextChoices):
    SUSPENSION = "suspension", _("暂停医保服务协议")
    DEPOSIT_RECOVERY = "deposit_recovery", _("收回保证金")
    FUND_RECOVERY = "fund_recovery", _("追回医保基金")
    FINE = "fine", _("罚款")
    TERMINATION = "termination", _("解除协议")
    WARNING = "warning", _("约谈/责令改正")
    COMMENDATION = "commendation", _("授牌")


class EvidenceType(models.TextChoices):
    """The kinds of evidence file accepted, by their media type; recognised by content, not name."""

    PDF = "application/pdf", _("PDF 文档")
    JPEG = "image/jpeg", _("JPEG 图片")
    PNG = "image/png", _("PNG 图片")
    WEBP = "image/webp", _("WebP 图片")
    TIFF = "image/tiff", _("TIFF 图片")
    OFD = "application/ofd", _("OFD 版式文档")

    @property
    def extensions(self) -> tuple[str, ...]:
        """File name endings of the type, the one stored files get first."""
        return {
            "application/pdf": (".pdf",),
            "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
            "image/png": (".png",),
            "image/webp": (".webp",),
            "image/tiff": (".tif", ".tiff"),
            "application/ofd": (".ofd",),
        }[self.value]

    @property
    def extension(self) -> str:
        return self.extensions[0]


class DocumentKind(models.TextChoices):
    """The documents the bureau issues from its records (supervision.services.documents): the
    record of an inspection, the letter of a referral, and the notice before and the decision
    after a sanction."""

    INSPECTION_RECORD = "inspection_record", _("检查笔录")
    REFERRAL_LETTER = "referral_letter", _("移送函")
    NOTICE = "notice", _("行政处理事先告知书")
    DECISION = "decision", _("处理决定书")

    @property
    def record_field(self) -> str:
        """The field of IssuedDocument (and Evidence) naming the record it is issued from."""
        return {
            "inspection_record": "inspection",
            "referral_letter": "referral",
            "notice": "sanction",
            "decision": "sanction",
        }[self.value]

    @property
    def editable(self) -> bool:
        """Staff edit it in Word before signing: offered as DOCX too."""
        return self.value in ("notice", "decision")


class AuditAction(models.TextChoices):
    """What an audit event records (supervision.models.AuditEvent); the changes of the case
    records themselves are their history rows."""

    SIGN_IN = "sign_in", _("登录")
    SIGN_IN_FAILED = "sign_in_failed", _("登录失败")
    LOCKED_OUT = "locked_out", _("登录被锁定")
    SIGN_OUT = "sign_out", _("退出登录")
    OTP_ENROLLED = "otp_enrolled", _("绑定验证器")
    OTP_VERIFIED = "otp_verified", _("第二因素验证通过")
    OTP_REFUSED = "otp_refused", _("第二因素验证失败")
    RECOVERY_CODES = "recovery_codes", _("重新生成恢复码")
    OTP_RESET = "otp_reset", _("管理员重置第二因素")
    TOKEN_ISSUED = "token_issued", _("签发接口令牌")
    TOKEN_REVOKED = "token_revoked", _("吊销接口令牌")
    EXPORT = "export", _("导出")
    EVIDENCE_UPLOADED = "evidence_uploaded", _("上传证据材料")
    EVIDENCE_DOWNLOADED = "evidence_downloaded", _("下载证据材料")


class TipChannel(models.TextChoices):
    """How a tip (举报线索) reached the bureau: the three hotline levels first."""

    NATIONAL_HOTLINE = "national_hotline", _("全国医保举报电话")
    REGION_HOTLINE = "region_hotline", _("自治区医保举报电话")
    CITY_HOTLINE = "city_hotline", _("市医保举报电话")
    PORTAL = "portal", _("门户网站")
    WECHAT = "wechat", _("微信公众号")
    LETTER = "letter", _("来信")
    VISIT = "visit", _("来访")
    TRANSFER = "transfer", _("其他部门转办")

    @property
    def is_hotline(self) -> bool:
        return self.value.endswith("_hotline")


# The channels whose published number or address is data (supervision.models.Hotline).
PUBLISHED_CHANNELS = (
    TipChannel.NATIONAL_HOTLINE,
    TipChannel.REGION_HOTLINE,
    TipChannel.CITY_HOTLINE,
    TipChannel.PORTAL,
    TipChannel.WECHAT,
)


class TipSubject(models.TextChoices):
    """Whom a tip is about."""

    FACILITY = "facility", _("定点医药机构")
    BUSINESS = "business", _("其他单位")
    PRACTITIONER = "practitioner", _("医药机构相关人员")
    INSURED = "insured", _("参保人员")


class TipStatus(models.TextChoices):
    RECEIVED = "received", _("待受理")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    MERGED = "merged", _("重复并案")
    ACCEPTED = "admitted", _("已受理")
    INVESTIGATING = "investigating", _("核查中")
    CONCLUDED = "concluded", _("已办结")
    REPLIED = "replied", _("已答复")
    CLOSED = "closed", _("已结案")


# Where a tip may go next; closed and merged are final.
TIP_TRANSITIONS: dict[str, frozenset[str]] = {
    TipStatus.RECEIVED: frozenset({TipStatus.ACCEPTED, TipStatus.NOT_ACCEPTED, TipStatus.MERGED}),
    TipStatus.ACCEPTED: frozenset({TipStatus.INVESTIGATING}),
    TipStatus.INVESTIGATING: frozenset({TipStatus.CONCLUDED}),
    TipStatus.NOT_ACCEPTED: frozenset({TipStatus.REPLIED, TipStatus.CLOSED}),
    TipStatus.CONCLUDED: frozenset({TipStatus.REPLIED, TipStatus.CLOSED}),
    TipStatus.REPLIED: frozenset({TipStatus.CLOSED}),
    TipStatus.MERGED: frozenset(),
    TipStatus.CLOSED: frozenset(),
}


class TipClock(models.TextChoices):
    """Which statutory clock is running on a tip."""

    NONE = "", _("无")
    ACCEPTANCE = "acceptance", _("受理期限")
    INVESTIGATION = "investigation", _("核查期限")


class TipConclusion(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("属实")
    PARTLY = "partly", _("部分属实")
    NOT_SUBSTANTIATED = "not_substantiated", _("不属实")

    @property
    def is_substantiated(self) -> bool:
        return self is not TipConclusion.NOT_SUBSTANTIATED


class ReplyMethod(models.TextChoices):
    PHONE = "phone", _("电话")
    SMS = "sms", _("短信")
    LETTER = "letter", _("书面")
    IN_PERSON = "in_person", _("当面")
    ONLINE = "online", _("网上答复")


class RewardStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已批准待领取")
    REFUSED = "refused", _("不予奖励")
    PAID = "paid", _("已发放")
    EXPIRED = "expired", _("逾期未领取")


REWARD_TRANSITIONS: dict[str, frozenset[str]] = {
    RewardStatus.PROPOSED: frozenset({RewardStatus.APPROVED, RewardStatus.REFUSED}),
    RewardStatus.APPROVED: frozenset({RewardStatus.PAID, RewardStatus.EXPIRED}),
    RewardStatus.REFUSED: frozenset(),
    RewardStatus.PAID: frozenset(),
    RewardStatus.EXPIRED: frozenset(),
}


class PaymentMethod(models.TextChoices):
    BANK = "bank", _("银行转账")
    CASH = "cash", _("现金")
    MOBILE = "mobile", _("移动支付")


# --- Credit management (信用管理) ---------------------------------------------------------------


class CreditCategoryCode(models.TextChoices):
    """The 8 categories of credit subject (信用主体) of the city's credit-evaluation rules."""

    MEDICAL_INSTITUTION = "medical_institution", _("定点医疗机构")
    RETAIL_PHARMACY = "retail_pharmacy", _("定点零售药店")
    INSURER = "insurer", _("商业保险承办机构")
    PHARMA_COMPANY = "pharma_company", _("医药企业")
    EMPLOYER = "employer", _("参保单位")
    SERVICE_PROVIDER = "service_provider", _("第三方服务机构")
    PRACTITIONER = "practitioner", _("医药机构相关人员")
    INSURED_PERSON = "insured_person", _("参保人员")


class SubjectType(models.TextChoices):
    """Where a category's subjects are registered."""

    FACILITY = "facility", _("定点医药机构名录")
    INSTITUTION = "institution", _("信用主体单位名录")
    PRACTITIONER = "practitioner", _("医药机构相关人员名录")
    INSURED_PERSON = "insured_person", _("参保人员")


# The categories rated from the facility registry, and the facility kinds of each.
CATEGORY_FACILITY_KINDS: dict[str, tuple[str, ...]] = {
    CreditCategoryCode.MEDICAL_INSTITUTION: (FacilityKind.HOSPITAL, FacilityKind.CLINIC),
    CreditCategoryCode.RETAIL_PHARMACY: (FacilityKind.PHARMACY,),
    CreditCategoryCode.INSURER: (FacilityKind.INSURER,),
}
# The categories kept in the registry of credit-subject institutions (CreditInstitution).
INSTITUTION_CATEGORIES: tuple[str, ...] = (
    CreditCategoryCode.PHARMA_COMPANY,
    CreditCategoryCode.EMPLOYER,
    CreditCategoryCode.SERVICE_PROVIDER,
)


def category_of_facility_kind(kind: str) -> str:
    """The credit category of a facility of `kind`."""
    for category, kinds in CATEGORY_FACILITY_KINDS.items():
        if kind in kinds:
            return category
    raise ValueError(kind)


class IndicatorMethod(models.TextChoices):
    """How an indicator is scored."""

    FACT = "fact", _("按记录事实扣分")
    MANUAL = "manual", _("评价人员评分")
    VETO = "veto", _("一票否决")
    BONUS = "bonus", _("加分项")


class IndicatorFact(models.TextChoices):
    """The recorded facts of the evaluated year an indicator reads. The qualifier narrows some:
    a violation category, a sanction kind, an agency."""

    NONE = "", _("无（人工评分）")
    INSPECTION_VIOLATION = "inspection_violation", _("已完成检查发现的违规（每类计一次）")
    SANCTION = "sanction", _("处理措施（按类型）")
    REFERRAL = "referral", _("案件移送（按部门）")
    SUBSTANTIATED_TIP = "substantiated_tip", _("查实的举报线索")
    MONEY_RECOVERED = "money_recovered", _("追回医保基金（每万元）")
    PRACTITIONER_POINTS = "practitioner_points", _("医保支付资格记分（每分）")


class CycleStatus(models.TextChoices):
    """The steps of a year's evaluation of one category, in order."""

    SELF_ASSESSMENT = "self_assessment", _("自评")
    SCORING = "scoring", _("初评")
    REVIEW = "review", _("复核")
    PUBLICATION = "publication", _("公示")
    FINALISING = "finalising", _("确定中")
    FINAL = "final", _("已确定")
    ANNOUNCED = "announced", _("已公布")

    @property
    def position(self) -> int:
        return list(CycleStatus).index(self)


# Values distinct from every other status (the status badges look a value up across them).
class ObjectionStatus(models.TextChoices):
    PENDING = "lodged", _("待处理")
    UPHELD = "upheld", _("异议成立")
    REJECTED = "dismissed", _("异议不成立")


class RepairStatus(models.TextChoices):
    PENDING = "applied", _("待审核")
    APPROVED = "repaired", _("准予修复")
    REJECTED = "denied", _("不予修复")


class RatingChangeKind(models.TextChoices):
    """Why a grade was set or changed."""

    MANUAL = "manual", _("人工录入")
    EVALUATION = "evaluation", _("年度评价")
    ADJUSTMENT = "adjustment", _("动态调整")
    REPAIR = "repair", _("信用修复")


# --- Practitioners' payment qualification (医保支付资格记分) -------------------------------------


class Profession(models.TextChoices):
    """A practitioner's profession (相关人员类别)."""

    DOCTOR = "doctor", _("医师")
    NURSE = "nurse", _("护士")
    PHARMACIST = "pharmacist", _("药师")
    TECHNICIAN = "technician", _("技师")
    PHARMACY_HEAD = "pharmacy_head", _("药店主要负责人")


class RegistrationEnd(models.TextChoices):
    """Why a registration (登记备案) ended."""

    LEFT = "left", _("离职或调出")
    TERMINATED = "terminated", _("终止医保支付资格")
    OTHER = "other", _("其他")


class Responsibility(models.TextChoices):
    """The degree of a practitioner's responsibility for a violation (责任程度)."""

    GENERAL = "general", _("一般责任")
    IMPORTANT = "important", _("重要责任")
    MAIN = "main", _("主要责任")


class PointsState(models.TextChoices):
    """Where a points record stands: an objection may be lodged, then decided."""

    SCORED = "scored", _("已记分")
    OBJECTED = "objected", _("异议审查中")
    MAINTAINED = "maintained", _("异议不成立，维持记分")
    REDUCED = "reduced", _("异议部分成立，变更分值")
    REVOKED = "revoked", _("异议成立，撤销记分")


# The states whose points count towards the year's total.
STANDING_POINTS_STATES: tuple[str, ...] = (
    PointsState.SCORED,
    PointsState.OBJECTED,
    PointsState.MAINTAINED,
    PointsState.REDUCED,
)


class QualificationStatus(models.TextChoices):
    """A practitioner's payment qualification on a day, derived from the measures in force."""

    ACTIVE = "active", _("正常")
    SUSPENDED = "qualification_suspended", _("暂停")
    TERMINATED = "qualification_terminated", _("终止")


class MeasureKind(models.TextChoices):
    SUSPENSION = "suspension", _("暂停医保支付资格")
    TERMINATION = "termination", _("终止医保支付资格")


class RandomCheckStatus(models.TextChoices):
    """A random-check plan (双随机抽查计划): written, drawn, published; or cancelled before."""

    DRAFT = "draft", _("草稿")
    DRAWN = "drawn", _("已抽取")
    PUBLISHED = "published", _("已公布")
    CANCELLED = "cancelled", _("已撤销")


class TypicalCaseStatus(models.TextChoices):
    """A typical case (典型案例): written, submitted for review, published; withdrawn after."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("已公布")
    WITHDRAWN = "withdrawn", _("已撤回")


class RectificationStatus(models.TextChoices):
    """A rectification order (责令整改): ordered, the facility's report received, then the
    follow-up inspection (复查) finds it done or not done."""

    ORDERED = "ordered", _("整改中")
    REPORTED = "reported", _("已报告整改")
    CONFIRMED = "confirmed", _("整改到位")
    NOT_DONE = "not_done", _("整改不到位")


class DigestState(models.TextChoices):
    """A person's daily reminder e-mail (每日待办提醒) of one day: claimed by a worker, sent, or
    nothing to send."""

    CLAIMED = "claimed", _("发送中")
    SENT = "sent", _("已发送")
    EMPTY = "empty", _("无待办")
    FAILED = "failed", _("发送失败")


class ImportKind(models.TextChoices):
    """What a table imported from CSV or XLSX holds (supervision.imports)."""

    FACILITY = "facility", _("定点医药机构")
    RATING = "rating", _("信用评级")
    INSPECTION = "inspection", _("检查记录")
    REGISTRATION = "registration", _("医药机构相关人员登记备案")


class ImportStatus(models.TextChoices):
    """An import's way: checked (a dry run that writes nothing), confirmed, written in one go."""

    CHECKING = "checking", _("正在检查")
    CHECKED = "checked", _("已检查，待确认")
    UNREADABLE = "unreadable", _("文件无法导入")
    IMPORTING = "importing", _("正在导入")
    DONE = "done", _("已导入")
    FAILED = "failed", _("导入未完成，未写入任何数据")
    ABANDONED = "abandoned", _("已放弃")


class RowOutcome(models.TextChoices):
    """What importing one row of a table does (or did)."""

    NEW = "new", _("新增")
    CHANGED = "changed", _("修改")
    UNCHANGED = "unchanged", _("无变化")
    REFUSED = "refused", _("拒绝")
