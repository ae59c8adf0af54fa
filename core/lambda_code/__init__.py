"""The Lambda's code (forwarder, describers) and its inlining into the template."""
