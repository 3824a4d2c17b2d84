"""The Salesforce half: connected orgs (OAuth with PKCE, discovery, tokens at rest), the REST
client, user import and mapping, per-org SCRT2 keys and the call center definition."""
