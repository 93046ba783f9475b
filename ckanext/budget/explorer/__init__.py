"""The budget explorer: a resource view (``budget_view``) that shows a budget document's
stored aggregation as big numbers, drill-down bar charts and tables, server-rendered; the
budget page of a dataset (every document over the years) and the comparison page."""
