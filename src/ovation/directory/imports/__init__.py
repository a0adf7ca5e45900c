"""CSV import/export. `base` is the engine every app uses (its docstring is the API guide);
`accounts`, `contacts` and `activities` are the directory's own kinds."""
