"""port-aws-wizard core: settings, Port client, stack deployer, install plan.

Nothing in this package imports Textual or the ``wizard`` package.
"""
