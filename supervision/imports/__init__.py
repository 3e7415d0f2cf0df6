"""Importing facilities and ratings from CSV and XLSX: read (reading), check every row against the
product's rules (kinds), then write all in one transaction or nothing (engine). See
supervision.models.imports for the job a user follows, and supervision.tasks for its running."""
