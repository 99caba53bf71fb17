"""Staff-edited notice texts: a restricted template language.

Bureau staff edit notice titles and bodies in the admin. They are Django templates, but
rendered by a separate engine (no loaders, so no ``include``/``extends``) against a
context of plain strings and numbers built here — never model instances — and checked
before saving: only ``{{ name.field }}`` placeholders from :data:`PLACEHOLDERS`, the
``default`` filter and the ``if`` tag are allowed. Rendering happens without
autoescaping and the result is escaped as a whole when it is turned into paragraphs, so
text typed by staff (including anything that looks like HTML) is printed literally and
can never make the PDF renderer fetch a URL.
"""

import re

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TextNode, TokenType, VariableNode
from django.template.defaulttags import IfNode
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# name -> {field: description}; the only values a staff-edited text can reach.
PLACEHOLDERS = {
    "estate": {
        "name": gettext_lazy("小区名称"), "code": gettext_lazy("小区编码"), "address": gettext_lazy("小区地址"),
        "district": gettext_lazy("所属区"),
        "street": gettext_lazy("所属街道"),
        "community": gettext_lazy("所属社区"),
        "households": gettext_lazy("户数"),
        "hotline": gettext_lazy("服务中心电话（未填则用企业热线）"),
        "complaint_phone": gettext_lazy("投诉电话（未填则用企业投诉电话）"),
        "public_url": gettext_lazy("小区公开页面网址"),
    },
    "firm": {
        "name": gettext_lazy("物业服务企业名称"),
        "grade": gettext_lazy("资质等级"),
        "address": gettext_lazy("企业地址"),
        "hotline": gettext_lazy("企业服务热线"), "complaint_phone": gettext_lazy("企业投诉电话"),
    },
    "office": {"name": gettext_lazy("小区物业服务中心名称（落款）")},
    "campaign": {
        "name": gettext_lazy("活动名称"), "year": gettext_lazy("年度"), "document_number": gettext_lazy("文号"),
        "issuer": gettext_lazy("发文单位"),
        "start_date": gettext_lazy("开始日期"),
        "end_date": gettext_lazy("结束日期"),
    },
    "today": {},
}
ALLOWED_FILTERS = {"default"}

# Bounds on what a staff-edited text may be, checked before Django's template parser sees it.
# A notice is one to a few printed pages (the defaults are about 500 characters): 10,000
# characters is some 7 pages, while a 700,000-character text kept the PDF renderer busy for
# minutes. Django parses nested tags recursively, so 500 nested {% if %} raise RecursionError;
# a real notice needs two or three levels. A long chain of "not" in one condition recurses
# the same way when parsed and evaluated, hence the word limit per condition.
MAX_TEXT_LENGTH = 10_000
MAX_IF_DEPTH = 5
MAX_CONDITION_WORDS = 20

_ENGINE = Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid="")


class PlaceholderError(ValueError):
    """A Chinese message naming what is not allowed in a notice text."""


def _check_variable(filter_expression):
    var = filter_expression.var
    lookups = getattr(var, "lookups", None)
    if lookups is None:  # a literal ("text" or a number)
        return
    name = ".".join(lookups)
    root, fields = lookups[0], lookups[1:]
    if root not in PLACEHOLDERS or len(fields) > 1 or (fields and fields[0] not in PLACEHOLDERS[root]) or (
        not fields and PLACEHOLDERS[root]
    ):
        raise PlaceholderError(_("不支持的占位符：{{ %(name)s }}") % {"name": name})
    for func, args in filter_expression.filters:
        if func.__name__ not in ALLOWED_FILTERS:
            raise PlaceholderError(_("不支持的过滤器：%(name)s（只能使用 default）") % {"name": func.__name__})
        for _lookup, arg in args:
            if getattr(arg, "lookups", None):
                raise PlaceholderError(_("过滤器参数只能是文字。"))


def _check_condition(condition):
    if condition is None:
        return
    value = getattr(condition, "value", None)
    if value is not None and hasattr(value, "var"):
        _check_variable(value)
    for part in ("first", "second"):
        child = getattr(condition, part, None)
        if child is not None:
            _check_condition(child)


def _check_nodes(nodelist):
    for node in nodelist:
        if isinstance(node, TextNode):
            continue
        if isinstance(node, VariableNode):
            _check_variable(node.filter_expression)
        elif isinstance(node, IfNode):
            for condition, nodes in node.conditions_nodelists:
                _check_condition(condition)
                _check_nodes(nodes)
        else:
            raise PlaceholderError(_("正文中只能使用 {{ 占位符 }} 和 {% if %} 条件，不能使用其他模板标签。"))


def _check_bounds(source):
    """Size and nesting limits, from the tokens alone (no recursion, linear in the text)."""
    if len(source) > MAX_TEXT_LENGTH:
        raise PlaceholderError(_("文本过长：最多 %(max)s 个字符，当前 %(n)s 个字符。") % {
            "max": f"{MAX_TEXT_LENGTH:,}", "n": f"{len(source):,}"})
    depth = 0
    for token in Lexer(source).tokenize():
        if token.token_type != TokenType.BLOCK:
            continue
        words = token.split_contents()
        name = words[0] if words else ""
        if name in ("if", "elif") and len(words) - 1 > MAX_CONDITION_WORDS:
            raise PlaceholderError(_("{%% if %%} 条件过长：一个条件最多 %(max)s 个词。") % {"max": MAX_CONDITION_WORDS})
        if name == "if":
            depth += 1
            if depth > MAX_IF_DEPTH:
                raise PlaceholderError(_("{%% if %%} 嵌套过深：最多嵌套 %(max)s 层。") % {"max": MAX_IF_DEPTH})
        elif name == "endif":
            depth -= 1


def compile_text(source):
    """Compile and check a staff-edited text; raises PlaceholderError with a Chinese message."""
    source = source or ""
    _check_bounds(source)
    try:
        template = _ENGINE.from_string(source)
        _check_nodes(template.nodelist)
    except TemplateSyntaxError as exc:
        raise PlaceholderError(_("占位符写法有误：%(error)s") % {"error": exc}) from None
    except RecursionError:  # a shape the bounds above did not foresee: refused, never a 500
        raise PlaceholderError(_("文本结构过于复杂，请简化后再保存。")) from None
    return template


def render_text(source, values):
    """Render a checked text against plain ``values`` (see :func:`notice_values`)."""
    return compile_text(source).render(Context(values, autoescape=False))


def text_to_html(text):
    """Plain text to safe HTML: a blank line starts a paragraph, "## " a heading."""
    parts = []
    for block in re.split(r"\n[ \t\u3000]*\n", (text or "").replace("\r\n", "\n").strip()):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("## "):
            parts.append(f"<h2>{escape(lines[0][3:].strip())}</h2>")
            lines = lines[1:]
        if lines:
            parts.append("<p>" + "<br>".join(escape(line) for line in lines) + "</p>")
    return mark_safe("\n".join(parts))


def placeholder_help():
    """(placeholder, description) pairs for the admin help panel."""
    rows = []
    for root, fields in PLACEHOLDERS.items():
        if not fields:
            rows.append(("{{ " + root + " }}", _("打印日期")))
        for field, label in fields.items():
            rows.append(("{{ " + f"{root}.{field}" + " }}", str(label)))
    return rows
