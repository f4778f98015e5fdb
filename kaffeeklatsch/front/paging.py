"""Pages of a long list: which page was asked for, and the links to the others."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property


def page_number(raw: str) -> int:
    """The page asked for: anything that is not a number asks for the first page, a
    number past the end (even one too long for int()) for the last one."""
    try:
        return max(int(raw), 1)
    except ValueError:
        return sys.maxsize if raw.strip().isdecimal() else 1


class KnownCountPaginator(Paginator):
    """A paginator told how many items there are, where counting them would cost a
    scan of a large table."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known = count

    @cached_property
    def count(self) -> int:
        return self.known


def page_links(paginator: Paginator, page: Page, kept: Mapping[str, Any]) -> dict[str, Any]:
    """Links to the first, previous, next, last and nearby pages, keeping the search
    and filters in ``kept``; an ellipsis (``None``) where page numbers are left out."""

    def url(number: int) -> str:
        return "?" + urlencode({**kept, "page": number})

    first, last = page.has_previous(), page.has_next()
    return {
        "pages": [
            {"number": number, "url": url(number), "current": number == page.number}
            if isinstance(number, int)
            else None
            for number in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=0)
        ],
        "first_url": url(1) if first else "",
        "previous_url": url(page.number - 1) if first else "",
        "next_url": url(page.number + 1) if last else "",
        "last_url": url(paginator.num_pages) if last else "",
    }
