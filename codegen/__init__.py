"""Code generation for jumpseller_async: patch the spec, run openapi-python-client, lay out, lock."""
