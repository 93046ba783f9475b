"""Names the explorer's modules share (a leaf module: it imports nothing)."""

VIEW_TYPE = "budget_view"
"""The resource view type of the document explorer."""
