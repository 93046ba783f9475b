"""CKAN's own words on the pages a budget portal shows, that CKAN's French catalogue leaves
in English (or in bad French): listed here so that ``make i18n`` keeps them in the
extension's catalogue, whose translations CKAN merges over its own (flask-babel loads the
plugins' catalogues after CKAN's).

Nothing imports this module: the strings are only marked for extraction. The search
result count of a dataset type is built by CKAN's ``snippets/search_result_text.html`` from
the type's name (« {number} budget found »): its msgids are these built strings.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a msgid for extraction without translating it."""
    return message


def ungettext(singular: str, plural: str, count: int) -> str:
    """Marks a plural msgid for extraction without translating it."""
    return singular if count == 1 else plural


MESSAGES = (
    # page.html, header.html (2.11 and 2.12)
    N_("Skip to main content"),
    N_("Breadcrumb"),
    N_("Account"),
    N_("Toggle navigation"),
    N_("Search Datasets..."),
    N_("Submit"),
    N_("Go"),
    N_("Close"),
    N_("close"),
    N_("Social"),
    N_("Licenses"),
    # 2.12's accessible names (facets, results, resources)
    N_("Navigate to Home - {site_title}"),
    N_("Navigate to dataset: {title}"),
    N_("Navigate to resource: {name}"),
    N_("Navigate to resource: {name_or_id}"),
    N_("Current resource: {name}"),
    N_("Resource URL: {url}"),
    N_("Close modal"),
    N_("Filter by: {title}"),
    N_("Search datasets by {name}: {label}"),
    # package/resource_read.html
    N_("Dataset description:"),
    N_('Source: <a href="%(url)s">%(dataset)s</a>'),
    # errors: werkzeug's names and descriptions of the status codes (an unknown URL),
    # CKAN's messages
    N_("Not Found"),
    N_("Forbidden"),
    N_(
        "The requested URL was not found on the server. If you entered the URL manually "
        "please check your spelling and try again."
    ),
    N_(
        "You don't have the permission to access the requested resource. It is either "
        "read-protected or not readable by the server."
    ),
    N_("Dataset not found or you have no permission to view it"),
    # snippets/search_result_text.html for the ``budget`` dataset type
    ungettext("{number} budget found", "{number} budgets found", 1),
    ungettext('{number} budget found for "{query}"', '{number} budgets found for "{query}"', 1),
    N_("No budgets found"),
    N_('No budgets found for "{query}"'),
)
