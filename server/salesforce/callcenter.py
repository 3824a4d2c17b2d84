"""The call center definition an admin imports in Salesforce (Setup → Call Centers →
Import), rendered for one connected org from the package's template
(``lwc/callcenter/SIVO_CallCenter.xml.template``): SIVO's softphone as the adapter URL, and
the org's active SCRT2 certificate (reference §8, §2.4). Pure, apart from reading the
template.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from xml.sax.saxutils import escape

from .keys import certificate_body

TEMPLATE = (
    Path(__file__).resolve().parents[2] / "lwc" / "callcenter" / "SIVO_CallCenter.xml.template"
)
DEFAULT_INTERNAL_NAME = "SIVO_Contact_Center"
_INTERNAL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_PLACEHOLDER = re.compile(r"{{([A-Z_]+)}}")


def render_call_center(
    *, internal_name: str | None, display_name: str, softphone_url: str, certificate_pem: str
) -> str:
    name = internal_name or DEFAULT_INTERNAL_NAME
    if not _INTERNAL_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a call center internal name")
    values = {
        "INTERNAL_NAME": name,
        "DISPLAY_NAME": display_name[:1000],
        "SOFTPHONE_URL": softphone_url,
        # PEM's own line length, between the armour lines the template holds.
        "CERTIFICATE_PEM_BODY": "\n".join(textwrap.wrap(certificate_body(certificate_pem), 64)),
    }
    template = TEMPLATE.read_text(encoding="utf-8")
    missing = set(_PLACEHOLDER.findall(template)) - set(values)
    if missing:
        raise ValueError(f"the template names unknown placeholders: {sorted(missing)}")
    return _PLACEHOLDER.sub(lambda m: escape(values[m.group(1)]), template)
