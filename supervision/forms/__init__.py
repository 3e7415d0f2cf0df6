"""Forms of the staff pages, one module per area; writes go through supervision.services."""
