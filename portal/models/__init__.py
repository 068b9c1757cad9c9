"""All models, importable from one place: `from portal.models import School`."""
from portal.models.applications import (  # noqa: F401
    ACTIVE_STATUSES,
    AWAITING_DOCUMENTS,
    COMMISSION_APPLICANT_ROLES,
    REJECTION_REASONS,
    OPEN_APPEAL_STATUSES,
    STATUSES,
    Appeal,
    CONTACT_CHANNELS,
    Applicant,
    ApplicantContact,
    Application,
    ApplicationEvent,
    CommissionDecision,
    Document,
)
from portal.models.audit import AuditAnchor, AuditEntry, AuditSeal, OutboxMessage  # noqa: F401
from portal.models.auth import ApiToken, SignInCode  # noqa: F401
from portal.models.campaign import DEFAULT_POLICY, Campaign  # noqa: F401
from portal.models.claims import CLAIM_STATES, LIVE_CLAIM_STATES, ClaimedChild  # noqa: F401
from portal.models.classes import (  # noqa: F401
    ClassAssignment,
    ClassList,
    ClassListReopening,
    EnrolmentOrder,
    EnrolmentOrderEntry,
)
from portal.models.geography import (  # noqa: F401
    Address,
    District,
    MicrodistrictAddress,
    Region,
    SCHOOL_KINDS,
    School,
)
from portal.models.quota import (  # noqa: F401
    LANGUAGES,
    QUOTA_STATES,
    ClassSet,
    GradeStat,
    SchoolQuota,
    SeatPool,
)
from portal.models.registry import RegistryLink, RegistryPerson, Teacher  # noqa: F401
from portal.models.staff import ROLES, StaffSignInAddress, StaffUser  # noqa: F401
from portal.models.types import utcnow  # noqa: F401
