"""The task engine, a Django app (label "lifecycle"): tasks and actions, the operations they run,
the worker side that runs them, and the task pages and API."""
