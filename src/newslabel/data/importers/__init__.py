"""The public sets in ../shared/data as labelled rows: one module a task (`common` holds the shared reading
and split helpers, `registry` the importer of each name)."""
