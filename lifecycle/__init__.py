"""Provider Lifecycle Manager: the project's configuration (project/), the task engine (engine/) and what all apps share."""
