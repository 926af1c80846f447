"""The sandbox twins' public credentials, apart from the twins themselves.

The app's clients send these when a system is served by the sandbox; importing them from
here rather than from ``syncs.sandbox.sandbox`` keeps the twins (and graphql-core) out of
every production process. Imports nothing.
"""

CENTRA_TOKEN = "sandbox-centra-token"
IP_API_KEY = "sandbox-ip-key"
IP_ACCOUNT = "sandbox-account"
