"""port-aws-wizard's faces: the console entry point (`wizard.cli.main`) and the Textual app.

Importing this package imports neither Textual nor boto3 (`--help` stays fast).
"""
