"""The sync service (Flask): submission, delivery to the institution, mentor review.

Not built yet; see the issues. It will call ``addin``'s core and never re-implement a rule.
"""
