"""The budget explorer: a resource view (``budget_view``) that shows a budget document's
stored aggregation as big numbers, drill-down bar charts and tables, server-rendered."""
