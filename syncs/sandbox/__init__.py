"""Sandbox twins of Centra and Inventory Planner: the embedded default and the test double.

Each twin is an object with ``handle(request: httpx.Request) -> httpx.Response``, so it
mounts in-process as ``httpx.MockTransport(twin.handle)`` in tests and is served over
HTTP for the demo (``manage.py sandbox``). A client cannot tell a twin from the service.
"""
