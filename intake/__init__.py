"""Reading what clerks already have — registry files and directives — into dondoc (intake)."""
