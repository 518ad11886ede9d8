"""Schemathesis hooks for crates/server/tests/schemathesis.rs (loaded via SCHEMATHESIS_HOOKS).

The NDJSON form of a snapshot is documented as a string (its lines); schemathesis has no
serializer for application/x-ndjson, so it sends the string as text, as for text/plain.
"""

import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
