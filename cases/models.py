"""Cases (执行案件), their parties, real-name identities, assets (标的物), lots and seizures."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.files import UploadTo
from core.punctuation import labelled, paren


class Case(models.Model):
    """An enforcement case, numbered as courts write it: （2026）赣0102执1234号."""

    class Status(models.TextChoices):
        OPEN = "open", _("执行中")
        SUSPENDED = "suspended", _("中止执行")
        TERMINATED = "terminated", _("终结执行")
        CLOSED = "closed", _("执行完毕")
        WITHDRAWN = "withdrawn", _("撤回申请")

    court = models.ForeignKey(
        "core.Court", verbose_name=_("法院"), on_delete=models.PROTECT, related_name="cases"
    )
    number = models.CharField(_("案号"), max_length=60, unique=True)
    year = models.PositiveIntegerField(_("年份"))
    court_code = models.CharField(_("法院代字"), max_length=20)
    case_type = models.CharField(_("案件类型代字"), max_length=10)
    sequence = models.PositiveIntegerField(_("序号"))
    title = models.CharField(_("案由"), max_length=200, blank=True)
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办法官"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_as_judge",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("执行员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_as_officer",
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    claim_fen = models.BigIntegerField(_("申请执行标的（分）"))
    title_document = models.CharField(_("执行依据"), max_length=300, blank=True)
    filed_on = models.DateField(_("立案日期"))
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("执行案件")
        verbose_name_plural = _("执行案件")
        ordering = ["-filed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="cases_case_claim_nonneg", condition=models.Q(claim_fen__gte=0)
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def ref(self) -> str:
        """The opaque reference other layers store: ``case:<id>``."""
        return f"case:{self.pk}"


class Identity(models.Model):
    """A real-name identity (实名): resident ID, unified social credit code, passport or permit."""

    class Kind(models.TextChoices):
        RESIDENT_ID = "resident_id", _("居民身份证")
        USCC = "uscc", _("统一社会信用代码")
        PASSPORT = "passport", _("护照")
        HK_MACAO_PERMIT = "hkm_permit", _("港澳居民来往内地通行证")
        TAIWAN_PERMIT = "tw_permit", _("台湾居民来往大陆通行证")

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("未核验")
        PENDING = "pending", _("核验中")
        VERIFIED = "verified", _("已核验")
        REJECTED = "rejected", _("核验未通过")

    kind = models.CharField(_("证件类型"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("证件号码"), max_length=40)
    name = models.CharField(_("姓名/名称"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="identities",
    )
    status = models.CharField(
        _("核验状态"), max_length=20, choices=Status.choices, default=Status.UNVERIFIED
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    verifier = models.CharField(_("核验渠道"), max_length=60, blank=True)
    failure_reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("实名身份")
        verbose_name_plural = _("实名身份")
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="cases_identity_kind_number")
        ]

    def __str__(self) -> str:
        return f"{self.name}{paren(self.get_kind_display())}"

    @property
    def masked_number(self) -> str:
        """The number as shown everywhere (REC-05); the full number only via ``identity_reveal``."""
        from core.access import mask

        return mask(self.number)

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED


class SimulatedRejection(models.Model):
    """A number the identity simulator refuses, with the reason it gives.

    The simulator accepts every well-formed number except these: tests and demo operators
    script verification failures by adding rows here (admin or ``simulator_reject``).
    """

    kind = models.CharField(_("证件类型"), max_length=20, choices=Identity.Kind.choices)
    number = models.CharField(_("证件号码"), max_length=40)
    reason = models.CharField(_("拒绝原因"), max_length=200)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("核验模拟器拒绝名单")
        verbose_name_plural = _("核验模拟器拒绝名单")
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="cases_simrej_kind_number")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reason}"


class Party(models.Model):
    """A party to a case: applicant-creditor, debtor or third party (案外人)."""

    class Role(models.TextChoices):
        CREDITOR = "creditor", _("申请执行人")
        DEBTOR = "debtor", _("被执行人")
        THIRD_PARTY = "third_party", _("案外人")

    class Kind(models.TextChoices):
        PERSON = "person", _("自然人")
        ORGANISATION = "organisation", _("法人或其他组织")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(_("诉讼地位"), max_length=20, choices=Role.choices)
    kind = models.CharField(_("主体类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("姓名/名称"), max_length=200)
    identity = models.ForeignKey(
        Identity, null=True, blank=True, on_delete=models.PROTECT, related_name="parties"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_parties",
    )
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    address = models.CharField(_("送达地址"), max_length=300, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    priority = models.PositiveIntegerField(_("受偿顺位"), null=True, blank=True)
    claim_fen = models.BigIntegerField(_("债权金额（分）"), null=True, blank=True)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["case", "role", "pk"]

    def __str__(self) -> str:
        return f"{self.name}{paren(self.get_role_display())}"

    @property
    def ref(self) -> str:
        """``party:<id>``: what service records and deadlines store as the recipient."""
        return f"party:{self.pk}"


class Asset(models.Model):
    """A seized asset (标的物) with the features valuation needs (validated per kind)."""

    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", _("住宅")
        COMMERCIAL = "commercial", _("商业用房")
        LAND = "land", _("土地使用权")
        VEHICLE = "vehicle", _("机动车")
        EQUITY = "equity", _("股权")
        MOVABLE = "movable", _("其他动产")

    IMMOVABLE_KINDS = frozenset({Kind.RESIDENTIAL, Kind.COMMERCIAL, Kind.LAND})

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assets")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=200)
    division_code = models.CharField(_("行政区划代码"), max_length=6)
    address = models.CharField(_("坐落/存放地"), max_length=300, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    class Precision(models.TextChoices):
        EXACT = "exact", _("精确位置")
        DISTRICT = "district", _("按所在区县取点")

    #: How ``latitude``/``longitude`` were obtained: entered, or the district's seat (PRC-06:
    #: the valuation platforms need a location; a district point is less precise).
    location_precision = models.CharField(
        _("位置精度"), max_length=10, choices=Precision.choices, blank=True
    )
    features = models.JSONField(_("特征"), default=dict, blank=True)
    description = models.TextField(_("描述"), blank=True)
    purchase_restricted = models.BooleanField(_("限购"), default=False)
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("标的物")
        verbose_name_plural = _("标的物")
        ordering = ["case", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def ref(self) -> str:
        """``case:<cid>/asset:<aid>``: the subject of the asset's deadlines (PRC-01)."""
        return f"case:{self.case_id}/asset:{self.pk}"

    @property
    def is_immovable(self) -> bool:
        """Immovables and property rights have longer announcement lead times (AUC-08)."""
        return self.kind in self.IMMOVABLE_KINDS or self.kind == self.Kind.EQUITY


