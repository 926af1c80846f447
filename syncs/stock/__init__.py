"""The stock engine: ATS, its configuration, the push to Centra, the guard and drift."""
