"""``{% layout %}``: Django templates drawn inside the one Jinja2 page layout.

``base.html`` is ``{% layout %}{% block title %}{% endblock %}{% layout_content %}
{% block content %}{% endblock %}{% endlayout %}``: the two parts are rendered by
Django as before (pages extend ``base.html`` and fill its blocks), then handed to
``front/jinja2/layout.html`` as ``title`` and ``content``. So every page, Django or
Jinja2, has the same header, navigation, messages and footer from one template,
and the layout itself renders at Jinja2's speed.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import NodeList, Parser, Token
from django.template.loader import get_template
from django.utils.safestring import mark_safe

register = template.Library()


class LayoutNode(template.Node):
    child_nodelists = ("title", "content")

    def __init__(self, title: NodeList, content: NodeList) -> None:
        self.title = title
        self.content = content

    def render(self, context: Any) -> str:
        layout = get_template("layout.html", using="jinja2")
        request = context.get("request")
        # The layout's own context processors run again on the request; what a view
        # put into the context for its page is only in ``content``.
        return layout.render(
            {
                # Rendered and escaped by Django already: marked safe, not escaped again.
                "title": mark_safe(self.title.render(context).strip()),
                "content": mark_safe(self.content.render(context)),
            },
            request=request,
        )


@register.tag("layout")
def layout(parser: Parser, token: Token) -> LayoutNode:
    title = parser.parse(("layout_content",))
    parser.delete_first_token()
    content = parser.parse(("endlayout",))
    parser.delete_first_token()
    return LayoutNode(title, content)
