"""Loaded by pytest before Django: the suite runs on the development defaults.

Settings refuse to load with DEBUG off and no SECRET_KEY; the tests need neither a real
key nor production mode (the deploy check test sets its own environment).
"""

import os

os.environ.setdefault("DEBUG", "true")
