"""Reading a rendered page in tests."""


def table_row(html, attribute, value):
    """The table row of a page that carries ``attribute="value"`` (e.g. ``data-entry``), up to its ``</tr>``."""
    start = html.index(f'{attribute}="{value}"')
    return html[start:html.index("</tr>", start)]
