"""Random-check plans in the admin."""
