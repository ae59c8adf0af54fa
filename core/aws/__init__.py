"""AWS: clients, stacks and their deployment, stack events, StackSets."""
