"""The soak harness (``make soak``): the real system under faults, kills and a database
restart, checked against the twins' ground truth. See docs/reliability.md."""
