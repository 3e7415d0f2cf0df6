"""Who owns each due item, and each person's pile of them: the part of the daily reminders
(services.reminders) that the notifications and the e-mails (services.digests) share.

Every active account is read at once with its roles, districts, view permissions and settings
(recipients()); the day's items are then piled by owner in one pass (Owners.collect), deciding
ownership with due_items.owned_by once per shape of item rather than per person and item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from django.contrib.auth.models import Permission, User
from django.db.models import Q

from supervision.models import ReminderPreference, UserDistrict
from supervision.roles import SUPERVISOR
from supervision.services import due_items
from supervision.services.due_items import DueItem, Window

# Items listed in one e-mail; the rest are counted ("还有N项") and are on "my work".
DIGEST_LIMIT = 50
# Notifications a person may be given in one run, the latest due first (reminders.notify()).
NOTIFY_LIMIT = 100


@dataclass(frozen=True)
class Recipient:
    """An active account as the daily run sees it (read in bulk by recipients())."""

    pk: int
    name: str
    email: str
    roles: frozenset[str]
    districts: frozenset[str] | None  # None: every district
    readable: frozenset[str]  # the kinds of due item whose records the person may open
    muted_in_app: frozenset[str] = frozenset()
    muted_by_email: frozenset[str] = frozenset()
    email_digest: bool = True

    def owns(self, item: DueItem) -> bool:
        return item.kind in self.readable and due_items.owned_by(
            item, self.pk, self.roles, self.districts
        )


def _view_codenames() -> dict[tuple[str, str], set[str]]:
    """(app label, view codename) of each kind's model → the kinds of that model."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, source in due_items.KINDS.items():
        opts = source.model._meta
        found[(opts.app_label, f"view_{opts.model_name}")].add(kind)
    return found


def recipients() -> list[Recipient]:
    """Every active account with its roles, districts, readable kinds and preferences: seven
    queries whatever the number of people."""
    users = list(
        User.objects.filter(is_active=True)
        .order_by("pk")
        .values(
            "pk",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_superuser",
            "inspector__name",
        )
    )
    groups: dict[int, set[str]] = defaultdict(set)
    group_ids: dict[int, set[int]] = defaultdict(set)
    for user_id, group_id, name in User.groups.through.objects.filter(
        user__is_active=True
    ).values_list("user_id", "group_id", "group__name"):
        groups[user_id].add(name)
        group_ids[user_id].add(group_id)
    # The view permissions of the kinds' models, held through a group or by the account itself.
    codenames = _view_codenames()
    wanted = Q()
    for app_label, codename in codenames:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    kind_of = {
        pk: codenames[(app_label, codename)]
        for pk, app_label, codename in Permission.objects.filter(wanted).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    by_group: dict[int, set[str]] = defaultdict(set)
    for group_id, permission_id in Permission.group_set.through.objects.filter(
        permission_id__in=kind_of
    ).values_list("group_id", "permission_id"):
        by_group[group_id] |= kind_of[permission_id]
    readable: dict[int, set[str]] = defaultdict(set)
    for user_id, permission_id in User.user_permissions.through.objects.filter(
        permission_id__in=kind_of, user__is_active=True
    ).values_list("user_id", "permission_id"):
        readable[user_id] |= kind_of[permission_id]
    districts: dict[int, set[str]] = defaultdict(set)
    for user_id, district in UserDistrict.objects.filter(user__is_active=True).values_list(
        "user_id", "district"
    ):
        districts[user_id].add(district)
    preferences = {
        row["user_id"]: row
        for row in ReminderPreference.objects.filter(user__is_active=True).values(
            "user_id", "muted_in_app", "muted_by_email", "email_digest"
        )
    }
    every_kind = frozenset(due_items.KINDS)
    found = []
    for row in users:
        pk = row["pk"]
        if row["is_superuser"]:
            # The same rule as roles_of(); a superuser holds every permission.
            roles = due_items.roles_of(User(pk=pk, is_superuser=True))
            kinds = every_kind
        else:
            roles = frozenset(groups.get(pk, ()))
            kinds = frozenset(readable.get(pk, set()).union(*(by_group[g] for g in group_ids[pk])))
        preference = preferences.get(pk, {})
        found.append(
            Recipient(
                pk=pk,
                name=row["inspector__name"]
                or f"{row['last_name']}{row['first_name']}".strip()
                or row["username"],
                email=row["email"],
                roles=roles,
                districts=frozenset(districts[pk]) if pk in districts else None,
                readable=kinds,
                muted_in_app=frozenset(preference.get("muted_in_app") or ()),
                muted_by_email=frozenset(preference.get("muted_by_email") or ()),
                email_digest=preference.get("email_digest", True),
            )
        )
    return found


def _urgency(item: DueItem) -> tuple:
    """The e-mail's order: overdue first, the longest overdue first; then due soon, the
    nearest first."""
    return (not item.overdue, item.due_on, item.kind, item.pk)


def _latest(item: DueItem) -> tuple:
    """The notifications' order: the latest due first, so what has just come due soon or just
    become overdue comes before an old backlog."""
    return (-item.due_on.toordinal(), item.kind, item.pk)


@dataclass
class Pile:
    """Owned items as they stream past: the count of each kind, the DIGEST_LIMIT most urgent
    (the e-mail) and the NOTIFY_LIMIT latest due (the notifications). One per audience and kind,
    one per person and kind for the items naming them; a person's are merged at the end."""

    urgent: list[DueItem] = field(default_factory=list)
    latest: list[DueItem] = field(default_factory=list)
    total: int = 0
    overdue: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, item: DueItem) -> None:
        self.total += 1
        self.overdue += item.overdue
        self.by_kind[item.kind] = self.by_kind.get(item.kind, 0) + 1
        self.urgent.append(item)
        self.latest.append(item)
        if len(self.urgent) >= 4 * DIGEST_LIMIT:
            self.urgent = self.most_urgent()
        if len(self.latest) >= 4 * NOTIFY_LIMIT:
            self.latest = self.latest_due()

    def most_urgent(self) -> list[DueItem]:
        return sorted(self.urgent, key=_urgency)[:DIGEST_LIMIT]

    def latest_due(self) -> list[DueItem]:
        return sorted(self.latest, key=_latest)[:NOTIFY_LIMIT]

    @classmethod
    def merged(cls, parts: Iterable[Pile]) -> Pile:
        whole = cls()
        for part in parts:
            whole.total += part.total
            whole.overdue += part.overdue
            for kind, count in part.by_kind.items():
                whole.by_kind[kind] = whole.by_kind.get(kind, 0) + count
            whole.urgent.extend(part.urgent)
            whole.latest.extend(part.latest)
        whole.urgent = whole.most_urgent()
        whole.latest = whole.latest_due()
        return whole


