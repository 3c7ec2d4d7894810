"""Schemathesis hooks for scripts/fuzz-api.sh: rate cards and invoice mappings are TOML text,
which Schemathesis cannot serialize on its own; send the generated strings as they are."""

import schemathesis


@schemathesis.serializer("application/toml")
def toml_text(ctx, value):
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        value = str(value)
    return value.encode("utf-8", "surrogatepass")
