"""Reports of a campaign (issue #9, docs/reports.md): the figures of a scope
(nation, region, district, school) computed by SQL aggregates, their progress
over the campaign's days, the tables of the exports, and the open statistics of
free seats. Plain functions that know nothing of HTTP; the staff portal
(admin/reports.py), the public page and the API are their edges."""