class AssetFile(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("照片")
        VIDEO = "video", _("视频")
        DOCUMENT = "document", _("文件")

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    file = models.FileField(_("文件"), upload_to=UploadTo("assets"), db_index=True)
    uploaded_at = models.DateTimeField(_("上传时间"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("大小（字节）"), default=0)

    class Meta:
        verbose_name = _("标的物附件")
        verbose_name_plural = _("标的物附件")
        ordering = ["asset", "pk"]

    def __str__(self) -> str:
        return self.title


class Disclosure(models.Model):
    """One required disclosure about an asset (PRC-02, AUC-09), with who recorded it and when.

    Never edited: a newer record of the same topic supersedes the older one.
    """

    class Topic(models.TextChoices):
        TITLE = "title", _("权属状况")
        ENCUMBRANCES = "encumbrances", _("权利负担及优先权")
        POSSESSION = "possession", _("占有使用及租赁情况")
        DEFECTS = "defects", _("已知瑕疵")
        ARREARS = "arrears", _("欠缴税费")
        TAXES = "taxes", _("预计税费及承担方")

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="disclosures")
    topic = models.CharField(_("事项"), max_length=20, choices=Topic.choices)
    text = models.TextField(_("内容"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"))
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    class Meta:
        verbose_name = _("披露事项")
        verbose_name_plural = _("披露事项")
        ordering = ["asset", "topic", "-recorded_at"]

    def __str__(self) -> str:
        return labelled(self.get_topic_display(), self.text[:30])


class Lot(models.Model):
    """What is sold as one: a single asset, or inseparable assets bundled (AUC-07)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="lots")
    title = models.CharField(_("拍品名称"), max_length=200)
    assets = models.ManyToManyField(Asset, related_name="lots")
    bundle_reason = models.CharField(_("合并处置理由"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("拍品")
        verbose_name_plural = _("拍品")

    def __str__(self) -> str:
        return self.title


class Seizure(models.Model):
    """A seizure (查封、扣押、冻结) of an asset; recording it opens the PRC-01 deadline."""

    class Kind(models.TextChoices):
        SEAL = "seal", _("查封")
        DETAIN = "detain", _("扣押")
        FREEZE = "freeze", _("冻结")

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="seizures")
    kind = models.CharField(_("措施"), max_length=10, choices=Kind.choices)
    seized_on = models.DateField(_("查封日期"))
    document = models.CharField(_("裁定书文号"), max_length=100)
    expires_on = models.DateField(_("到期日"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("查封措施")
        verbose_name_plural = _("查封措施")
        ordering = ["-seized_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.seized_on:%Y-%m-%d}{paren(self.document)}"
