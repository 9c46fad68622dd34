"""A test policy with cookies: Trustdesk's strictly necessary ones and one for a purpose on consent."""

from __future__ import annotations

from tests.conftest import POLICY

COOKIE_POLICY = (
    POLICY.replace(
        "rights:\n",
        """  visitor_statistics:
    name: {en: Visitor statistics, nl: Bezoekersstatistieken}
    data_use: analytics.reporting
    legal_basis: consent
    consent:
      withdrawal:
        en: Choose "Only necessary" under Cookie settings at the bottom of every page.
        nl: Kies "Alleen noodzakelijke" onder Cookie-instellingen onderaan elke pagina.
    data_subjects: [customer, prospect]
    data_categories: [user.device.cookie_id]
    requirement: optional
    retention: {period: P13M, from: collection, action: delete}
rights:
""",
        1,
    )
    + """cookies:
  - name: sessionid
    purpose: strictly_necessary
    description: {en: Keeps you logged in., nl: Houdt u aangemeld.}
    expiry: session
  - name: csrftoken
    purpose: strictly_necessary
    description: {en: Protects forms against forgery., nl: Beschermt formulieren tegen vervalsing.}
    expiry: PT8H
  - name: cookie_consent
    purpose: strictly_necessary
    description: {en: Remembers your cookie choice., nl: Onthoudt uw cookiekeuze.}
    expiry: P6M
  - name: td_stats
    purpose: visitor_statistics
    description: {en: Counts visits without telling who you are., nl: Telt bezoeken zonder te weten wie u bent.}
    expiry: P13M
"""
)
assert COOKIE_POLICY != POLICY
