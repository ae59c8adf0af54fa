"""Helpers and fixtures shared by the tests (test modules import from here, never from each other).

- `moto_server`: moto's server standing in for AWS, boto3 clients on it, `unique_name` (plugin).
- `port`: the Port API emulator with fixed credentials, a client logged in to it (plugin).
- `installed`: a real install into moto and the emulator, and running a console command (plugin).
- `stackset`: the StackSet roles and instance-stack naming moto needs (plugin).
- `forwarder_sink`: a local HTTP server playing Port's ingest webhook, with scripted replies.
- `wizard`: reading and driving the Textual wizard, scripted backend, store and sandbox.

The plugins' fixtures are registered for every test by tests/conftest.py.
"""
