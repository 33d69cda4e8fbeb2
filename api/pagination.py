"""Cursor pagination in a fixed order, so that a client polling page after page neither
skips nor repeats a row when rows are added meanwhile (page numbers would shift)."""

from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Each list view names a unique, never-changing key as ``cursor_ordering`` (the code of a
    unit or set, the id of a row): new rows land after the ones already read."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "pk"

    def get_ordering(self, request, queryset, view):
        return (getattr(view, "cursor_ordering", self.ordering),)