@dataclass
class Audience:
    """The people who own every item of one shape (kind, district, role, escalation, state)
    through their role and districts, whoever the item's own people are."""

    members: list[Recipient]
    pks: frozenset[int]
    pile: Pile = field(default_factory=Pile)


class Owners:
    """Who owns each item, and each person's pile of them.

    Ownership is decided by due_items.owned_by once per shape of item (its audience) and once
    per person named on an item, instead of for every person and every item (owned_by reads
    nothing of an item but its people, role, district and escalation); an item is added once to
    its audience's pile and once to each of its own people's, never to a pile per person."""

    def __init__(self, people: Iterable[Recipient]) -> None:
        self.by_pk: dict[int, Recipient] = {}
        self.by_role: dict[tuple[str, str | None], list[Recipient]] = defaultdict(list)
        for person in people:
            self.by_pk[person.pk] = person
            for role in person.roles:
                for district in person.districts or (None,):
                    self.by_role[(role, district)].append(person)
        self.audiences: dict[tuple, Audience] = {}
        self.named: dict[tuple[int, str], Pile] = defaultdict(Pile)
        self.items = 0

    def audience(self, item: DueItem) -> Audience:
        shape = (item.kind, item.district, item.role, item.escalated, item.state)
        found = self.audiences.get(shape)
        if found is None:
            anyone = replace(item, people=frozenset())
            roles = {item.role, SUPERVISOR if item.escalated else ""} - {""}
            candidates = {
                person.pk: person
                for role in roles
                for district in (None, item.district)
                for person in self.by_role.get((role, district), ())
            }
            members = [person for person in candidates.values() if person.owns(anyone)]
            found = Audience(members, frozenset(person.pk for person in members))
            self.audiences[shape] = found
        return found

    def collect(self, items: Iterable[DueItem]) -> Owners:
        for item in items:
            self.items += 1
            audience = self.audience(item)
            if audience.members:
                audience.pile.add(item)
            for pk in item.people:
                person = self.by_pk.get(pk)
                if person is not None and pk not in audience.pks and person.owns(item):
                    self.named[(pk, item.kind)].add(item)
        return self

    def piles(self, muted: Callable[[Recipient], frozenset[str]]) -> dict[int, Pile]:
        """Each person's items, but the kinds muted(person) names, merged into one pile."""
        parts: dict[int, list[Pile]] = defaultdict(list)
        for (kind, *_shape), audience in self.audiences.items():
            if audience.pile.total:
                for person in audience.members:
                    if kind not in muted(person):
                        parts[person.pk].append(audience.pile)
        for (pk, kind), pile in self.named.items():
            if kind not in muted(self.by_pk[pk]):
                parts[pk].append(pile)
        return {pk: Pile.merged(found) for pk, found in parts.items()}


def gather(window: Window, items: Iterable[DueItem] | None = None) -> Owners:
    """Every active account and the day's items (read now unless given), piled by owner."""
    items = due_items.all_items(window) if items is None else items
    return Owners(recipients()).collect(items)
