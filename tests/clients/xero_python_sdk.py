"""Xero's own Python SDK (xero-python from PyPI), unmodified, pointed at Tenantry's gateway with
the gateway key as its bearer token. Used by tests/e2e/gateway/sdks.rs.

Usage: xero_python_sdk.py GATEWAY_URL KEY
Lists the tenants (IdentityApi), reads each one's Organisation record (AccountingApi), reads one
by name instead of tenant id, creates a contact in Kiwi Plumbing, and prints what it saw as JSON.
"""

import json
import sys
import time

from xero_python.accounting import AccountingApi
from xero_python.accounting.models import Contact, Contacts
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.identity import IdentityApi

gateway, key = sys.argv[1], sys.argv[2]
client = ApiClient(
    Configuration(oauth2_token=OAuth2Token(client_id="unused", client_secret="unused")),
    pool_threads=1,
)
# The gateway key never expires the way an access token does; the SDK only needs a token dict.
token = {
    "access_token": key,
    "token_type": "Bearer",
    "expires_in": 1800,
    "expires_at": time.time() + 365 * 86400,
    "refresh_token": "not-used",
    "scope": ["accounting.settings", "accounting.contacts"],
}


@client.oauth2_token_getter
def get_token():
    return token


@client.oauth2_token_saver
def save_token(new_token):
    token.update(new_token)


identity = IdentityApi(client, base_url=gateway)
accounting = AccountingApi(client, base_url=gateway + "/api.xro/2.0")
seen = {"tenants": {}, "by_name": None, "contact": None}
for connection in identity.get_connections():
    organisation = accounting.get_organisations(connection.tenant_id).organisations[0]
    seen["tenants"][connection.tenant_name] = organisation.name
seen["by_name"] = accounting.get_organisations("Harbour Cafe Ltd").organisations[0].name
made = accounting.create_contacts(
    "Kiwi Plumbing", contacts=Contacts(contacts=[Contact(name="Made By xero-python")])
)
seen["contact"] = made.contacts[0].name
print(json.dumps(seen))
