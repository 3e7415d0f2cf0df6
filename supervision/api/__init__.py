"""The REST API: the same data, rules and permissions as the pages, under /api/."""
