"""Who on the staff sees and does what in the console, and the console's one access helper per object.

============================  =======  ===============  ==========  =============
                              support  privacy officer  abuse desk  administrator
============================  =======  ===============  ==========  =============
dashboard, request queue      yes      yes              no          yes
a request's page              yes      yes              no          yes
enter a request (letter ...)  yes      yes              no          yes
identity: ask, verify         yes      yes              no          yes
the person withdrew           yes      yes              no          yes
decisions (fulfil, extend,    no       yes              no          yes
refuse, confirm an erasure,
objections, restrictions)
the report and files          no       yes              no          yes
search, record pages          yes      yes              yes         yes
lift a customer's log-in      yes      yes              no          yes
block, ask to remove its
two-factor authentication,
approve another's removal
its log-ins' IP addresses     network  yes              no          yes
who looked at a page         no       yes              no          yes
each member's looks           no       yes              no          yes
the policy and data map       yes      yes              yes         yes
============================  =======  ===============  ==========  =============

Customers and visitors never reach the console: ``staff_required`` sends visitors to log in and answers
403 to customers (and to staff whose role the row does not name).
"""

from __future__ import annotations

from django.http import Http404

from trustdesk.accounts.models import Profile
from trustdesk.registry.models import Organisation, Person
from trustdesk.rights.models import Request
from trustdesk.rights.queries import is_reference

SUPPORT = Profile.Role.SUPPORT
PRIVACY_OFFICER = Profile.Role.PRIVACY_OFFICER
ABUSE_DESK = Profile.Role.ABUSE_DESK
ADMINISTRATOR = Profile.Role.ADMINISTRATOR

#: The queue, a request's page, staff entry, identity checks, the dashboard.
REQUEST_ROLES: tuple[str, ...] = (SUPPORT, PRIVACY_OFFICER, ADMINISTRATOR)
#: Decisions on a request and its report and files.
DECISION_ROLES: tuple[str, ...] = (PRIVACY_OFFICER, ADMINISTRATOR)
#: Search and the record pages of people and organisations.
RECORD_ROLES: tuple[str, ...] = (SUPPORT, PRIVACY_OFFICER, ABUSE_DESK, ADMINISTRATOR)
#: Lifting the log-in block of a customer's account (after checking who asks), on the person's page.
ACCOUNT_ROLES: tuple[str, ...] = (SUPPORT, PRIVACY_OFFICER, ADMINISTRATOR)
#: Who sees the whole IP address a customer's account logged in (or failed to) from, in the journal on the
#: person's page. Support sees the network it belongs to (IPv4 /24, IPv6 /48): enough to tell the customer's
#: usual place from a new one when they call about a block, not enough to single out a household.
FULL_ADDRESS_ROLES: tuple[str, ...] = (PRIVACY_OFFICER, ADMINISTRATOR)
#: Who sees which members of staff looked at a person's, organisation's or request's page, and when (every
#: look is journaled): those who oversee the staff.
OVERSIGHT_ROLES: tuple[str, ...] = (PRIVACY_OFFICER, ADMINISTRATOR)
#: The policy in effect and the data map.
POLICY_ROLES: tuple[str, ...] = (SUPPORT, PRIVACY_OFFICER, ABUSE_DESK, ADMINISTRATOR)
#: Searching the web access logs (breach investigations): the privacy officer alone.
WEBLOG_ROLES: tuple[str, ...] = (PRIVACY_OFFICER,)


def get_request_for_staff(reference: str) -> Request:
    """The request with this case number, or 404."""
    reference = reference.strip().upper()
    if not is_reference(reference):
        raise Http404("no such request")
    found = Request.objects.select_related("person").filter(reference=reference).first()
    if found is None:
        raise Http404("no such request")
    return found


def get_person_for_staff(pk: int) -> Person:
    found = Person.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("no such person")
    return found


def get_organisation_for_staff(pk: int) -> Organisation:
    found = Organisation.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("no such organisation")
    return found
