"""The Jinja2 environments for exported artifacts (templates/export/), loaded once per process.

Three environments, each refusing what would change a file's meaning:

* ``ps``   -- PowerShell. Every ``{{ ... }}`` must produce :class:`~fleet.export.powershell.PsCode`
  (use the ``psq`` / ``psname`` / ``psint`` / ``psbool`` filters); a bare value fails rendering.
* ``xml``  -- XML. Autoescaped; characters XML 1.0 cannot carry (control characters, U+FFFE...)
  are refused rather than written.
* ``text`` -- READMEs: plain text, no escaping.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from fleet.export.powershell import PsCode, ScriptDataError, ps_bool, ps_comment, ps_int, ps_name, ps_string
from fleet.resources import data_dir

# Characters XML 1.0 cannot represent, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: Any, what: str = "value") -> str:
    text = str(value)
    if _XML_INVALID.search(text):
        raise ScriptDataError(f"a {what} contains a control character that XML cannot carry")
    return text


def cdata(value: Any) -> str:
    """A CDATA section for ``value`` (``]]>`` split across two sections). Use with ``|safe`` off:
    the xml environment marks it safe itself."""
    text = xml_text(value)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _ps_finalize(value: Any) -> Any:
    if isinstance(value, PsCode):
        return value
    raise ScriptDataError(
        f"internal: a {type(value).__name__} reached a PowerShell template without psq/psint escaping"
    )


def _xml_finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        xml_text(value)
    return value


def _loader() -> jinja2.BaseLoader:
    return jinja2.FileSystemLoader(str(data_dir("templates") / "export"))


@cache
def environment(kind: str) -> jinja2.Environment:
    common: dict[str, Any] = {
        "loader": _loader(),
        "undefined": jinja2.StrictUndefined,
        "keep_trailing_newline": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "auto_reload": False,
    }
    if kind == "ps":
        env = jinja2.Environment(finalize=_ps_finalize, autoescape=False, **common)
        env.filters.update(psq=ps_string, psname=ps_name, psint=ps_int, psbool=ps_bool, pscomment=ps_comment)
    elif kind == "xml":
        env = jinja2.Environment(finalize=_xml_finalize, autoescape=True, **common)
        env.filters["cdata"] = lambda v: Markup(cdata(v))
    elif kind == "text":
        env = jinja2.Environment(autoescape=False, **common)
    else:
        raise ValueError(kind)
    return env


@cache
def template(kind: str, name: str) -> jinja2.Template:
    """A compiled template, cached for the life of the process (1,000 practices, one parse)."""
    return environment(kind).get_template(name)


def render(kind: str, name: str, **context: Any) -> str:
    try:
        return template(kind, name).render(**context)
    except ScriptDataError as exc:
        raise ScriptDataError(f"{name.removesuffix('.j2')}: {exc.message}") from None
