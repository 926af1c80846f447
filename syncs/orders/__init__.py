"""The orders stream: Centra orders into the ledger, the ledger into IP's sales feed."""
