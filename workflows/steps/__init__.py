"""Pattern executors: one small module per step kind, usable from hand-written workflows."""
