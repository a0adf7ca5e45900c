from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from ovation.core.models import TimeStampedModel


class Taxonomy(models.Model):
    """An editable list of names (industries, regions, products)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class Industry(Taxonomy):
    """An industry customers work in (editable taxonomy)."""

    class Meta(Taxonomy.Meta):
        verbose_name_plural = "industries"


class Region(Taxonomy):
    """A sales region (EMEA, North America...), editable taxonomy."""


class Product(Taxonomy):
    """A product or module the company sells, editable taxonomy."""


class Account(TimeStampedModel):
    """A customer company."""

    class EmployeeBand(models.TextChoices):
        XS = "1-50", "1-50"
        S = "51-200", "51-200"
        M = "201-1000", "201-1,000"
        L = "1001-5000", "1,001-5,000"
        XL = "5001+", "5,001+"

    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ONBOARDING = "onboarding", "Onboarding"
        ACTIVE = "active", "Active"
        AT_RISK = "at_risk", "At risk"
        CHURNED = "churned", "Churned"

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True, db_index=True)
    industry = models.ForeignKey(Industry, null=True, blank=True, on_delete=models.SET_NULL)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    employee_band = models.CharField(max_length=10, choices=EmployeeBand.choices, blank=True)
    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, default=0)
    products = models.ManyToManyField(Product, blank=True, related_name="accounts")
    customer_since = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True, db_index=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    csm_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="csm_accounts",
    )
    crm_id = models.CharField("CRM id", max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(Lower("name"), name="account_name_ci"),
            models.Index(fields=["name", "id"], name="account_name_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(arr__gte=0), name="account_arr_non_negative")
        ]

    def __str__(self):
        return self.name


class Contact(TimeStampedModel):
    """A person at a customer account: the potential advocate."""

    class Seniority(models.TextChoices):
        IC = "ic", "Individual contributor"
        MANAGER = "manager", "Manager"
        DIRECTOR = "director", "Director"
        VP = "vp", "VP"
        C_LEVEL = "c_level", "C-level"

    class Persona(models.TextChoices):
        EXECUTIVE = "executive", "Executive sponsor"
        ADMIN = "admin", "Administrator"
        TECHNICAL = "technical", "Technical"
        BUSINESS = "business", "Business user"
        FINANCE = "finance", "Finance"
        END_USER = "end_user", "End user"

    class Stage(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        PROMOTER = "promoter", "Promoter"
        ADVOCATE = "advocate", "Advocate"
        CHAMPION = "champion", "Champion"

    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254)
    title = models.CharField(max_length=200, blank=True)
    seniority = models.CharField(max_length=20, choices=Seniority.choices, blank=True)
    persona = models.CharField(max_length=20, choices=Persona.choices, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    timezone = models.CharField(
        max_length=64, blank=True, help_text="IANA name, e.g. Europe/Brussels"
    )
    crm_id = models.CharField("CRM id", max_length=64, null=True, blank=True, unique=True)
    stage = models.CharField(
        max_length=20, choices=Stage.choices, default=Stage.CUSTOMER, db_index=True
    )
    is_active = models.BooleanField(default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact",
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="contact_email_ci_unique")]
        indexes = [
            models.Index(fields=["account", "stage"]),
            models.Index(Lower("last_name"), name="contact_last_name_ci"),
            models.Index(fields=["last_name", "first_name", "id"], name="contact_sort_name"),
        ]

    def __str__(self):
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Consent(models.Model):
    """One consent decision for one purpose. Never updated: the latest row per purpose is the
    current state, and the rows before it are the history (who, when, source)."""

    class Purpose(models.TextChoices):
        REFERENCE_CALLS = "reference_calls", "Reference calls"
        PUBLIC_NAME = "public_name", "Public name and quote"
        LOGO = "logo", "Company logo"
        CASE_STUDY = "case_study", "Case study"
        MARKETING_EMAIL = "marketing_email", "Marketing email"

    class Source(models.TextChoices):
        STAFF = "staff", "Staff"
        HUB = "hub", "Advocate hub"
        IMPORT = "import", "Import"
        API = "api", "API"
        SYSTEM = "system", "System"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    is_granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["contact", "purpose", "-recorded_at"])]

    def __str__(self):
        return f"{self.contact_id} {self.purpose}={'yes' if self.is_granted else 'no'}"


from .import_models import ImportJob  # noqa
