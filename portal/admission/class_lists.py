"""R15 (§19) with the database: the director distributes a school's admitted
children into its class-sets, moves a child by hand, and locks the list; after
the lock nobody changes it. Every write goes through the session, so the audit
trail records it (R13); the database refuses a change of a locked list too
(migration 0004), should any other path try.

Decisions (docs/rules.md, R15):
- The children placed are those admitted to the school: applications in an
  active status (registered, admitted by the commission, documents received,
  enrolled). §21 makes the documents follow admission, so a child whose
  documents are still due (until 5 September) is already admitted.
- A child whose application ends (cancelled, documents not submitted,
  transferred) leaves its class while the list is open (`application_ended`).
  After the lock the placement stays as locked; the page shows the child as
  left, and the school issues a separate order for it.
- A child admitted after the lock is in no class of the locked list; the page
  lists it apart. A district (or the ministry) reopens the list with a reason
  (`reopen`); the director places such children and locks again, and a
  supplementary order enrols them (`portal.admission.enrolment`).
- A list is locked only once the documents window has opened (§19, §21: the
  director checks the documents before enrolment; local date).
- A child enrolled by an order keeps the class the order names: distributing
  a reopened list places only the others, and a move of such a child is refused.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.admission import classes
from portal.admission.calendar import documents_window_opened
from portal.admission.errors import Refusal
from portal.extensions import db
from portal.models import (
    ACTIVE_STATUSES,
    Application,
    ClassAssignment,
    ClassList,
    ClassListReopening,
    ClassSet,
    EnrolmentOrderEntry,
)

# The statuses of an admitted child (see above): the active ones.
ADMITTED_STATUSES = ACTIVE_STATUSES

# Class-sets are named by the school's custom: 1-А, 1-Б, ... in the order of their numbers.
CLASS_LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"

MESSAGES = {
    "class_list_locked": _l("The class list of this school is locked: nobody can change it any more."),
    "class_list_not_locked": _l("The enrolment order is issued only after the class list is locked."),
    "no_class_sets": _l("The school has no class-set in this language, so the children cannot be placed."),
    "no_children": _l("No admitted child is placed in a class yet: there is nothing to lock."),
    "wrong_class_set": _l("A child can be placed only in a class-set of its own school and language."),
    "not_admitted": _l("This child's application is no longer active: the child cannot be placed."),
    "children_not_placed": _l("Some admitted children are not placed in a class yet (%(count)s): "
                              "place them, or distribute again, before locking."),
    "documents_window_not_open": _l("The class list can be locked only once the documents window has opened "
                                    "(from %(date)s): the director checks the children's documents first."),
    "reopen_not_locked": _l("The class list of this school is not locked: there is nothing to reopen."),
    "reopen_reason_required": _l("Write the reason for reopening the class list (at most 1000 characters)."),
    "child_in_order": _l("This child is enrolled by an order into this class: the child cannot be moved."),
}
REASON_MAX = 1000


class ClassListRefused(Refusal):
    MESSAGES = MESSAGES


# --- reading -----------------------------------------------------------------------------
def class_list(campaign, school_id, *, create=False, for_update=False):
    """The school's class list row (its lock), created on first need if `create`;
    `for_update` holds it until the commit, so that a school's changes and its lock
    happen one after the other (PostgreSQL; SQLite writes one at a time anyway)."""
    query = select(ClassList).where(ClassList.campaign_id == campaign.id, ClassList.school_id == school_id)
    row = db.session.scalars(query.with_for_update() if for_update else query).one_or_none()
    if row is None and create:
        row = ClassList(campaign_id=campaign.id, school_id=school_id)
        db.session.add(row)
        db.session.flush()
    return row


def is_locked(campaign, school_id):
    row = class_list(campaign, school_id)
    return row is not None and row.locked


def class_sets(campaign, school_id, language=None):
    query = select(ClassSet).where(ClassSet.campaign_id == campaign.id, ClassSet.school_id == school_id)
    if language is not None:
        query = query.where(ClassSet.language == language)
    return db.session.scalars(query.order_by(ClassSet.number)).all()


def admitted_children(campaign, school_id, language=None):
    query = select(Application).where(
        Application.campaign_id == campaign.id, Application.school_id == school_id,
        Application.status.in_(ADMITTED_STATUSES))
    if language is not None:
        query = query.where(Application.language == language)
    return db.session.scalars(query.order_by(*_by_name())).all()


def placements(campaign, school_id):
    """{application id: ClassAssignment} of the school."""
    rows = db.session.scalars(select(ClassAssignment).where(
        ClassAssignment.campaign_id == campaign.id, ClassAssignment.school_id == school_id))
    return {row.application_id: row for row in rows}


def class_name(class_set):
    number = class_set.number
    return f"1-{CLASS_LETTERS[number - 1]}" if 1 <= number <= len(CLASS_LETTERS) else f"1-{number}"


@dataclass
class ClassView:
    class_set: ClassSet
    name: str
    children: list = field(default_factory=list)  # Application, by name

    @property
    def girls(self):
        return sum(1 for child in self.children if child.child_sex == classes.GIRL)

    @property
    def boys(self):
        return len(self.children) - self.girls


@dataclass
class LanguageView:
    language: str
    classes: list  # ClassView
    not_placed: list  # admitted children in no class
    left: list  # placed in a locked list, application ended since

    @property
    def twin_groups(self):
        """Twin groups of this language: the group key -> a short mark (T1, T2, ...)."""
        groups = {}
        for view in self.classes:
            for child in view.children:
                if child.twin_group:
                    groups.setdefault(child.twin_group, []).append(child)
        for child in self.not_placed:
            if child.twin_group:
                groups.setdefault(child.twin_group, []).append(child)
        shown = sorted(key for key, members in groups.items() if len(members) > 1)
        return {key: f"T{index}" for index, key in enumerate(shown, 1)}


def school_classes(campaign, school_id):
    """The school's classes per language, as the director's page and the order show them."""
    sets = class_sets(campaign, school_id)
    placed = placements(campaign, school_id)
    children = admitted_children(campaign, school_id)
    by_set = {class_set.id: ClassView(class_set, class_name(class_set)) for class_set in sets}
    not_placed, left = {}, {}
    active_ids = {child.id for child in children}
    for child in children:
        row = placed.get(child.id)
        if row is not None and row.class_set_id in by_set:
            by_set[row.class_set_id].children.append(child)
        else:
            not_placed.setdefault(child.language, []).append(child)
    ended = [row for row in placed.values() if row.application_id not in active_ids]
    for row in sorted(ended, key=lambda row: _name_key(row.application)):
        left.setdefault(row.application.language, []).append(row.application)
        if row.class_set_id in by_set:
            by_set[row.class_set_id].children.append(row.application)
    languages = sorted({s.language for s in sets} | set(not_placed), key=lambda code: (code != "ky", code))
    for view in by_set.values():
        view.children.sort(key=_name_key)
    return [LanguageView(language, [view for view in by_set.values() if view.class_set.language == language],
                         not_placed.get(language, []), left.get(language, []))
            for language in languages]


# --- changing ----------------------------------------------------------------------------
def distribute(campaign, school_id, language, *, now):
    """R15: place every admitted child of `language` anew (hand moves are redone);
    after an order, only the children it did not enrol (`place_among`).

    Returns how many placements changed."""
    _check_open(campaign, school_id)
    sets = class_sets(campaign, school_id, language)
    existing = placements(campaign, school_id)
    in_order = enrolled_by_order(campaign, school_id)
    # Children enrolled by an order stay in the class the order names.
    fixed = {application_id: row for application_id, row in existing.items()
             if application_id in in_order and row.class_set_id in {class_set.id for class_set in sets}}
    children = [child for child in admitted_children(campaign, school_id, language) if child.id not in fixed]
    if children and not sets:
        raise ClassListRefused("no_class_sets")
    newcomers = [classes.Child(child.id, child.child_sex, child.twin_group) for child in children]
    if fixed:
        plan = classes.place_among(newcomers, [
            (classes.ClassPlan(class_set.id, class_set.seats),
             sum(1 for row in fixed.values() if row.class_set_id == class_set.id),
             sum(1 for row in fixed.values()
                 if row.class_set_id == class_set.id and row.application.child_sex == classes.GIRL))
            for class_set in sets])
    else:
        plan = classes.distribute(newcomers, [classes.ClassPlan(class_set.id, class_set.seats) for class_set in sets])
    for application_id in fixed:
        existing.pop(application_id)
    changed = 0
    for child in children:
        row = existing.pop(child.id, None)
        if row is None:
            db.session.add(ClassAssignment(campaign_id=campaign.id, school_id=school_id, application_id=child.id,
                                           class_set_id=plan[child.id], by_hand=False, placed_at=now))
            changed += 1
        elif row.class_set_id != plan[child.id] or row.by_hand:
            changed += row.class_set_id != plan[child.id]
            row.class_set_id, row.by_hand, row.placed_at = plan[child.id], False, now
    # Placements of this language left over: children no longer admitted.
    set_ids = {class_set.id for class_set in sets}
    for row in existing.values():
        if row.class_set_id in set_ids or row.application.language == language:
            db.session.delete(row)
            changed += 1
    class_list(campaign, school_id, create=True).distributed_at = now
    db.session.flush()
    return changed


def move(campaign, application, class_set, *, now):
    """The director places one child in another class-set of its language (or a first one)."""
    _check_open(campaign, application.school_id)
    if application.status not in ADMITTED_STATUSES:
        raise ClassListRefused("not_admitted")
    if application.id in enrolled_by_order(campaign, application.school_id):
        raise ClassListRefused("child_in_order")
    if (class_set.campaign_id, class_set.school_id, class_set.language) != (
            application.campaign_id, application.school_id, application.language):
        raise ClassListRefused("wrong_class_set")
    row = db.session.scalars(select(ClassAssignment).where(
        ClassAssignment.application_id == application.id)).one_or_none()
    if row is None:
        row = ClassAssignment(campaign_id=campaign.id, school_id=application.school_id,
                              application_id=application.id)
        db.session.add(row)
    row.class_set_id, row.by_hand, row.placed_at = class_set.id, True, now
    class_list(campaign, application.school_id, create=True)
    db.session.flush()
    return row


def lock_refusal(campaign, now):
    """Why a list cannot be locked at `now` whatever its children (the documents window
    has not opened yet), as the refusal's message; None when the time allows it."""
    if documents_window_opened(campaign, now):
        return None
    return ClassListRefused("documents_window_not_open", date=campaign.documents_from.strftime("%d.%m.%Y")).message


