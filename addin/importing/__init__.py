"""Importing the records members already keep (any column order, the IKT form, CSV, .docx)."""
