from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Flagsmith's ``{count, next, previous, results}`` pages, sized by ``page_size``."""

    page_size_query_param = "page_size"
    max_page_size = 1000