def lock(campaign, school_id, staff_id, *, now):
    """Lock the school's class list: from now on nobody changes it (R15). Only once
    the documents window has opened, in the campaign's local date (§19, §21)."""
    _check_open(campaign, school_id)
    if lock_refusal(campaign, now) is not None:
        raise ClassListRefused("documents_window_not_open", date=campaign.documents_from.strftime("%d.%m.%Y"))
    placed = placements(campaign, school_id)
    children = admitted_children(campaign, school_id)
    missing = [child for child in children if child.id not in placed]
    if missing:
        raise ClassListRefused("children_not_placed", count=len(missing))
    if not children:
        raise ClassListRefused("no_children")
    active = {child.id for child in children}
    for application_id, row in placed.items():
        if application_id not in active:  # ended without passing through `application_ended`
            db.session.delete(row)
    row = class_list(campaign, school_id, create=True)
    row.locked_at, row.locked_by_id = now, staff_id
    db.session.flush()
    return row


def reopen(campaign, school_id, *, reason, staff_id, now):
    """A district (or the ministry) lifts the lock of a school's list, with a reason,
    so that children admitted after it (stage 2, twins, commission) get into classes.

    The reopening row keeps the lock it lifts; it is written first, because the
    database lifts a lock only when such a row names it (migration 0013)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise ClassListRefused("reopen_reason_required")
    row = class_list(campaign, school_id, for_update=True)
    if row is None or not row.locked:
        raise ClassListRefused("reopen_not_locked")
    reopening = ClassListReopening(class_list_id=row.id, campaign_id=campaign.id, school_id=school_id,
                                   lock_lifted_at=row.locked_at, locked_by_id=row.locked_by_id, reason=reason,
                                   reopened_at=now, reopened_by_id=staff_id)
    db.session.add(reopening)
    db.session.flush()
    row.locked_at = row.locked_by_id = None
    db.session.flush()
    return reopening


def reopenings(campaign, school_id):
    return db.session.scalars(select(ClassListReopening).where(
        ClassListReopening.campaign_id == campaign.id, ClassListReopening.school_id == school_id)
        .order_by(ClassListReopening.id)).all()


def enrolled_by_order(campaign, school_id):
    """{application id: class-set id} of the school's children enrolled by an order."""
    from_orders = select(EnrolmentOrderEntry.application_id, EnrolmentOrderEntry.class_set_id).where(
        EnrolmentOrderEntry.school_id == school_id, EnrolmentOrderEntry.reason.is_(None),
        EnrolmentOrderEntry.order.has(campaign_id=campaign.id))
    return dict(db.session.execute(from_orders).all())


def application_ended(application):
    """Called when an application ends (status.change_status): the child leaves its
    class while the list is open; a locked list keeps it (see the module's notes)."""
    row = db.session.scalars(select(ClassAssignment).where(
        ClassAssignment.application_id == application.id)).one_or_none()
    if row is None:
        return
    locked = db.session.scalar(select(ClassList.locked_at).where(
        ClassList.campaign_id == row.campaign_id, ClassList.school_id == row.school_id))
    if locked is None:
        db.session.delete(row)


def _check_open(campaign, school_id):
    """Refuse a change of a locked list; otherwise hold the list's row until the commit."""
    if class_list(campaign, school_id, create=True, for_update=True).locked:
        raise ClassListRefused("class_list_locked")


def _by_name():
    return (Application.child_last_name, Application.child_first_name, Application.child_patronymic,
            Application.id)


def _name_key(application):
    return (application.child_last_name, application.child_first_name, application.child_patronymic,
            application.id)
