// Xero's own Node SDK (xero-node from npm), unmodified, pointed at Tenantry's gateway through
// its basePath, with the gateway key as its access token. Used by tests/e2e/gateway/sdks.rs.
// Usage: node xero_node_sdk.js GATEWAY_URL KEY TENANT_ID
// (xero-node lists tenants from a fixed api.xero.com address, so the test passes one in.)
const { XeroClient } = require('xero-node');

async function main() {
  const [gateway, key, tenantId] = process.argv.slice(2);
  const xero = new XeroClient({ clientId: 'unused', clientSecret: 'unused', redirectUris: [], scopes: [] });
  xero.setTokenSet({ access_token: key, token_type: 'Bearer', expires_at: Math.floor(Date.now() / 1000) + 86400 });
  xero.accountingApi.basePath = `${gateway}/api.xro/2.0`;
  const byId = await xero.accountingApi.getOrganisations(tenantId);
  const byName = await xero.accountingApi.getOrganisations('Southern Farms');
  const made = await xero.accountingApi.createContacts('Southern Farms', { contacts: [{ name: 'Made By xero-node' }] });
  console.log(JSON.stringify({
    by_id: byId.body.organisations[0].name,
    by_name: byName.body.organisations[0].name,
    contact: made.body.contacts[0].name,
  }));
}

main().catch((e) => {
  console.error(e && e.response ? `${e.response.statusCode}: ${JSON.stringify(e.response.body)}` : e);
  process.exit(1);
});
